/** Service test fixtures: a Workstation on a fresh SQLite file or site database with one user per role. */
import { approveSiteKeys } from '../support/site-serve.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import type { Transport } from '../../src/service/api.js';
import { ROLES, type Role } from '../../src/common/roles.js';
import { ApiError } from '../../src/service/errors.js';
import { hashPassword } from '../../src/store/index.js';
import { Workstation, type CallContext, type WorkstationOptions } from '../../src/service/workstation.js';
import type { TestContext } from 'node:test';
import { scratchDir } from '../support/paths.js';
import { openTestSite, type Engine, type TestSite } from '../store/helpers.js';

export { ENGINES, stopTestClusters, type Engine } from '../store/helpers.js';

export const PASSWORD = 'correct horse battery';
let sharedHash: Promise<string> | undefined;

export interface Fixture {
  ws: Workstation;
  dir: string;
  dbPath: string;
  /** A signed-in context per role (user names: nurse, nurse2, pulmonologist, auditor, admin). */
  as: Record<Role | 'nurse2', CallContext>;
  /** The site database (openEngineFixture on PostgreSQL): psql as its owner or superuser. */
  site?: TestSite;
}

/**
 * The fixture on either engine: PostgreSQL, a fresh site database in the test process's one
 * cluster (its `dbPath` is the site URL). Null when PostgreSQL is missing: the test was skipped
 * (in CI that fails instead). Call `stopTestClusters` from the file's `after`.
 */
export async function openEngineFixture(
  engine: Engine,
  t: TestContext,
  opts: Partial<WorkstationOptions> = {},
): Promise<Fixture | null> {
  if (engine === 'sqlite') return openFixture(opts);
  const site = await openTestSite(t);
  if (!site) return null;
  const fx = await openFixture({ dbPath: site.url, ...opts });
  approveSiteKeys(site.cluster, site.name); // the site's owner approved this workstation's key
  // A failed assertion must not leave the live-updates listener holding the process open.
  t.after(() => fx.ws.close());
  return { ...fx, site };
}

export async function openFixture(opts: Partial<WorkstationOptions> = {}): Promise<Fixture> {
  const dir = scratchDir('auscult-service-');
  const dbPath = opts.dbPath ?? join(dir, 'auscult.sqlite');
  const ws = await Workstation.open({ dataDir: dir, engine: null, ...opts, dbPath });
  const store = ws.internals.store;
  // scrypt is deliberately slow: hash the shared test password once per process.
  const passwordHash = await (sharedHash ??= hashPassword(PASSWORD));
  store.tx(() => {
    for (const [username, role] of [...ROLES.map((r) => [r, r]), ['nurse2', 'nurse']] as const) {
      store.users.create({ username, displayName: `Test ${username}`, role, passwordHash });
    }
  });
  // Sessions without the password check (tests of sign-in itself use signIn below).
  const as = {} as Fixture['as'];
  for (const u of [...ROLES, 'nurse2'] as const)
    as[u] = { sessionToken: ws.signInLocal(u, 'http'), transport: 'http', peer: '127.0.0.1' };
  return { ws, dir, dbPath, as };
}

export async function signIn(ws: Workstation, username: string, transport: Transport = 'http'): Promise<CallContext> {
  const ctx: CallContext = { sessionToken: null, transport, peer: '127.0.0.1' };
  const s = await ws.call(ctx, 'auth.signIn', { username, password: PASSWORD });
  ctx.sessionToken = s.token;
  return ctx;
}

/** Rejects with an ApiError of this code (and returns it for more checks). */
export async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** A 16-bit mono PCM WAV: a tone with a little noise. */
export function wavBytes(opts: { rate?: number; seconds?: number; freq?: number } = {}): Buffer {
  const rate = opts.rate ?? 4000;
  const n = Math.round(rate * (opts.seconds ?? 1));
  const samples = Float32Array.from(
    { length: n },
    (_, i) => 0.3 * Math.sin((2 * Math.PI * (opts.freq ?? 200) * i) / rate) + 0.01 * (Math.random() - 0.5),
  );
  return Buffer.from(encodeWav16(samples, rate));
}

export function writeWav(path: string, opts: Parameters<typeof wavBytes>[0] = {}): Buffer {
  const b = wavBytes(opts);
  writeFileSync(path, b);
  return b;
}

/** A fingerprint of everything stored: row counts of every table and the audit head. */
export function fingerprint(ws: Workstation): string {
  const store = ws.internals.store;
  const db = store.db;
  const tableList =
    store.engine === 'postgresql'
      ? "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
      : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
  const tables = (db.prepare(tableList).all() as { name: string }[]).map((t) => t.name);
  const counts = tables.map((t) => `${t}=${(db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n}`);
  return `${counts.join(',')};head=${ws.internals.store.audit.head().hash}`;
}
