/**
 * `auscult site migrate` at scale, and what the store's import costs a single workstation:
 * - a standalone history of N recordings (default 10,000; BENCH_MIGRATE_RECORDINGS), each with its
 *   WAV (1 s at 4 kHz), analysis and signed intake entry, one in ten signed and sealed, is verified,
 *   copied into a throwaway PostgreSQL site (fsync on) in one transaction, and verified in full
 *   after the commit; a second run (nothing new) is timed too;
 * - the start-up row: importing the store and opening a SQLite file in a fresh process, with and
 *   without loading libpq (pg-native), which the store used to load at import (paired, alternating).
 *   npm run bench -- store-migrate
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav16 } from '../src/audio/wav-write.js';
import { Store } from '../src/store/index.js';
import { migrateToSite } from '../src/store/site-migrate.js';
import { startPgCluster } from '../test/support/pg-cluster.js';
import { fillRecordings, median, seedStaffAndPatients } from './_store-fill.js';

export const title = 'site migrate of a standalone history; the store import with and without libpq';

function buildHistory(dir: string, n: number): { db: string; signing: string; recordings: string } {
  const db = join(dir, 'auscult.sqlite');
  const signing = join(dir, 'signing');
  const recordings = join(dir, 'recordings');
  mkdirSync(recordings, { recursive: true });
  const store = Store.open(db, { signing: { dir: signing } });
  const nPat = Math.max(10, Math.floor(n / 10));
  seedStaffAndPatients(store, nPat, { reviewers: true, familyName: (i) => `Lee${i}` });
  const rate = 4000;
  fillRecordings(
    store,
    { from: 0, to: n, nPat, batch: 1 },
    (i) => {
      const samples = Float32Array.from(
        { length: rate },
        (_, k) => 0.3 * Math.sin((2 * Math.PI * (150 + (i % 97)) * k) / rate),
      );
      const wav = Buffer.from(encodeWav16(samples, rate));
      const sha = createHash('sha256').update(wav).digest('hex');
      const fileName = `rec-${i}.wav`;
      writeFileSync(join(recordings, fileName), wav);
      return { fileName, wavSha256: sha, durationSec: 1, status: 'imported', details: { sha256: sha } };
    },
    (id, i) => {
      if (i % 10 !== 0) return;
      const s = store.signRecording({
        recordingId: id,
        userId: 2,
        username: 'doc',
        fullName: 'Dr D',
        role: 'pulmonologist',
        label: 'copd',
        statement: 'reviewed',
        meaning: 'reviewed-agree',
      });
      store.audit.append({
        username: 'doc',
        action: 'recording.sign',
        objectType: 'recording',
        objectId: id,
        transport: 'cli',
        details: { sealSha256: s.sealSha256 },
      });
    },
  );
  store.close();
  return { db, signing, recordings };
}

/** A fresh process: import the store, open (and close) a SQLite file; optionally load libpq first. */
function startup(db: string, eager: boolean): { wall: number; cpu: number } {
  const storeIndex = fileURLToPath(new URL('../src/store/index.js', import.meta.url));
  const code = `
    const t0 = performance.now();
    ${eager ? "(await import('node:module')).createRequire(import.meta.url)('pg-native');" : ''}
    const { Store } = await import(${JSON.stringify(storeIndex)});
    Store.open(${JSON.stringify(db)}, { readonly: true }).close();
    const cpu = process.cpuUsage();
    console.log(JSON.stringify({ wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim()) as { wall: number; cpu: number };
}

export async function run(): Promise<void> {
  const n = Number(process.env['BENCH_MIGRATE_RECORDINGS'] ?? 10_000);
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-migrate-'));
  const cluster = await startPgCluster((reason) => console.log(`   skipped: ${reason}`));
  try {
    let t0 = performance.now();
    const h = buildHistory(dir, n);
    console.log(
      `   standalone history: ${n} recordings (1 s WAVs at 4 kHz, 1 in 10 signed) built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // start-up: the same process work with libpq loaded (the store before) and without (now), alternating
    const lazy: { wall: number; cpu: number }[] = [];
    const eager: { wall: number; cpu: number }[] = [];
    startup(h.db, false);
    for (let i = 0; i < 15; i++) {
      eager.push(startup(h.db, true));
      lazy.push(startup(h.db, false));
    }
    const fmt = (xs: { wall: number; cpu: number }[]) =>
      `${median(xs.map((x) => x.wall)).toFixed(0)} ms wall, ${median(xs.map((x) => x.cpu)).toFixed(0)} ms CPU (whole process)`;
    console.log(
      `   fresh process, import the store + open a SQLite file (medians of 15 alternating): with libpq loaded (the store before) ${fmt(eager)}; without (now) ${fmt(lazy)}`,
    );

    if (!cluster) return;
    cluster.createSite('bench_migrate', ['ws_bench']);
    Store.openSite(cluster.url('auscult_owner', 'bench_migrate')).close();
    cluster.psql('postgres', 'postgres', 'ALTER SYSTEM SET fsync = on; SELECT pg_reload_conf();');
    const url = cluster.url('ws_bench', 'bench_migrate');
    for (const label of ['first run', 'second run (nothing new)']) {
      const source = Store.open(h.db, { signing: { dir: h.signing } });
      const site = Store.openSite(url, { signing: { dir: h.signing }, statementTimeoutMs: 120_000 });
      try {
        t0 = performance.now();
        const r = migrateToSite(source, site, {
          by: { username: 'admin', osAccount: 'bench' },
          readWav: (f) => readFileSync(join(h.recordings, f)),
        });
        const s = (performance.now() - t0) / 1000;
        console.log(
          `   ${label}: ${s.toFixed(1)} s for source verify + copy + in-transaction verify + commit + full verify ` +
            `(${r.copied.recordings} recordings, ${r.copied.audio} WAVs, ${r.copied.seals} re-sealed, ${r.copied.auditEntries} audit entries copied; ` +
            `site chain ${r.siteChain.entries} entries, ${r.siteChain.signaturesBeforeCommit} signatures checked before the commit, ${r.siteChain.signaturesChecked} after)` +
            (r.copied.recordings ? `, ${(r.copied.recordings / s).toFixed(0)} recordings/s` : ''),
        );
      } finally {
        site.close();
        source.close();
      }
    }
    t0 = performance.now();
    const reader = Store.openSite(url, { readonly: true, signing: { dir: h.signing } });
    const v = reader.verifyAudit();
    const seals = reader.verifySeals();
    reader.close();
    console.log(
      `   verify the site afterwards by itself: chain ${v.ok ? 'OK' : `BROKEN: ${v.reason}`} (${v.entries} entries), ${seals.checked} seals, ${seals.problems.length} problems, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  } finally {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
