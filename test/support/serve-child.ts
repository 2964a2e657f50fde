/**
 * `auscult serve` as a child process, as a user starts it: the compiled CLI (or the TypeScript
 * source under tsx), ready once it prints its `Open: http://127.0.0.1:PORT/#token=…` line. The
 * e2e harness (a standalone workstation) and site-serve.ts (workstations of one site) both start
 * it through here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './paths.js';

const UNDER_TSX = fileURLToPath(import.meta.url).endsWith('.ts');

export interface ServeChild {
  /** The address to open, with its token. */
  url: string;
  port: number;
  token: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGINT, as Ctrl-C; SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or power loss would. */
  kill(): Promise<void>;
}

/** Starts `auscult serve <args>`; `label` names it in the error when it does not come up in 90 s. */
export async function spawnServe(args: string[], opts: { env: NodeJS.ProcessEnv; label: string }): Promise<ServeChild> {
  const cli = UNDER_TSX
    ? ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')]
    : [join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js')];
  const child: ChildProcess = spawn(process.execPath, [...cli, 'serve', ...args], {
    cwd: PROJECT_ROOT,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.label} did not start within 90 s:\n${out}`)), 90_000);
    const check = (): void => {
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.label} exited (${code}) before it was ready:\n${out}`));
    });
  });
  const m = /:(\d+)\/#token=([0-9a-f]+)/.exec(url) as RegExpExecArray;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    url,
    port: Number(m[1]),
    token: m[2]!,
    output: () => out,
    async stop() {
      if (!running()) return;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
