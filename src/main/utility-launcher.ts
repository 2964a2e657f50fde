/**
 * The desktop app's child launcher (contract: src/common/child-launcher.ts): Electron's
 * utilityProcess.fork, a Node.js child of the main process that needs neither
 * ELECTRON_RUN_AS_NODE nor the `runAsNode` fuse (off in electron-builder.yml). Thin on purpose:
 * each line maps one documented utilityProcess call onto the contract, and it cannot run
 * without Electron's binary; the contract is tested with the Node launcher, and this mapping
 * with a stand-in of utilityProcess (test/shell/utility-launcher.test.ts).
 *
 * Differences from child_process.fork that the contract absorbs: messages are `postMessage`
 * structured clones (the child reads them from process.parentPort, src/capture/parent-port.ts);
 * `exit` gives a code and no signal; there is no separate disconnect, so "no more messages" is
 * the exit; stdout/stderr are streams only with `stdio: 'pipe'`.
 */
import type { ChildLauncher, ChildLaunchOptions, LaunchedChild } from '../common/child-launcher.js';

/** The part of Electron's `utilityProcess` module used here (its documented API). */
export interface UtilityProcessModule {
  fork(
    modulePath: string,
    args: string[],
    options: {
      env: Record<string, string | undefined>;
      execArgv: string[];
      serviceName: string;
      stdio: 'pipe';
    },
  ): UtilityProcessLike;
}

export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'spawn', listener: () => void): this;
}

export function utilityProcessLauncher(utilityProcess: UtilityProcessModule): ChildLauncher {
  return {
    kind: 'electron-utility',
    launch(modulePath: string, opts: ChildLaunchOptions): LaunchedChild {
      const child = utilityProcess.fork(modulePath, [], {
        env: opts.env,
        execArgv: opts.execArgv,
        serviceName: opts.serviceName,
        stdio: 'pipe',
      });
      let exited = false;
      const exitListeners: (() => void)[] = [];
      child.on('exit', () => {
        exited = true;
        for (const l of exitListeners.splice(0)) l();
      });
      return {
        get pid() {
          return child.pid;
        },
        get connected() {
          return !exited;
        },
        send(message) {
          if (!exited) child.postMessage(message);
        },
        kill() {
          if (!exited) child.kill();
        },
        onMessage(l) {
          child.on('message', l);
        },
        onExit(l) {
          child.on('exit', (code) => l(code, null));
        },
        onDisconnect(l) {
          if (exited) l();
          else exitListeners.push(l);
        },
        onStdout(l) {
          child.stdout?.on('data', (b: Buffer) => l(b));
        },
        onStderr(l) {
          child.stderr?.on('data', (b: Buffer) => l(b));
        },
        unref() {
          // A utility process never keeps the app alive: Electron ends it with the app.
        },
      };
    },
  };
}
