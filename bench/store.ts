/**
 * Store at scale: 100,000 recordings (each with its analysis and audit entry) over 10,000
 * patients in a real SQLite file. Prints insert throughput in batches, median latencies of the
 * lists the UI pages through (goal ≤ 5 ms), and the database size per recording.
 *   npm run bench -- store            (or: node --import tsx bench/store.ts)
 * BENCH_STORE_RECORDINGS / BENCH_STORE_PATIENTS shrink it for a quick look.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Store } from '../src/store/index.js';
import { patientMatch } from '../src/store/patients.js';
import { normalizeForSearch } from '../src/store/search-normalize.js';
import { Workstation } from '../src/service/workstation.js';

export const title = 'store: 100,000 recordings over 10,000 patients';

const FAMILY = [
  'Smith',
  'Müller',
  'García',
  'Nguyen',
  'Kowalski',
  'Haddad',
  'Okafor',
  'Rossi',
  'Johansson',
  'Tanaka',
  'Dubois',
  'Novak',
  'Silva',
  'Cohen',
  'Ivanova',
  'Ahmed',
  'Brown',
  'Lee',
  'Khan',
  'Larsen',
];
const GIVEN = [
  'Ann',
  'José',
  'Mia',
  'Omar',
  'Li',
  'Sara',
  'Jan',
  'Eva',
  'Noor',
  'Tom',
  'Aiko',
  'Lars',
  'Ana',
  'Yusuf',
  'Ewa',
  'Ben',
  'Zoë',
  'Ravi',
  'Ida',
  'Sam',
];
const SITES = [
  'trachea',
  'anterior-left-upper',
  'anterior-right-upper',
  'posterior-left-lower',
  'posterior-right-lower',
  'posterior-left-middle',
];
const CLASSES = ['asthma', 'copd', 'pneumonia', 'healthy', 'bronchial'] as const;

/** Deterministic pseudo-random numbers (the same database every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An AnalysisResult-sized JSON (a 3 s recording: 5 patches in the timeline). */
function resultJson(r: () => number, probs: Record<string, number>): string {
  const timeline = Array.from({ length: 5 }, (_, i) => ({
    startSec: i * 0.48,
    endSec: i * 0.48 + 0.96,
    probabilities: probs,
  }));
  return JSON.stringify({
    durationSec: 3,
    sampleRate: 4000,
    quality: {
      verdict: 'good',
      reasons: [],
      clippingRatio: 0,
      rmsDbfs: -20 - r() * 10,
      peakDbfs: -3,
      silenceRatio: 0.01,
      noiseFloorDbfs: -60,
    },
    patchCount: 5,
    embedding: { dims: 1024, patches: 5, meanL2Norm: 10 + r() },
    probabilities: probs,
    topClass: 'copd',
    screen: { pAbnormal: 1 - probs['healthy']!, label: 'abnormal' },
    status: 'ok',
    statusReasons: [],
    timeline,
    yamnetTop: [
      { index: 0, name: 'Speech', score: 0.2 },
      { index: 42, name: 'Breathing', score: 0.5 },
      { index: 47, name: 'Wheeze', score: 0.1 },
    ],
    models: {
      engineVersion: '1.0.0',
      yamnet: { file: 'yamnet.onnx', sha256: 'a'.repeat(64), sourceSha256: 'b'.repeat(64) },
      head: { name: 'head', version: '1', sha256: 'c'.repeat(64) },
    },
    sounds: null,
    learnedQuality: null,
    timingsMs: { resample: 1, frontEnd: 2, yamnet: 30, head: 1, sounds: 0, total: 35 },
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function time(n: number, fn: (i: number) => unknown): { median: number; p95: number } {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    xs.push(performance.now() - t);
  }
  const s = [...xs].sort((a, b) => a - b);
  return { median: median(xs), p95: s[Math.floor(s.length * 0.95)]! };
}
async function timeAsync(n: number, fn: (i: number) => Promise<unknown>): Promise<{ median: number; p95: number }> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    xs.push(performance.now() - t);
  }
  const s = [...xs].sort((a, b) => a - b);
  return { median: median(xs), p95: s[Math.floor(s.length * 0.95)]! };
}
const fmt = (x: { median: number; p95: number }) => `median ${x.median.toFixed(2)} ms, p95 ${x.p95.toFixed(2)} ms`;

export async function run(): Promise<void> {
  const nRec = Number(process.env['BENCH_STORE_RECORDINGS'] ?? 100_000);
  const nPat = Number(process.env['BENCH_STORE_PATIENTS'] ?? 10_000);
  // BENCH_STORE_KEEP=<folder>: build there once and keep it (for EXPLAIN QUERY PLAN and re-runs).
  const keep = process.env['BENCH_STORE_KEEP'];
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'auscult-bench-store-'));
  const dbPath = join(dir, 'auscult.sqlite');
  const r = rng(42);
  try {
    const reuse = keep !== undefined && existsSync(dbPath);
    const store = Store.open(dbPath);
    let t0 = 0;
    if (!reuse) {
      const nurse = store.tx(
        () => store.users.create({ username: 'nurse', displayName: 'N', role: 'nurse', passwordHash: 'x' }).id,
      );
      store.tx(() =>
        store.users.create({ username: 'pulm', displayName: 'P', role: 'pulmonologist', passwordHash: 'x' }),
      );

      t0 = performance.now();
      store.tx(() => {
        for (let i = 0; i < nPat; i++) {
          store.patients.create({
            mrn: `MRN${String(1_000_000 + i)}`,
            givenName: GIVEN[Math.floor(r() * GIVEN.length)]!,
            familyName: `${FAMILY[Math.floor(r() * FAMILY.length)]!}${i % 7 ? '' : '-' + FAMILY[i % FAMILY.length]!}`,
            createdBy: nurse,
          });
        }
      });
      console.log(`   ${nPat} patients inserted in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

      // Recordings with analyses and their audit entries, as the intake writes them, in batches.
      const BATCH = 1000;
      const cpu0 = process.cpuUsage();
      const start = Date.parse('2024-01-01T00:00:00Z');
      const span = Date.parse('2026-11-01T00:00:00Z') - start;
      t0 = performance.now();
      for (let b = 0; b < nRec; b += BATCH) {
        store.tx(() => {
          for (let i = b; i < Math.min(nRec, b + BATCH); i++) {
            const patientId = 1 + Math.floor(r() * nPat);
            const raw = CLASSES.map(() => r());
            const sum = raw.reduce((a, x) => a + x, 0);
            const probs = Object.fromEntries(CLASSES.map((c, k) => [c, raw[k]! / sum])) as Record<
              (typeof CLASSES)[number],
              number
            >;
            const topClass = CLASSES[raw.indexOf(Math.max(...raw))]!;
            const id = store.recordings.insert(
              {
                patientId,
                site: SITES[i % SITES.length]!,
                deviceName: 'Littmann CORE',
                sampleRate: 4000,
                durationSec: 3,
                fileName: `r${i}.wav`,
                wavSha256: 'd'.repeat(64),
                status: 'recorded',
                recordedBy: nurse,
                recordedAt: new Date(start + Math.floor(r() * span)).toISOString(),
              },
              {
                engineVersion: '1.0.0',
                headName: 'head',
                headVersion: '1',
                probabilities: probs,
                pAbnormal: 1 - probs.healthy,
                topClass,
                status: 'ok',
                quality: 'good',
                resultJson: resultJson(r, probs),
              },
            );
            store.audit.append({
              username: 'nurse',
              action: 'recording.create',
              objectType: 'recording',
              objectId: id,
              transport: 'ipc',
              details: { patientId, site: SITES[i % SITES.length] },
            });
          }
        });
      }
      const insertSec = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSec = (cpu.user + cpu.system) / 1e6;
      console.log(
        `   insert: ${nRec} recordings (+ analysis + audit entry each) in batches of ${BATCH}: ${(nRec / insertSec).toFixed(0)} recordings/s wall clock, ` +
          `${(nRec / cpuSec).toFixed(0)} per CPU-second (goal ≥ 2000/s; the two differ when other processes share the cores)`,
      );
      // Sign ~60 % so the review queue is the realistic remainder.
      store.db.exec(`UPDATE recordings SET signed_at = recorded_at, signed_by = 2 WHERE id % 5 < 3`);
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      store.db.exec('ANALYZE');
    }
    const patientIds = (store.db.prepare('SELECT id FROM patients ORDER BY id').all() as { id: number }[]).map(
      (x) => x.id,
    );
    const bytes = statSync(dbPath).size;
    console.log(
      `   database: ${(bytes / 1e6).toFixed(1)} MB = ${(bytes / nRec / 1024).toFixed(2)} KiB per recording (analysis JSON, audit entry and indexes included; WAVs are files beside it)`,
    );

    const prefixes = [
      'smi',
      'mü',
      'mu',
      'gar',
      'ngu',
      'kow',
      'had',
      'oka',
      'ros',
      'joh',
      'tan',
      'dub',
      'nov',
      'sil',
      'coh',
      'iva',
      'ahm',
      'bro',
      'le',
      'kha',
    ];
    const N = 200;
    console.log(`   median of ${N} runs each, page size 50 (goal ≤ 5 ms):`);
    // The condition alone (count + one page of ids), for the prefix search this replaced (range
    // scans over the search-key indexes) and the substring search (trigram index), same queries.
    const conditionCost = (sql: string, args: Record<string, string>) => {
      store.db.prepare(`SELECT count(*) FROM patients WHERE ${sql}`).pluck().get(args);
      store.db.prepare(`SELECT id FROM patients WHERE ${sql} ORDER BY family_norm, given_norm, id LIMIT 50`).all(args);
    };
    const PREFIX_SQL = `(mrn_norm >= @t AND mrn_norm < @te) OR (family_norm >= @t AND family_norm < @te) OR (given_norm >= @t AND given_norm < @te)`;
    const q3 = (i: number) => normalizeForSearch(FAMILY[i % FAMILY.length]!).slice(0, 3);
    console.log(
      `     condition, prefix (before):         ${fmt(time(N, (i) => conditionCost(PREFIX_SQL, { t: q3(i), te: `${q3(i)}\u{10FFFF}` })))}`,
    );
    console.log(
      `     condition, substring (now):         ${fmt(
        time(N, (i) => {
          const m = patientMatch(q3(i));
          conditionCost(m.sql, m.args);
        }),
      )}`,
    );
    const mid = (i: number) => normalizeForSearch(FAMILY[i % FAMILY.length]!).slice(1, 4);
    console.log(
      `     patient search, later part ("ull"): ${fmt(time(N, (i) => store.patients.search(mid(i), 50, 0)))}`,
    );
    console.log(
      `     patient search, 2 letters ("ul"):   ${fmt(time(N, (i) => store.patients.search(mid(i).slice(0, 2), 50, 0)))}`,
    );
    console.log(
      `     patient search, name start:         ${fmt(time(N, (i) => store.patients.search(prefixes[i % prefixes.length], 50, 0)))}`,
    );
    console.log(
      `     patient search, "given family":     ${fmt(time(N, (i) => store.patients.search(`${GIVEN[i % GIVEN.length]} ${prefixes[i % prefixes.length]}`, 50, 0)))}`,
    );
    console.log(
      `     patient search, identifier part:    ${fmt(time(N, (i) => store.patients.search(`10${String(i % 100).padStart(2, '0')}`, 50, 0)))}`,
    );
    console.log(
      `     recordings of patients matching:    ${fmt(time(N, (i) => store.recordings.list({ query: mid(i) }, 50, 0)))}`,
    );
    console.log(
      `     one patient's recordings (page 1):  ${fmt(time(N, (i) => store.recordings.list({ patientId: patientIds[(i * 37) % patientIds.length]! }, 50, 0)))}`,
    );
    console.log(`     review queue, page 1:               ${fmt(time(N, () => store.recordings.reviewQueue(50, 0)))}`);
    console.log(
      `     review queue, page 100:             ${fmt(time(N, () => store.recordings.reviewQueue(50, 4950)))}`,
    );
    console.log(
      `     recordings in a 1-month range:      ${fmt(time(N, (i) => store.recordings.list({ from: `2025-${String((i % 12) + 1).padStart(2, '0')}-01`, to: `2025-${String((i % 12) + 1).padStart(2, '0')}-28` }, 50, 0)))}`,
    );
    console.log(
      `     recordings, name + top class:       ${fmt(time(N, (i) => store.recordings.list({ query: prefixes[i % prefixes.length], topClass: 'copd' }, 50, 0)))}`,
    );
    store.close();

    // The same through the service: zod validation, session, role, and the audit entry's write.
    const ws = await Workstation.open({ dbPath, dataDir: dir, engine: null });
    const ctx = { sessionToken: ws.signInLocal('pulm', 'ipc'), transport: 'ipc' as const };
    console.log('   through the service (validation + role check + audit entry written in the same transaction):');
    console.log(
      `     patients.search:                    ${fmt(await timeAsync(N, (i) => ws.call(ctx, 'patients.search', { query: prefixes[i % prefixes.length] })))}`,
    );
    console.log(
      `     recordings.list (one patient):      ${fmt(await timeAsync(N, (i) => ws.call(ctx, 'recordings.list', { patientId: patientIds[(i * 37) % patientIds.length]! })))}`,
    );
    console.log(
      `     recordings.reviewQueue:             ${fmt(await timeAsync(N, () => ws.call(ctx, 'recordings.reviewQueue', {})))}`,
    );
    t0 = performance.now();
    const v = ws.internals.store.audit.verify();
    console.log(
      `   audit chain verify: ${v.entries} entries in ${((performance.now() - t0) / 1000).toFixed(2)} s (ok=${v.ok})`,
    );
    await ws.close();
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
