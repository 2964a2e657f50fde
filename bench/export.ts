/**
 * Export throughput and memory (issue 7): the audit log export of 1,000,000 entries (CSV + JSON
 * Lines + manifest in one pass), its verification, and the analyses CSV of 10,000 recordings.
 * Peak memory is sampled while each export runs; the 100,000-entry run beside the 1,000,000 one
 * shows whether memory stays flat in the number of rows (streaming). Goal: ≥ 100,000 rows/s.
 *   npm run bench -- export            (compiled)      node --import tsx bench/export.ts   (source)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { openDatabase } from '../src/store/database.js';
import { auditEntryHash, canonicalJson, GENESIS_HASH } from '../src/store/audit-log.js';
import { ExportJobs, type ExportJobState } from '../src/export/jobs.js';
import { verifyAuditExport } from '../src/export/audit-verify.js';
import type { ManifestSigning } from '../src/export/manifest-signature.js';
import { documentMessage, entryMessage, makeCheckpoint, signerFrom, trustedKeys } from '../src/store/audit-signing.js';
import { generateKeyPairSync } from 'node:crypto';

export const title = 'exports: audit log 1,000,000 entries, analyses of 10,000 recordings';

const ACTIONS = ['recording.view', 'patient.view', 'recording.list', 'finding.add', 'recording.sign', 'patient.update'];

function seedAudit(db: Database.Database, from: number, to: number, prev: string): string {
  const ins =
    db.prepare(`INSERT INTO audit_log (seq, at, username, action, object_type, object_id, transport, details_json, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const t0 = Date.UTC(2025, 0, 1);
  let prevHash = prev;
  const batch = db.transaction((a: number, b: number) => {
    for (let seq = a; seq <= b; seq++) {
      const f = {
        seq,
        at: new Date(t0 + seq * 30_000).toISOString(),
        username: `user${seq % 40}`,
        action: ACTIONS[seq % ACTIONS.length]!,
        objectType: 'recording',
        objectId: String(seq % 10_000),
        transport: seq % 3 ? 'ipc' : 'http',
        detailsJson: canonicalJson({ patientId: seq % 1000, peer: '127.0.0.1', results: seq % 17 }),
      };
      const hash = auditEntryHash(prevHash, f);
      ins.run(f.seq, f.at, f.username, f.action, f.objectType, f.objectId, f.transport, f.detailsJson, prevHash, hash);
      prevHash = hash;
    }
  });
  for (let a = from; a <= to; a += 50_000) batch(a, Math.min(to, a + 49_999));
  return prevHash;
}

function seedRecordings(db: Database.Database, n: number): void {
  const now = '2026-01-01T00:00:00.000Z';
  db.prepare(
    `INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at) VALUES ('nurse', 'N', 'nurse', 'x', ?, ?)`,
  ).run(now, now);
  const pat = db.prepare(
    `INSERT INTO patients (mrn, given_name, family_name, birth_date, sex, created_at, updated_at) VALUES (?, ?, ?, '1970-01-01', 'female', ?, ?)`,
  );
  const rec =
    db.prepare(`INSERT INTO recordings (patient_id, site, device_name, sample_rate, duration_sec, file_name, wav_sha256, status, recorded_by, recorded_at, created_at, quality)
    VALUES (?, 'trachea', 'Littmann CORE', 4000, 20, ?, ?, 'recorded', 1, ?, ?, 'good')`);
  const ana =
    db.prepare(`INSERT INTO analyses (recording_id, created_at, engine_version, head_name, head_version, p_asthma, p_copd, p_pneumonia, p_healthy, p_bronchial, p_abnormal, top_class, status, quality, result_json)
    VALUES (?, ?, '0.1.0', 'head', '1.0.0', 0.1, 0.5, 0.1, 0.2, 0.1, 0.8, 'copd', 'ok', 'good', '{}')`);
  db.transaction(() => {
    for (let p = 1; p <= n / 10; p++) pat.run(`MRN-${p}`, `Given ${p}`, `Family, "${p}"`, now, now);
    for (let i = 1; i <= n; i++) {
      const id = Number(
        rec.run(
          1 + (i % (n / 10)),
          `r${i}.wav`,
          'a'.repeat(64),
          new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
          now,
        ).lastInsertRowid,
      );
      ana.run(id, now);
    }
  })();
}

async function measure(
  label: string,
  db: Database.Database,
  kind: 'audit-history' | 'analyses',
  dest: string,
  signing: ManifestSigning | null = null,
): Promise<ExportJobState> {
  const jobs = new ExportJobs(
    {
      db,
      readWav: () => Promise.resolve(Buffer.alloc(0)),
      spectrogram: () => Promise.resolve(null),
      model: null,
      disclaimer: '',
      signing,
    },
    { progress: () => undefined, finished: () => undefined },
  );
  globalThis.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const job = await jobs.wait((await jobs.start({ kind, scope: {}, destinationDir: dest, username: 'bench' })).id);
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  clearInterval(timer);
  if (job.state !== 'done') throw new Error(`${label}: ${job.state} ${job.error}`);
  const bytes = job.files.reduce((s, f) => s + f.bytes, 0);
  const mb = (x: number): string => (x / 1048576).toFixed(0);
  console.log(
    `   ${label.padEnd(34)} ${job.rows.toLocaleString('en')} rows in ${sec.toFixed(2)} s = ${Math.round(job.rows / sec).toLocaleString('en')} rows/s ` +
      `(CPU ${cpuSec.toFixed(2)} s = ${Math.round(job.rows / cpuSec).toLocaleString('en')} rows per CPU-second); ` +
      `${mb(bytes)} MB written; peak RSS +${mb(peakRss - base.rss)} MB (${mb(peakRss)} MB), peak heap +${mb(peakHeap - base.heapUsed)} MB`,
  );
  return job;
}

export async function run(): Promise<void> {
  // Wall time depends on what else the machine runs; CPU time shows the exporter's own cost.
  console.log(
    `   load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
  const dir = join(tmpdir(), `auscult-bench-export-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const db = openDatabase(join(dir, 'bench.sqlite'));
    let t0 = performance.now();
    const head = seedAudit(db, 1, 100_000, GENESIS_HASH);
    console.log(`   seeded 100,000 audit entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    mkdirSync(join(dir, 'out'));
    await measure('audit export, 100,000 entries', db, 'audit-history', join(dir, 'out'));
    t0 = performance.now();
    seedAudit(db, 100_001, 1_000_000, head);
    console.log(`   seeded to 1,000,000 audit entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const big = await measure('audit export, 1,000,000 entries', db, 'audit-history', join(dir, 'out'));
    t0 = performance.now();
    const c0 = process.cpuUsage();
    const v = await verifyAuditExport(big.destination);
    const c = process.cpuUsage(c0);
    console.log(
      `   verify the 1,000,000-entry export: ${v.ok ? 'OK' : 'FAILED ' + JSON.stringify(v.firstBad)} in ${((performance.now() - t0) / 1000).toFixed(1)} s (CPU ${((c.user + c.system) / 1e6).toFixed(1)} s)`,
    );
    // The same export signed (issue 14): a signed manifest with the latest checkpoint, verified
    // against the trusted key; beside today's unsigned figures above.
    const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const head1m = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as {
      seq: number;
      hash: string;
    };
    const dbId = 'bench';
    const cp = makeCheckpoint(
      signer.keyId,
      dbId,
      { ...head1m, sig: signer.sign(entryMessage(dbId, head1m.seq, head1m.hash)).toString('base64') },
      new Date().toISOString(),
    );
    const signing: ManifestSigning = {
      keyId: signer.keyId,
      publicKey: signer.publicKey,
      latestCheckpoint: () => cp,
      signDocument: (prefix, canonical) => signer.sign(documentMessage(prefix, canonical)).toString('base64'),
    };
    const signedJob = await measure('audit export, 1,000,000, signed', db, 'audit-history', join(dir, 'out'), signing);
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const sv = await verifyAuditExport(signedJob.destination, { keys: trustedKeys([signer.publicKey]) });
    const cs = process.cpuUsage(c1);
    console.log(
      `   verify the signed 1,000,000-entry export (manifest signature + checkpoint, trusted key): ${sv.ok ? 'OK' : 'FAILED ' + JSON.stringify(sv.firstBad)} in ${((performance.now() - t1) / 1000).toFixed(1)} s (CPU ${((cs.user + cs.system) / 1e6).toFixed(1)} s)`,
    );
    seedRecordings(db, 10_000);
    await measure('analyses CSV, 10,000 recordings', db, 'analyses', join(dir, 'out'));
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
