/**
 * Workstations of one site, as the clinic runs them: each a real `auscult serve` process on the
 * same PostgreSQL database (its own login role, data folder and signing key), reached over its
 * loopback WebSocket. Users are created first by the owner role (which migrates the schema), as
 * `auscult users add --db postgresql://…` would.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Store, hashPassword } from '../../src/store/index.js';
import type { Role } from '../../src/service/api.js';
import { scratchDir } from './paths.js';
import { spawnServe, type ServeChild } from './serve-child.js';
import type { PgCluster } from './pg-cluster.js';
import { createAccount } from './accounts.js';

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
        createAccount(store, {
          username: u.username,
          displayName: u.displayName,
          role: u.role,
          passwordHash: hashes[i]!,
        });
      }),
    );
    return signing;
  } finally {
    store.close();
  }
}

/**
 * The site's owner approves every key awaiting approval, by psql (test setup: what
 * `auscult site approve-key` does per key; the command and its refusals are tested in
 * test/store/pg-key-approval.test.ts and test/cli/site-db.test.ts). Returns how many it approved.
 */
export function approveSiteKeys(cluster: PgCluster, database: string): number {
  const r = cluster.psql(
    'auscult_owner',
    database,
    'WITH a AS (UPDATE workstation_keys SET approved_at = now()::text, approved_by = current_user WHERE approved_at IS NULL RETURNING 1) SELECT count(*) FROM a',
  );
  if (r.status !== 0) throw new Error(`approving the site's keys: ${r.stderr}`);
  return Number(r.stdout.trim());
}

export interface SiteServe extends ServeChild {
  dataDir: string;
}

/** One workstation: `auscult serve --db <site url> --data-dir <own folder> --no-engine`. */
export async function startSiteServe(dbUrl: string, name: string): Promise<SiteServe> {
  const dataDir = join(scratchDir(`site-${name}-`), 'data');
  mkdirSync(dataDir, { recursive: true });
  const child = await spawnServe(['--db', dbUrl, '--data-dir', dataDir, '--no-engine'], {
    env: { ...process.env },
    label: `serve ${name}`,
  });
  return { ...child, dataDir };
}
