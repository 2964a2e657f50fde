/**
 * Workstations of one site, as the clinic runs them: each a real `auscult serve` process on the
 * same PostgreSQL database (its own login role, data folder and signing key), reached over its
 * loopback WebSocket. Users are created first by the owner role (which migrates the schema), as
 * `auscult users add --db postgresql://…` would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store, hashPassword } from '../../src/store/index.js';
import type { Role } from '../../src/service/api.js';
import { PROJECT_ROOT, scratchDir } from './paths.js';
import type { PgCluster } from './pg-cluster.js';

const UNDER_TSX = fileURLToPath(import.meta.url).endsWith('.ts');

export interface SiteUser {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

/**
 * The owner migrates the site database and creates the accounts. Returns the owner's signing
 * folder: open the site as the owner with it again to verify (its checkpoint log is there).
 */
export async function seedSite(cluster: PgCluster, database: string, users: SiteUser[]): Promise<string> {
  const hashes = await Promise.all(users.map((u) => hashPassword(u.password)));
  const signing = scratchDir('sign-owner-');
  const store = Store.openSite(cluster.url('auscult_owner', database), { signing: { dir: signing } });
  try {
    users.forEach((u, i) =>
      store.tx(() => {
        const made = store.users.create({
          username: u.username,
          displayName: u.displayName,
          role: u.role,
          passwordHash: hashes[i]!,
        });
        store.audit.append({
          username: null,
          action: 'user.create',
          transport: 'cli',
          objectType: 'user',
          objectId: made.id,
        });
      }),
    );
    return signing;
  } finally {
    store.close();
  }
}

export interface SiteServe {
  /** The address to open, with its token. */
  url: string;
  port: number;
  token: string;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** One workstation: `auscult serve --db <site url> --data-dir <own folder> --no-engine`. */
export async function startSiteServe(dbUrl: string, name: string): Promise<SiteServe> {
  const dataDir = join(scratchDir(`site-${name}-`), 'data');
  mkdirSync(dataDir, { recursive: true });
  const cli = UNDER_TSX
    ? ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')]
    : [join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js')];
  const child: ChildProcess = spawn(
    process.execPath,
    [...cli, 'serve', '--db', dbUrl, '--data-dir', dataDir, '--no-engine'],
    { cwd: PROJECT_ROOT, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve ${name} did not start within 90 s:\n${out}`)), 90_000);
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
      reject(new Error(`serve ${name} exited (${code}) before it was ready:\n${out}`));
    });
  });
  const m = /:(\d+)\/#token=([0-9a-f]+)/.exec(url) as RegExpExecArray;
  return {
    url,
    port: Number(m[1]),
    token: m[2]!,
    dataDir,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
