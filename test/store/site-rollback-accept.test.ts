/**
 * A site database restored from an older pg_dump (issue 17): a workstation that wrote after the
 * dump refuses it (naming the command), opens it pending with 'inspect' and writes nothing, and an
 * acceptance (Store.acceptRollback on a site) signs a record into its own checkpoint log and an
 * `audit.rollback-accepted` entry onto the site's chain, after what other workstations wrote on the
 * restored copy. Verify then reports the accepted rollback (from this workstation's log, and from
 * the chain on another's), the history goes on, and a later restore is caught again. A copy
 * damaged after the restore is not accepted. Real PostgreSQL (test/support/pg-cluster.ts).
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store, StoreError } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import { approveSiteKeys, openTestSite, stopTestClusters, type TestSite } from './helpers.js';

after(stopTestClusters);

function append(store: Store, n: number, username = 'nina'): void {
  for (let i = 0; i < n; i++)
    store.tx(() =>
      store.audit.append({
        username,
        action: 'recording.view',
        objectType: 'recording',
        objectId: i,
        transport: 'http',
      }),
    );
}

const rolledBack = (e: unknown) => e instanceof StoreError && e.code === 'ROLLED_BACK';

/** Two workstations of one site, each with its own signing folder (key and checkpoint log). */
interface TwoDesks {
  site: TestSite;
  a: string;
  b: string;
  open(sign: string, inspect?: boolean): Store;
  verify(sign: string): ReturnType<Store['verifyAudit']>;
  logOf(sign: string): string;
  head(): number;
}

async function twoDesks(t: TestContext): Promise<TwoDesks | null> {
  const site = await openTestSite(t);
  if (!site) return null;
  const a = scratchDir('site-rb-a-');
  const b = scratchDir('site-rb-b-');
  const open = (sign: string, inspect = false) =>
    Store.openSite(site.url, { signing: { dir: sign, ...(inspect ? { rolledBack: 'inspect' as const } : {}) } });
  const d: TwoDesks = {
    site,
    a,
    b,
    open,
    verify(sign) {
      const s = Store.openSite(site.url, { readonly: true, signing: { dir: sign } });
      try {
        return s.verifyAudit();
      } finally {
        s.close();
      }
    },
    logOf(sign) {
      const s = Store.openSite(site.url, { readonly: true });
      try {
        return join(sign, `checkpoints-${s.dbId}.jsonl`);
      } finally {
        s.close();
      }
    },
    head() {
      return Number(site.cluster.psql('auscult_owner', site.name, 'SELECT max(seq) FROM audit_log').stdout.trim());
    },
  };
  return d;
}

/** A writes 3, B 2; the dump; A writes 4 more; the dump is restored; B writes 2 on the restored copy. */
async function restoredSite(t: TestContext) {
  const d = await twoDesks(t);
  if (!d) return null;
  let s = d.open(d.a);
  approveSiteKeys(d.site.cluster, d.site.name);
  append(s, 3);
  s.close();
  s = d.open(d.b);
  approveSiteKeys(d.site.cluster, d.site.name);
  append(s, 2, 'nora');
  s.close();
  const dumped = d.head();
  const dump = d.site.cluster.dump(d.site.name);
  s = d.open(d.a);
  append(s, 4);
  s.close();
  d.site.cluster.restore(d.site.name, dump);
  s = d.open(d.b); // B wrote nothing after the dump: its log agrees, and it writes on
  append(s, 2, 'nora');
  s.close();
  return { ...d, dumped, dump };
}

test('[postgresql] a site restored from an older dump: refused, pending, accepted by one workstation, verified, and the history goes on', async (t) => {
  const d = await restoredSite(t);
  if (!d) return;
  const { dumped } = d;
  assert.equal(dumped, 5);
  assert.throws(
    () => d.open(d.a),
    (e: unknown) =>
      rolledBack(e) &&
      /does not hold audit entry 9 .*restored from an older backup.*auscult restore accept --db 'postgresql:\/\/ws_test@/.test(
        (e as Error).message,
      ),
  );
  const before = d.verify(d.a);
  assert.equal(before.ok, false);

  const logBefore = readFileSync(d.logOf(d.a), 'utf8');
  const inspect = d.open(d.a, true);
  const p = inspect.rollbackPending;
  assert.deepEqual(
    { base: p?.base.seq, held: p?.held.seq, lost: p?.lost.seq, lostCheckpoints: p?.lostCheckpoints, resume: p?.resume },
    { base: 7, held: 3, lost: 9, lostCheckpoints: 4, resume: null },
  );
  // Nothing is written while it is pending: no audit entry, and the log is as it was.
  assert.throws(() => append(inspect, 1), /signing key/);
  assert.equal(d.head(), 7);
  inspect.recordRollbackRefusal({ username: 'nina', reason: 'not-admin', transport: 'cli', peer: 'os:nina' });
  const details = inspect.acceptRollback({ username: 'ada', osAccount: 'ada-os' });
  inspect.close();
  assert.deepEqual(details.base.seq, 7);
  assert.deepEqual(details.lost, { fromSeq: 4, toSeq: 9, head: p?.lost.hash, checkpointAt: p?.lost.at });
  assert.deepEqual(details.held, { seq: 3, hash: p?.held.hash, lostCheckpoints: 4 });
  assert.deepEqual(
    details.refusedAttempts?.map((r) => [r.username, r.reason]),
    [['nina', 'not-admin']],
  );
  const log = readFileSync(d.logOf(d.a), 'utf8');
  assert.ok(log.startsWith(logBefore));
  assert.match(log.slice(logBefore.length), /"format":"auscult.rollback-accepted\/1".*"held":\{"seq":3/);

  // The entry is on the site's chain right after the head it kept, signed by this workstation.
  const row = d.site.cluster
    .psql(
      'auscult_owner',
      d.site.name,
      "SELECT seq, username, details_json FROM audit_log WHERE action = 'audit.rollback-accepted'",
    )
    .stdout.trim()
    .split('|');
  assert.equal(row[0], '8');
  assert.equal(row[1], 'ada');
  assert.equal((JSON.parse(row[2]!) as { osAccount: string }).osAccount, 'ada-os');

  const mine = d.verify(d.a);
  assert.equal(mine.ok, true, mine.reason ?? '');
  assert.deepEqual(
    mine.acceptedRollbacks?.map((r) => [r.heldSeq, r.baseSeq, r.lostSeq, r.acceptedBy]),
    [[3, 7, 9, 'ada']],
  );
  assert.ok(mine.notes?.some((n) => /rollback accepted by ada.*entries 4\.\.9 of the old history/.test(n)));
  // Another workstation's verify names the acceptance from the chain (its record is in A's log).
  const theirs = d.verify(d.b);
  assert.equal(theirs.ok, true, theirs.reason ?? '');
  assert.ok(theirs.notes?.some((n) => /entry 8 records a rollback accepted by ada/.test(n)));

  // The history goes on, on both workstations, and both verify.
  const a = d.open(d.a);
  assert.equal(a.rollbackPending, null);
  append(a, 2);
  a.close();
  const b = d.open(d.b);
  append(b, 1, 'nora');
  b.close();
  for (const sign of [d.a, d.b]) {
    const r = d.verify(sign);
    assert.equal(r.ok, true, r.reason ?? '');
    assert.equal(r.entries, 11);
  }
  assert.equal(d.verify(d.a).checkpoint?.seq, 10);
});

test('[postgresql] after an accepted restore, a later restore of an older dump is caught again and can be accepted again', async (t) => {
  const d = await restoredSite(t);
  if (!d) return;
  let s = d.open(d.a, true);
  s.acceptRollback({ username: 'ada', osAccount: 'root' });
  s.close();
  s = d.open(d.a);
  append(s, 1);
  s.close();
  const second = d.site.cluster.dump(d.site.name); // 9 entries
  s = d.open(d.a);
  append(s, 3);
  s.close();
  d.site.cluster.restore(d.site.name, second);
  assert.throws(() => d.open(d.a), rolledBack);
  assert.equal(d.verify(d.a).ok, false);

  s = d.open(d.a, true);
  assert.deepEqual(
    { base: s.rollbackPending?.base.seq, held: s.rollbackPending?.held.seq, lost: s.rollbackPending?.lost.seq },
    { base: 9, held: 9, lost: 12 },
  );
  s.acceptRollback({ username: 'ada', osAccount: 'root' });
  s.close();
  const r = d.verify(d.a);
  assert.equal(r.ok, true, r.reason ?? '');
  assert.deepEqual(
    r.acceptedRollbacks?.map((x) => [x.baseSeq, x.lostSeq]),
    [
      [7, 9],
      [9, 12],
    ],
  );

  // Restored once more to the first dump, from before the first acceptance: caught again.
  d.site.cluster.restore(d.site.name, d.dump);
  assert.throws(() => d.open(d.a), rolledBack);
  s = d.open(d.a, true);
  assert.equal(s.rollbackPending?.held.seq, 3);
  assert.equal(s.rollbackPending?.base.seq, 5);
  s.close();
});

test('[postgresql] a restored copy damaged since is not accepted, and nothing is written', async (t) => {
  const d = await restoredSite(t);
  if (!d) return;
  const s = d.open(d.a, true);
  try {
    assert.ok(s.rollbackPending);
    // The superuser (or the owner) edits a kept entry: the chain no longer verifies.
    const r = d.site.cluster.psql(
      'postgres',
      d.site.name,
      "SET session_replication_role = replica; UPDATE audit_log SET username = 'mallory' WHERE seq = 2;",
    );
    assert.equal(r.status, 0, r.stderr);
    const log = readFileSync(d.logOf(d.a), 'utf8');
    assert.throws(
      () => s.acceptRollback({ username: 'ada', osAccount: 'root' }),
      (e: unknown) =>
        rolledBack(e) && /not an intact older state.*entry 2.*Nothing was changed/.test((e as Error).message),
    );
    assert.equal(d.head(), 7);
    assert.equal(readFileSync(d.logOf(d.a), 'utf8'), log);
    assert.ok(s.rollbackPending, 'still pending: nothing can be written');
    assert.throws(() => append(s, 1), /signing key/);
  } finally {
    s.close();
  }
});

test('[postgresql] a workstation whose key was registered after the dump accepts too; its key then awaits approval again', async (t) => {
  const d = await twoDesks(t);
  if (!d) return;
  let s = d.open(d.a);
  approveSiteKeys(d.site.cluster, d.site.name);
  append(s, 2);
  s.close();
  const dump = d.site.cluster.dump(d.site.name);
  s = d.open(d.b); // B's first start: its key is registered after the dump
  approveSiteKeys(d.site.cluster, d.site.name);
  append(s, 2, 'nora');
  s.close();
  d.site.cluster.restore(d.site.name, dump);
  const keys = () =>
    d.site.cluster.psql('auscult_owner', d.site.name, 'SELECT count(*) FROM workstation_keys').stdout.trim();
  assert.equal(keys(), '1');
  s = d.open(d.b, true);
  assert.deepEqual(
    { base: s.rollbackPending?.base.seq, held: s.rollbackPending?.held.seq, lost: s.rollbackPending?.lost.seq },
    { base: 2, held: 0, lost: 4 },
  );
  assert.equal(keys(), '1', 'pending: not even the key is registered');
  s.acceptRollback({ username: 'ada', osAccount: 'root' });
  s.close();
  assert.equal(keys(), '2');
  const waiting = d.verify(d.b);
  assert.equal(waiting.ok, false);
  assert.equal(waiting.awaitingApproval?.seq, 3);
  approveSiteKeys(d.site.cluster, d.site.name);
  const r = d.verify(d.b);
  assert.equal(r.ok, true, r.reason ?? '');
  assert.deepEqual(
    r.acceptedRollbacks?.map((x) => [x.heldSeq, x.baseSeq, x.lostSeq]),
    [[0, 2, 4]],
  );
});

test('[postgresql] a crash after the acceptance entry, before its record reached the log: asked again, and the second acceptance verifies', async (t) => {
  const d = await restoredSite(t);
  if (!d) return;
  const log = d.logOf(d.a);
  const before = readFileSync(log, 'utf8');
  let s = d.open(d.a, true);
  s.acceptRollback({ username: 'ada', osAccount: 'root' });
  s.close();
  assert.equal(d.head(), 8);
  writeFileSync(log, before); // the record and the entry's checkpoint never reached the disk
  assert.throws(() => d.open(d.a), rolledBack);
  s = d.open(d.a, true);
  assert.equal(s.rollbackPending?.base.seq, 8);
  s.acceptRollback({ username: 'ada', osAccount: 'root' });
  s.close();
  const r = d.verify(d.a);
  assert.equal(r.ok, true, r.reason ?? '');
  assert.deepEqual(
    r.acceptedRollbacks?.map((x) => x.baseSeq),
    [8],
  );
  assert.ok(r.notes?.some((n) => /entry 8 records a rollback accepted by ada/.test(n)));
});
