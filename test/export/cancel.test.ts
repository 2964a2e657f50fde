/** Cancelling (or failing) an export leaves nothing under the final name, and no temp files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { ExportJobs, type ExportJobState } from '../../src/export/jobs.js';
import { scratchDir } from '../support/paths.js';

function seeded(n: number) {
  const dir = scratchDir('auscult-cancel-');
  const db = openDatabase(join(dir, 'a.db'));
  const log = new AuditLog(db);
  db.transaction(() => {
    for (let i = 0; i < n; i++)
      log.append({
        username: 'u',
        action: 'recording.view',
        objectType: 'recording',
        objectId: i,
        transport: 'ipc',
        details: { i },
      });
  })();
  return { dir, db };
}

test('a cancelled audit export leaves the destination as it was', async () => {
  const { dir, db } = seeded(60_000);
  const dest = join(dir, 'dest');
  mkdirSync(dest);
  writeFileSync(join(dest, 'keep.txt'), "the user's own file");
  const seen: ExportJobState[] = [];
  let finished: ExportJobState | null = null;
  const jobs = new ExportJobs(
    { db, readWav: async () => Buffer.alloc(0), spectrogram: async () => null, model: null, disclaimer: 'd' },
    {
      progress: (j) => seen.push(j),
      finished: (j) => {
        finished = j;
      },
    },
  );
  const job = await jobs.start({ kind: 'audit-history', scope: {}, destinationDir: dest, username: 'aud' });
  // Cancel as soon as the first rows are written.
  while (!(jobs.get(job.id)!.rows > 0)) await new Promise((r) => setImmediate(r));
  jobs.cancel(job.id);
  const end = await jobs.wait(job.id);
  assert.equal(end.state, 'cancelled');
  assert.ok(end.rows < 60_000, `cancelled part-way (${end.rows} rows)`);
  assert.deepEqual(readdirSync(dest), ['keep.txt'], 'no final name, no temp files');
  assert.equal((finished as ExportJobState | null)?.state, 'cancelled');
  assert.equal(seen.at(-1)?.state, 'cancelled');
  db.close();
});

test('a finished export does not overwrite, and a failing one cleans up', async () => {
  const { dir, db } = seeded(10);
  const dest = join(dir, 'dest');
  mkdirSync(dest);
  const jobs = new ExportJobs(
    {
      db,
      readWav: async () => {
        throw new Error('disk on fire');
      },
      spectrogram: async () => null,
      model: null,
      disclaimer: 'd',
    },
    { progress: () => undefined, finished: () => undefined },
  );
  const ok = await jobs.wait(
    (await jobs.start({ kind: 'audit-history', scope: {}, destinationDir: dest, username: 'aud' })).id,
  );
  assert.equal(ok.state, 'done');
  assert.equal(ok.progress, 1);
  assert.deepEqual(readdirSync(ok.destination).sort(), ['audit-history.csv', 'audit-history.jsonl', 'manifest.json']);
  const again = await jobs.wait(
    (await jobs.start({ kind: 'audit-history', scope: {}, destinationDir: dest, username: 'aud' })).id,
  );
  assert.equal(again.state, 'done');
  assert.notEqual(again.destination, ok.destination, 'a second export in the same second gets its own name');
  // Recordings need WAVs; the reader fails: no folder is left. (No recordings here: insert one.)
  db.exec(`INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at) VALUES ('n','n','nurse','x','t','t');
           INSERT INTO patients (mrn, given_name, family_name, created_at, updated_at) VALUES ('M1','A','B','t','t');
           INSERT INTO recordings (patient_id, site, device_name, sample_rate, duration_sec, file_name, wav_sha256, status, recorded_by, recorded_at, created_at)
             VALUES (1,'trachea','dev',4000,3,'f.wav','x','recorded',1,'2026-01-01T00:00:00.000Z','t');`);
  const before = readdirSync(dest).sort();
  const bad = await jobs.wait(
    (await jobs.start({ kind: 'recordings', scope: {}, destinationDir: dest, username: 'doc' })).id,
  );
  assert.equal(bad.state, 'failed');
  assert.match(bad.error!, /disk on fire/);
  const badZip = await jobs.wait(
    (await jobs.start({ kind: 'recordings', scope: {}, zip: true, destinationDir: dest, username: 'doc' })).id,
  );
  assert.equal(badZip.state, 'failed');
  assert.deepEqual(readdirSync(dest).sort(), before, 'nothing new, no temp files');
  await assert.rejects(
    jobs.start({ kind: 'analyses', scope: {}, destinationDir: join(dir, 'nope'), username: 'aud' }),
    { code: 'DESTINATION' } as object,
  );
  db.close();
});
