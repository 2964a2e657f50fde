/**
 * A throwaway PostgreSQL cluster for a test file: `initdb` in a temporary folder as an
 * unprivileged user (PostgreSQL refuses root; we run as root, so as `nobody`, who owns the
 * folder), a free port, the unix socket in that folder and no TCP listener, stopped and removed
 * by `stop()`. Without PostgreSQL's binaries: skipped with a message, a failure in CI.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CI } from './ci.js';

export interface PgCluster {
  readonly dir: string;
  readonly port: number;
  /** A URL for libpq: `postgresql://role@/db?host=<socket dir>&port=<port>`. */
  url(role: string, database: string): string;
  /** psql as a role, ON_ERROR_STOP: the real client, for grants and attacks. */
  psql(role: string, database: string, sql: string): SpawnSyncReturns<string>;
  /** A fresh site database owned by `auscult_owner`, and a workstation login role in auscult_workstation. */
  createSite(name: string, workstationRoles?: string[]): void;
  /** The database as `pg_dump` writes it (plain SQL, as the superuser): a site's nightly backup. */
  dump(database: string): string;
  /** Drop the database (disconnecting everyone) and restore it from a `dump`: the backup restored. */
  restore(database: string, dump: string): void;
  stop(): void;
  /** Stop the server but keep its folder (store-and-forward tests bring it back). */
  pause(): void;
  resume(): void;
}

function findBin(name: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(':'))
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  const base = '/usr/lib/postgresql';
  if (existsSync(base))
    for (const v of readdirSync(base).sort().reverse()) {
      const p = join(base, v, 'bin', name);
      if (existsSync(p)) return p;
    }
  return null;
}

/** Why a cluster cannot be started here, or null when it can. */
export function pgMissing(): string | null {
  for (const b of ['initdb', 'pg_ctl', 'psql', 'pg_dump'])
    if (!findBin(b)) return `PostgreSQL's ${b} not found (setup.sh installs postgresql)`;
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'nobody', '--'] : [];

function run(cmd: string[], opts: { input?: string } = {}): SpawnSyncReturns<string> {
  const all = [...asUser, ...cmd];
  return spawnSync(all[0]!, all.slice(1), { encoding: 'utf8', input: opts.input, timeout: 60_000 });
}

function must(r: SpawnSyncReturns<string>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout || String(r.error)}`);
}

/**
 * Start a cluster, or null with `skip` called on a machine without PostgreSQL (a failure in CI).
 */
export async function startPgCluster(skip: (reason: string) => void): Promise<PgCluster | null> {
  const missing = pgMissing();
  if (missing) {
    if (IN_CI) assert.fail(`${missing} (this runs in CI, where a missing service is a failure)`);
    skip(missing);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'auscult-pg-'));
  chmodSync(dir, 0o755);
  if (asUser.length) {
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' });
    chownSync(dir, Number(nobody.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  must(
    run([findBin('initdb')!, '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '-A', 'trust']),
    'initdb',
  );
  const opts = `-c port=${port} -c listen_addresses='' -c unix_socket_directories='${dir}' -c fsync=off -c max_connections=60`;
  const start = () =>
    must(
      run([findBin('pg_ctl')!, '-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', opts, 'start']),
      'pg_ctl start',
    );
  const stopServer = () => run([findBin('pg_ctl')!, '-D', data, '-w', '-t', '60', '-m', 'fast', 'stop']);
  start();
  let running = true;
  const psql = (role: string, database: string, sql: string) =>
    run(
      [
        findBin('psql')!,
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        role,
        '-d',
        database,
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-At',
      ],
      {
        input: sql,
      },
    );
  return {
    dir,
    port,
    url: (role, database) => `postgresql://${role}@/${database}?host=${encodeURIComponent(dir)}&port=${port}`,
    psql,
    createSite(name, workstationRoles = ['ws1']) {
      const roles = ['auscult_owner', 'auscult_workstation', ...workstationRoles];
      const exists = psql(
        'postgres',
        'postgres',
        `SELECT rolname FROM pg_roles WHERE rolname IN (${roles.map((r) => `'${r}'`).join(',')})`,
      );
      const have = new Set(exists.stdout.split('\n').filter(Boolean));
      const sql = [
        have.has('auscult_owner') ? '' : 'CREATE ROLE auscult_owner LOGIN CREATEROLE;',
        have.has('auscult_workstation') ? '' : 'CREATE ROLE auscult_workstation NOLOGIN;',
        ...workstationRoles
          .filter((r) => !have.has(r))
          .map((r) => `CREATE ROLE ${r} LOGIN IN ROLE auscult_workstation;`),
        `CREATE DATABASE ${name} OWNER auscult_owner;`,
      ].join('\n');
      must(psql('postgres', 'postgres', sql), `creating site database ${name}`);
      must(
        psql('postgres', name, 'CREATE EXTENSION IF NOT EXISTS citext; CREATE EXTENSION IF NOT EXISTS pg_trgm;'),
        'extensions',
      );
    },
    dump(database) {
      const r = run([findBin('pg_dump')!, '-h', dir, '-p', String(port), '-U', 'postgres', '-d', database]);
      must(r, `pg_dump ${database}`);
      return r.stdout;
    },
    restore(database, dump) {
      must(
        psql(
          'postgres',
          'postgres',
          `DROP DATABASE ${database} WITH (FORCE);\nCREATE DATABASE ${database} OWNER auscult_owner;`,
        ),
        `recreating ${database}`,
      );
      must(psql('postgres', database, dump), `restoring ${database} from its dump`);
    },
    pause() {
      if (running) must(stopServer(), 'pg_ctl stop');
      running = false;
    },
    resume() {
      if (!running) start();
      running = true;
    },
    stop() {
      if (running) stopServer();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
