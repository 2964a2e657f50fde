import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { AuditLog } from '../../src/store/audit-log.js';
import {
  auditEntriesForExport,
  auditHashAt,
  auditHeadForExport,
  auditSeqsForExport,
} from '../../src/store/export-queries.js';
import {
  writeAuditExport,
  AUDIT_CSV,
  AUDIT_JSONL,
  MANIFEST,
  type AuditExportScope,
} from '../../src/export/audit-export.js';
import { verifyAuditExport, type AuditChainLookup } from '../../src/export/audit-verify.js';
import { StagingFolder } from '../../src/export/file-sink.js';
import { scratchDir } from '../support/paths.js';

function makeDb(n: number) {
  const dir = scratchDir('auscult-audit-export-');
  const db = openDatabase(join(dir, 'a.db'));
  const log = new AuditLog(db);
  db.transaction(() => {
    for (let i = 1; i <= n; i++) {
      log.append({
        username: i % 3 ? 'nurse1' : "dr.o'brien",
        action: i % 4 ? 'recording.view' : 'patient.update',
        objectType: i % 4 ? 'recording' : 'patient',
        objectId: String(i % 7),
        transport: 'ipc',
        // Awkward text on purpose: quotes, commas, newlines, a formula-like start, non-ASCII.
        details: {
          note: i % 5 === 0 ? '=HYPERLINK("x"), "quoted"\r\nnext line' : `Ünïcödé ${i}`,
          n: i,
          patientId: i % 7,
        },
        at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      });
    }
  })();
  return { dir, db, log };
}

async function exportTo(
  db: ReturnType<typeof makeDb>['db'],
  dest: string,
  scope: AuditExportScope,
  name: string,
  bom = false,
) {
  const head = auditHeadForExport(db);
  const staging = await StagingFolder.create(dest, name);
  const res = await writeAuditExport(
    staging,
    auditEntriesForExport(db, scope, head.seq),
    {
      exportedAt: new Date().toISOString(),
      exportedBy: 'auditor1',
      scope,
      contiguous: scope.patientId === undefined,
      chainHead: head,
      hashAlgorithm: 'sha256-chain/1',
    },
    { bom },
  );
  await staging.commit();
  return { folder: staging.finalPath, res };
}

function lookup(db: ReturnType<typeof makeDb>['db']): AuditChainLookup {
  return { hashAt: (s) => auditHashAt(db, s), seqsInScope: (scope, upto) => auditSeqsForExport(db, scope, upto) };
}

test('a full audit export verifies, on its own and against the database', async () => {
  const { dir, db } = makeDb(9000); // > 2 query batches
  const { folder, res } = await exportTo(db, dir, {}, 'all', true);
  assert.equal(res.manifest.entries, 9000);
  assert.equal(res.manifest.firstSeq, 1);
  assert.equal(res.manifest.lastSeq, 9000);
  const csv = readFileSync(join(folder, AUDIT_CSV), 'utf8');
  assert.ok(csv.startsWith('\ufeffseq,at,username'), 'BOM then header');
  assert.ok(
    csv.includes('"{""n"":5,""note"":""=HYPERLINK(\\""x\\""), \\""quoted\\""\\r\\nnext line"",""patientId"":5}"'),
    'details as canonical JSON, quotes doubled',
  );
  const v = await verifyAuditExport(folder, { db: lookup(db) });
  assert.equal(v.ok, true, JSON.stringify(v.firstBad));
  assert.equal(v.entries, 9000);
  db.close();
});

test('an edited, deleted or reordered line is named; so is a bad CSV line', async () => {
  const { dir, db } = makeDb(50);
  const { folder } = await exportTo(db, dir, {}, 'all');
  const jsonl = join(folder, AUDIT_JSONL);
  const original = readFileSync(jsonl, 'utf8');
  const lines = original.trimEnd().split('\n');

  writeFileSync(
    jsonl,
    lines.map((l, i) => (i === 20 ? l.replace('recording.view', 'recording.sign') : l)).join('\n') + '\n',
  );
  let v = await verifyAuditExport(folder);
  assert.equal(v.ok, false);
  assert.deepEqual([v.firstBad?.file, v.firstBad?.line, v.firstBad?.seq], [AUDIT_JSONL, 21, 21]);
  assert.match(v.firstBad!.reason, /altered/);

  writeFileSync(jsonl, lines.filter((_, i) => i !== 29).join('\n') + '\n');
  v = await verifyAuditExport(folder);
  assert.deepEqual([v.firstBad?.line, v.firstBad?.seq], [30, 31]);
  assert.match(v.firstBad!.reason, /missing/);

  const swapped = [...lines];
  [swapped[9], swapped[10]] = [swapped[10]!, swapped[9]!];
  writeFileSync(jsonl, swapped.join('\n') + '\n');
  v = await verifyAuditExport(folder);
  assert.equal(v.firstBad?.line, 10);

  // Dropping the last line is caught by the manifest's count.
  writeFileSync(jsonl, lines.slice(0, -1).join('\n') + '\n');
  v = await verifyAuditExport(folder);
  assert.equal(v.ok, false);

  writeFileSync(jsonl, original);
  const csvPath = join(folder, AUDIT_CSV);
  const csv = readFileSync(csvPath, 'utf8');
  writeFileSync(csvPath, csv.replace('nurse1', 'nurse2')); // first nurse1 row is seq 1, line 2
  v = await verifyAuditExport(folder);
  assert.deepEqual([v.firstBad?.file, v.firstBad?.line, v.firstBad?.seq], [AUDIT_CSV, 2, 1]);

  writeFileSync(csvPath, csv);
  assert.equal((await verifyAuditExport(folder)).ok, true);
  // A byte appended to a file is caught by its SHA-256 even when every line still parses.
  writeFileSync(jsonl, original);
  const man = JSON.parse(readFileSync(join(folder, MANIFEST), 'utf8')) as { files: { sha256: string }[] };
  man.files[1]!.sha256 = '0'.repeat(64);
  writeFileSync(join(folder, MANIFEST), JSON.stringify(man));
  v = await verifyAuditExport(folder);
  assert.equal(v.firstBad?.file, AUDIT_JSONL);
  db.close();
});

test('a filtered (patient) export verifies; one that leaves an entry out fails against the database', async () => {
  const { dir, db, log } = makeDb(200);
  const { folder, res } = await exportTo(db, dir, { patientId: 3 }, 'p3');
  assert.ok(res.manifest.entries > 10 && res.manifest.entries < 200);
  assert.equal(res.manifest.contiguous, false);
  assert.equal((await verifyAuditExport(folder, { db: lookup(db) })).ok, true);
  // Entries appended after the export are outside its snapshot: still verifies.
  db.transaction(() =>
    log.append({ username: 'x', action: 'patient.view', objectType: 'patient', objectId: '3', transport: 'cli' }),
  )();
  assert.equal((await verifyAuditExport(folder, { db: lookup(db) })).ok, true);

  // Remove one line and rewrite the manifest consistently: only the database can tell.
  const jsonl = join(folder, AUDIT_JSONL);
  const csvPath = join(folder, AUDIT_CSV);
  const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n');
  const csvLines = readFileSync(csvPath, 'utf8').split('\r\n');
  // Only rows without embedded newlines are in this scope's middle? Pick a row whose CSV is one line.
  let k = 3;
  while (!csvLines[k + 1]!.startsWith(`${(JSON.parse(lines[k]!) as { seq: number }).seq},`)) k++;
  writeFileSync(jsonl, lines.filter((_, i) => i !== k).join('\n') + '\n');
  writeFileSync(csvPath, csvLines.filter((_, i) => i !== k + 1).join('\r\n'));
  const man = JSON.parse(readFileSync(join(folder, MANIFEST), 'utf8')) as {
    entries: number;
    files: Array<{ name: string; bytes: number; sha256: string; rows: number }>;
  };
  man.entries -= 1;
  for (const f of man.files) {
    const buf = readFileSync(join(folder, f.name));
    f.bytes = buf.length;
    f.sha256 = (await import('node:crypto')).createHash('sha256').update(buf).digest('hex');
    f.rows -= 1;
  }
  writeFileSync(join(folder, MANIFEST), JSON.stringify(man));
  assert.equal((await verifyAuditExport(folder)).ok, true, 'internally consistent without the database');
  const v = await verifyAuditExport(folder, { db: lookup(db) });
  assert.equal(v.ok, false);
  assert.equal(v.firstBad?.line, k + 1);
  assert.match(v.firstBad.reason, /left it out/);
  db.close();
});

test('a missing manifest or folder is reported, not thrown', async () => {
  const dir = scratchDir('auscult-audit-empty-');
  const v = await verifyAuditExport(dir);
  assert.equal(v.ok, false);
  assert.equal(v.firstBad?.file, MANIFEST);
  await fsp.rm(dir, { recursive: true });
});
