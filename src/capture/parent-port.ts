/**
 * The child's side of the launcher contract (src/common/child-launcher.ts): the same three
 * operations whether this process was started by child_process.fork (process.send and
 * process.on('message')) or by Electron's utilityProcess.fork (process.parentPort, whose
 * messages come wrapped as `{ data }`).
 */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

export interface ParentPort {
  /** Send to the parent; `done` runs once the message is handed over (its failure = parent gone). */
  send(message: unknown, done?: (err: Error | null) => void): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Whether the parent can still be reached. */
  readonly connected: boolean;
  /** Run `listener` when the parent goes away (a forked child sees its channel close). */
  onParentGone(listener: () => void): void;
}

export function parentPort(): ParentPort {
  const electron = (process as { parentPort?: ElectronParentPort }).parentPort;
  if (electron) {
    // A utility process is ended by Electron with its parent; postMessage has no completion.
    return {
      send(message, done) {
        electron.postMessage(message);
        if (done) queueMicrotask(() => done(null));
      },
      onMessage(l) {
        electron.on('message', (e) => l(e.data));
      },
      connected: true,
      onParentGone() {
        /* Electron ends the utility process itself */
      },
    };
  }
  if (!process.send) throw new Error('this helper must be started by its parent (no IPC channel)');
  return {
    send(message, done) {
      if (!process.connected) return done?.(new Error('parent gone'));
      process.send!(message, undefined, {}, (err) => done?.(err ?? null));
    },
    onMessage(l) {
      process.on('message', (m: unknown) => l(m));
    },
    get connected() {
      return process.connected;
    },
    onParentGone(l) {
      process.on('disconnect', l);
    },
  };
}
