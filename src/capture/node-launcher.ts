/**
 * The Node implementation of the child launcher (src/common/child-launcher.ts):
 * child_process.fork with an IPC channel using structured-clone ("advanced") serialization.
 * Used by `auscult serve`, the CLI and the tests; the desktop app uses Electron's
 * utilityProcess instead (src/main/utility-launcher.ts), so it needs no runAsNode fuse.
 */
import { fork } from 'node:child_process';
import type { ChildLauncher, ChildLaunchOptions, LaunchedChild } from '../common/child-launcher.js';

function launch(modulePath: string, opts: ChildLaunchOptions): LaunchedChild {
  const child = fork(modulePath, [], {
    execArgv: opts.execArgv,
    env: opts.env,
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.on('error', () => undefined); // a failed start or send surfaces as exit
  return {
    get pid() {
      return child.pid;
    },
    get connected() {
      return child.connected;
    },
    send(message) {
      // A send racing the exit is dropped (the callback swallows its error; the exit is reported).
      if (child.connected) child.send(message as object, () => undefined);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    onMessage(l) {
      child.on('message', (m: unknown) => l(m));
    },
    onExit(l) {
      child.on('exit', (code, signal) => l(code, signal));
    },
    onDisconnect(l) {
      // Already closed: no more messages can arrive, say so now.
      if (!child.connected) l();
      else child.once('disconnect', l);
    },
    onStdout(l) {
      child.stdout?.on('data', (b: Buffer) => l(b));
    },
    onStderr(l) {
      child.stderr?.on('data', (b: Buffer) => l(b));
    },
    unref() {
      child.unref();
      (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
      (child.stdout as { unref?: () => void } | null)?.unref?.();
      (child.stderr as { unref?: () => void } | null)?.unref?.();
    },
  };
}

export const nodeChildLauncher: ChildLauncher = { kind: 'node-fork', launch };
