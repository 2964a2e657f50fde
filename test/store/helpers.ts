/** Shared fixtures for store tests: a fresh database file in a temp folder, and sample rows. */
import { join } from 'node:path';
import { Store, type NewAnalysis, type OpenOptions } from '../../src/store/index.js';
import type { TestContext } from 'node:test';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys } from '../support/site-serve.js';

export function tempDb(opts: OpenOptions = {}): { store: Store; path: string; dir: string } {
  const dir = scratchDir('auscult-store-');
  const path = join(dir, 'auscult.sqlite');
  return { store: Store.open(path, opts), path, dir };
}

export function seedUser(store: Store, username = 'nina', role = 'nurse'): number {
  return store.tx(() => store.users.create({ username, displayName: username, role, passwordHash: 'x' }).id);
}

export function seedPatient(
  store: Store,
  mrn: string,
  given: string,
  family: string,
  createdBy: number | null = null,
): number {
  return store.tx(() => store.patients.create({ mrn, givenName: given, familyName: family, createdBy }).id);
}

let fileCounter = 0;
export function seedRecording(
  store: Store,
  patientId: number,
  userId: number,
  recordedAt = new Date().toISOString(),
): number {
  return store.tx(() =>
    store.recordings.insert({
      patientId,
      site: 'trachea',
      deviceName: 'test',
      sampleRate: 4000,
      durationSec: 3,
      fileName: `f${++fileCounter}-${Math.random()}.wav`,
      wavSha256: 'a'.repeat(64),
      status: 'recorded',
      recordedBy: userId,
      recordedAt,
    }),
  );
}

export function sampleAnalysis(topClass = 'copd'): NewAnalysis {
  return {
    engineVersion: '1.0.0',
    headName: 'head',
    headVersion: '1',
    probabilities: { asthma: 0.1, copd: 0.6, pneumonia: 0.1, healthy: 0.1, bronchial: 0.1 },
    pAbnormal: 0.9,
    topClass,
    status: 'ok',
    quality: 'good',
    resultJson: JSON.stringify({ topClass }),
  };
}

/** The engines a behaviour test runs on: the embedded SQLite file and a site database. */
export const ENGINES = ['sqlite', 'postgresql'] as const;
export type Engine = (typeof ENGINES)[number];

let cluster: Promise<PgCluster | null> | null = null;
let skipReason: string | null = null;
let sites = 0;

/** A fresh, migrated site database for one test: its workstation and owner URLs, and the cluster. */
export interface TestSite {
  url: string;
  ownerUrl: string;
  /** The database's name in the cluster (for psql). */
  name: string;
  cluster: PgCluster;
}

const siteOf = new WeakMap<Store, TestSite>();

/**
 * A new database in the one throwaway cluster of this test process, migrated by the owner; the
 * workstations' role (`ws_test`) opens it. Null when PostgreSQL is missing here: the test was
 * skipped with the reason (in CI that fails instead).
 */
export async function openTestSite(t: TestContext): Promise<TestSite | null> {
  cluster ??= startPgCluster((reason) => (skipReason = reason));
  const c = await cluster;
  if (!c) {
    t.skip(skipReason ?? 'PostgreSQL is not available');
    return null;
  }
  const name = `test_${process.pid}_${++sites}`;
  c.createSite(name, sites === 1 ? ['ws_test'] : []);
  const ownerUrl = c.url('auscult_owner', name);
  Store.openSite(ownerUrl).close(); // the owner migrates
  return { url: c.url('ws_test', name), ownerUrl, name, cluster: c };
}

/**
 * A fresh, empty store on either engine (PostgreSQL: a new database in one throwaway cluster per
 * test process, opened as the workstations' role after the owner migrated it). Null when
 * PostgreSQL is missing here: the test was skipped with the reason (in CI that fails instead).
 */
export async function openTestStore(
  engine: Engine,
  t: TestContext,
  opts: { signing?: string } = {},
): Promise<Store | null> {
  if (engine === 'sqlite') {
    if (!opts.signing) return tempDb().store;
    const dir = scratchDir('auscult-store-');
    return Store.open(join(dir, 'auscult.sqlite'), { signing: { dir: opts.signing } });
  }
  const site = await openTestSite(t);
  if (!site) return null;
  const store = Store.openSite(site.url, { signing: { dir: opts.signing ?? scratchDir('auscult-sign-') } });
  siteOf.set(store, site);
  approveSiteKeys(site.cluster, site.name); // the site's owner approved this workstation's key (as `auscult site approve-key` does)
  return store;
}

export { approveSiteKeys };

/** The same database as `store` (closed or not) opened again, on its engine. */
export function reopenTestStore(store: Store, opts: { readonly?: boolean; signing?: string } = {}): Store {
  const signing = opts.signing ? { signing: { dir: opts.signing } } : {};
  const site = siteOf.get(store);
  if (!site) return Store.open(store.path, { readonly: opts.readonly ?? false, ...signing });
  const again = Store.openSite(site.url, { readonly: opts.readonly ?? false, ...signing });
  siteOf.set(again, site);
  return again;
}

/** The site database a store from openTestStore is on (undefined for SQLite). */
export function testSiteOf(store: Store): TestSite | undefined {
  return siteOf.get(store);
}

/**
 * What an attacker who holds the database itself can do, past the append-only guards: SQLite,
 * the file's owner drops the audit triggers; PostgreSQL, the server's superuser (psql as
 * `postgres`) with triggers off for the session. The workstations' role can do neither (the
 * audit-attacks tests show that).
 */
export function tamper(store: Store, sql: string): void {
  const site = siteOf.get(store);
  if (!site) {
    store.db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
    store.db.exec(sql);
    return;
  }
  const r = site.cluster.psql('postgres', site.name, `SET session_replication_role = replica;\n${sql}`);
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
}

/** Stop the cluster openTestStore started (call from the file's `after`). */
export async function stopTestClusters(): Promise<void> {
  const c = await cluster;
  c?.stop();
  cluster = null;
}
