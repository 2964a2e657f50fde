/**
 * How a helper process (the capture device helper) is started, as its parent sees it. Two
 * implementations: child_process.fork under Node (serve, the CLI, tests:
 * src/capture/node-launcher.ts) and Electron's utilityProcess.fork in the desktop app
 * (src/main/utility-launcher.ts), which needs no `runAsNode` fuse. Types only.
 *
 * The contract both keep (test/capture/child-launcher.test.ts): messages either way are
 * structured clones (a Uint8Array arrives as one), in order; stdout and stderr arrive as bytes;
 * `onExit` fires once, after which `connected` is false; `onDisconnect` fires once no more
 * messages can arrive (at the latest with the exit); `kill` ends the process at once.
 */
export interface LaunchedChild {
  readonly pid: number | undefined;
  /** Messages can still be sent and received. */
  readonly connected: boolean;
  send(message: unknown): void;
  /** End the process now (SIGKILL where there are signals). */
  kill(): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The process ended: its exit code, or the signal's name. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** No more messages will arrive. */
  onDisconnect(listener: () => void): void;
  onStdout(listener: (chunk: Uint8Array) => void): void;
  onStderr(listener: (chunk: Uint8Array) => void): void;
  /** Do not keep the parent alive for this child (an idle helper). */
  unref(): void;
}

export interface ChildLaunchOptions {
  env: Record<string, string | undefined>;
  /** Runtime flags for the child (e.g. `--import tsx` when running from source). */
  execArgv: string[];
  /** A name for the process (shown by Electron's task manager). */
  serviceName: string;
}

export interface ChildLauncher {
  readonly kind: 'node-fork' | 'electron-utility';
  launch(modulePath: string, opts: ChildLaunchOptions): LaunchedChild;
}
