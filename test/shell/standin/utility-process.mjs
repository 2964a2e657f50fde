// A stand-in for Electron's `utilityProcess` (its documented surface: fork(modulePath, args,
// {env, execArgv, serviceName, stdio}) → {pid, stdout, stderr, postMessage, kill, on('spawn' |
// 'message' | 'exit')}), built on child_process.fork. The child gets `process.parentPort` as a
// utility process has it (messages arrive as `{ data }`), from parent-port-shim.mjs, so the
// child-side code takes the same branch it takes under Electron.
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';

const shim = fileURLToPath(new URL('./parent-port-shim.mjs', import.meta.url));

class StandInUtilityProcess extends EventEmitter {
  constructor(modulePath, args, options) {
    super();
    if (options?.stdio !== 'pipe') throw new Error('the stand-in supports stdio: pipe only');
    this.child = fork(modulePath, args ?? [], {
      env: options?.env ?? process.env,
      execArgv: ['--import', shim, ...(options?.execArgv ?? [])],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.stdout = this.child.stdout;
    this.stderr = this.child.stderr;
    this.child.on('spawn', () => this.emit('spawn'));
    this.child.on('message', (m) => this.emit('message', m));
    // Electron reports an exit code only (a killed process gets a non-zero one).
    this.child.on('exit', (code, signal) => this.emit('exit', code ?? (signal ? 1 : 0)));
    this.child.on('error', () => undefined);
  }
  get pid() {
    return this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }
  postMessage(message) {
    if (this.child.connected) this.child.send(message);
  }
  kill() {
    return this.child.kill('SIGTERM');
  }
}

export const utilityProcess = {
  fork: (modulePath, args, options) => new StandInUtilityProcess(modulePath, args, options),
};
