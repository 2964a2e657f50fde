/**
 * Per-connection flow control of the loopback server against the real service: a client that
 * never reads cannot grow the server's memory (back-pressure on every answer, not only live
 * events), and one client's flood of searches does not stall another client's call (fairness).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoopbackServer, type LoopbackServer } from '../../src/server/loopback-server.js';
import { Workstation } from '../../src/service/workstation.js';
import { USERS, seedUsers } from '../e2e/seed.js';
import { wavBytes } from '../service/helpers.js';
import { scratchDir } from '../support/paths.js';
import { WireClient } from '../support/wire-client.js';

let ws: Workstation;
let server: LoopbackServer;
let recordingId = 0;

async function signedIn(user = USERS.nurse): Promise<WireClient> {
  const c = await WireClient.open(server.port, server.token);
  const r = await c.call('auth.signIn', { username: user.username, password: user.password });
  assert.equal(r.ok, true);
  return c;
}

before(async () => {
  const dir = scratchDir('auscult-flow-');
  const dbPath = join(dir, 'db.sqlite');
  await seedUsers(dbPath, [USERS.nurse, USERS.doctor]);
  ws = await Workstation.open({ dbPath, dataDir: join(dir, 'data'), engine: null });
  server = await startLoopbackServer({ workstation: ws, rendererDir: join(dir, 'no-ui') });
  const c = await signedIn();
  const p = (await c.call('patients.create', { mrn: 'FLOW-1', givenName: 'Ada', familyName: 'Flow' })) as {
    result: { id: number };
  };
  for (let i = 0; i < 20; i++)
    await c.call('patients.create', { mrn: `FLOW-${i + 2}`, givenName: 'Bea', familyName: `Flow${i}` });
  const rec = (await c.call('recordings.import', {
    patientId: p.result.id,
    site: 'trachea',
    fileName: 'a.wav',
    wavBase64: wavBytes({ rate: 16000, seconds: 30 }).toString('base64'), // ~0.96 MB, 1.3 MB as base64
  })) as { ok: boolean; result: { recording: { id: number } } };
  assert.equal(rec.ok, true);
  recordingId = rec.result.recording.id;
  c.close();
});

after(async () => {
  await server.close();
  await ws.close();
});

test('a client that never reads: 3,000 recordings.audio requests leave the server memory flat; others are served', async () => {
  const reader = await signedIn(USERS.doctor);
  const stuck = await signedIn();
  global.gc?.();
  const base = process.memoryUsage();
  stuck.ws.pause(); // it never reads its answers again
  for (let i = 0; i < 3000; i++)
    stuck.ws.send(JSON.stringify({ id: 10_000 + i, method: 'recordings.audio', params: { id: recordingId } }));
  // Let the server take all it will: keep probing with the other client meanwhile.
  let peakRss = 0;
  let peakExternal = 0;
  for (let i = 0; i < 40; i++) {
    const r = await reader.call('auth.whoami', {});
    assert.equal(r.ok, true, 'the other client is answered');
    await new Promise((res) => setTimeout(res, 50));
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss - base.rss);
    peakExternal = Math.max(peakExternal, m.external + m.heapUsed - base.external - base.heapUsed);
  }
  // Unbounded, 3,000 answers of 1.3 MB would be ~3.9 GB queued; bounded, a few tens of MB.
  const MB = 1024 * 1024;
  assert.ok(peakRss < 200 * MB, `server RSS grew by ${(peakRss / MB).toFixed(0)} MB`);
  assert.ok(peakExternal < 200 * MB, `heap + external grew by ${(peakExternal / MB).toFixed(0)} MB`);
  assert.equal(server.connections(), 2);
  stuck.close();
  reader.close();
});

test('fairness: 5,000 searches sent in one burst by one client do not stall another client’s call', async () => {
  const before = ws.internals.store.audit.head().seq;
  const here = dirname(fileURLToPath(import.meta.url));
  const script = existsSync(join(here, 'flood-child.js')) ? join(here, 'flood-child.js') : join(here, 'flood-child.ts');
  // Both clients in another process, so the burst and the probe reach the server as they would
  // from other programs (this process only serves).
  const child = spawn(
    process.execPath,
    [
      ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []),
      script,
      String(server.port),
      server.token,
      USERS.nurse.username,
      USERS.nurse.password,
      USERS.doctor.username,
      USERS.doctor.password,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  assert.equal(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 0);
  assert.match(out, /done 5001/, 'every search is answered');
  // Served between the flood's requests, not after all of them: the audit log's order is the
  // order the server ran them in (ordering, not timing).
  const seqOf = (sql: string, ...args: unknown[]): number =>
    ws.internals.store.db
      .prepare(sql)
      .pluck()
      .get(...args) as number;
  const probeSeq = seqOf(
    "SELECT seq FROM audit_log WHERE action = 'patient.search' AND username = ? AND seq > ?",
    USERS.doctor.username,
    before,
  );
  const floodBefore = seqOf(
    "SELECT count(*) FROM audit_log WHERE action = 'patient.search' AND username = ? AND seq > ? AND seq < ?",
    USERS.nurse.username,
    before,
    probeSeq,
  );
  assert.ok(floodBefore < 500, `the probe ran after ${floodBefore} of the flood's 5,000 searches`);
  // The audit says that a search happened and whose names it showed, not the typed text.
  const last = ws.internals.store.audit.list({ action: 'patient.search', username: USERS.nurse.username }, 1, 0)
    .items[0]!;
  assert.ok(!JSON.stringify(last).toLowerCase().includes('flow'), JSON.stringify(last));
  assert.equal((last.details as { results: number }).results, 21);
});
