/**
 * Store at scale: 100,000 recordings (each with its analysis and audit entry) over 10,000
 * patients in a real SQLite file — twice, side by side: a plain database (the baseline) and one
 * encrypted at rest (SQLite3 Multiple Ciphers, the data folder's key), built from the same rows
 * in lockstep (each batch goes into both, in alternating order) and queried in alternation, so
 * both see the same machine load. Prints insert throughput, median latencies of the lists the UI
 * pages through (goal ≤ 5 ms), the database size per recording, and how much slower encrypted is
 * (goal ≤ 15 %).
 *   npm run bench -- store            (or: node --import tsx bench/store.ts)
 * BENCH_STORE_RECORDINGS / BENCH_STORE_PATIENTS shrink it for a quick look.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AtRestKey } from '../src/common/at-rest.js';
import { CLASS_ORDER, type ClassName } from '../src/common/classes.js';
import { initEncryption } from '../src/service/at-rest-keys.js';
import { Store } from '../src/store/index.js';
import { patientMatch } from '../src/store/patients.js';
import { normalizeForSearch } from '../src/store/search-normalize.js';
import { Workstation } from '../src/service/workstation.js';
import { FAMILY } from './_store-fill.js';
import { mulberry32 } from '../src/common/mulberry32.js';

export const title = 'store: 100,000 recordings over 10,000 patients, plain beside encrypted at rest';

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

/** Deterministic pseudo-random numbers (the same database every run). */
const rng = mulberry32;

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
function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.95)]!;
}

const MODES = ['plain', 'encrypted'] as const;
type Mode = (typeof MODES)[number];
interface Side {
  mode: Mode;
  dir: string;
  dbPath: string;
  key: AtRestKey | null;
  store: Store;
}

/** One figure of both sides: a time (lower is better) or a rate (higher is better). */
interface Row {
  name: string;
  unit: 'ms' | '/s' | 'KiB';
  plain: number;
  encrypted: number;
  p95?: { plain: number; encrypted: number };
}

/** `fn` on both sides, N times, alternating which goes first; medians per side. */
function paired(n: number, sides: Side[], fn: (s: Side, i: number) => unknown): Record<Mode, number[]> {
  const xs: Record<Mode, number[]> = { plain: [], encrypted: [] };
  for (let i = 0; i < n; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      const t = performance.now();
      fn(s, i);
      xs[s.mode].push(performance.now() - t);
    }
  }
  return xs;
}
async function pairedAsync(
  n: number,
  sides: { mode: Mode; ws: Workstation; ctx: { sessionToken: string; transport: 'ipc' } }[],
  fn: (ws: Workstation, ctx: { sessionToken: string; transport: 'ipc' }, i: number) => Promise<unknown>,
): Promise<Record<Mode, number[]>> {
  const xs: Record<Mode, number[]> = { plain: [], encrypted: [] };
  for (let i = 0; i < n; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      const t = performance.now();
      await fn(s.ws, s.ctx, i);
      xs[s.mode].push(performance.now() - t);
    }
  }
  return xs;
}
function timeRow(name: string, xs: Record<Mode, number[]>): Row {
  return {
    name,
    unit: 'ms',
    plain: median(xs.plain),
    encrypted: median(xs.encrypted),
    p95: { plain: p95(xs.plain), encrypted: p95(xs.encrypted) },
  };
}

/** How much slower encrypted is, in per cent (rates: fewer per second is slower). */
function slower(r: Row): number {
  return r.unit === '/s' ? (r.plain / r.encrypted - 1) * 100 : (r.encrypted / r.plain - 1) * 100;
}

function printTable(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.name.length));
  const num = (x: number, unit: Row['unit']) =>
    unit === '/s' ? `${x.toFixed(0)}/s` : unit === 'KiB' ? `${x.toFixed(2)} KiB` : `${x.toFixed(2)} ms`;
  console.log(`   ${'figure'.padEnd(w)}  ${'plain'.padStart(12)}  ${'encrypted'.padStart(12)}  slower`);
  for (const r of rows) {
    const pct = slower(r);
    console.log(
      `   ${r.name.padEnd(w)}  ${num(r.plain, r.unit).padStart(12)}  ${num(r.encrypted, r.unit).padStart(12)}  ${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %${r.unit !== 'KiB' && pct > 15 ? '  (over the 15 % goal)' : ''}`,
    );
  }
}

function openSide(mode: Mode): Side {
  const dir = mkdtempSync(join(tmpdir(), `auscult-bench-store-${mode}-`));
  const dbPath = join(dir, 'auscult.sqlite');
  let key: AtRestKey | null = null;
  if (mode === 'encrypted') {
    const keyDir = mkdtempSync(join(tmpdir(), 'auscult-bench-key-'));
    key = initEncryption(dir, dbPath, { keyFile: join(keyDir, 'auscult.key'), create: true }).key;
    rmSync(keyDir, { recursive: true, force: true }); // the key is in memory; the bench needs no file
  }
  return { mode, dir, dbPath, key, store: Store.open(dbPath, { key }) };
}

export async function run(): Promise<void> {
  const nRec = Number(process.env['BENCH_STORE_RECORDINGS'] ?? 100_000);
  const nPat = Number(process.env['BENCH_STORE_PATIENTS'] ?? 10_000);
  const sides = MODES.map(openSide);
  const rows: Row[] = [];
  const r = rng(42);
  try {
    for (const { store } of sides) {
      store.tx(() => store.users.create({ username: 'nurse', displayName: 'N', role: 'nurse', passwordHash: 'x' }));
      store.tx(() =>
        store.users.create({ username: 'pulm', displayName: 'P', role: 'pulmonologist', passwordHash: 'x' }),
      );
    }
    const nurse = 1;
    const patients = Array.from({ length: nPat }, (_, i) => ({
      mrn: `MRN${String(1_000_000 + i)}`,
      givenName: GIVEN[Math.floor(r() * GIVEN.length)]!,
      familyName: `${FAMILY[Math.floor(r() * FAMILY.length)]!}${i % 7 ? '' : '-' + FAMILY[i % FAMILY.length]!}`,
      createdBy: nurse,
    }));
    for (const s of sides) {
      const t0 = performance.now();
      s.store.tx(() => {
        for (const p of patients) s.store.patients.create(p);
      });
      console.log(`   ${s.mode}: ${nPat} patients inserted in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    }

    // Recordings with analyses and their audit entries, as the intake writes them, in batches:
    // each batch's rows are made once and inserted into both databases, in alternating order.
    const BATCH = 1000;
    const start = Date.parse('2024-01-01T00:00:00Z');
    const span = Date.parse('2026-11-01T00:00:00Z') - start;
    const insertMs: Record<Mode, number> = { plain: 0, encrypted: 0 };
    for (let b = 0; b < nRec; b += BATCH) {
      const batch: {
        i: number;
        patientId: number;
        probs: Record<ClassName, number>;
        topClass: ClassName;
        recordedAt: string;
        resultJson: string;
      }[] = [];
      for (let i = b; i < Math.min(nRec, b + BATCH); i++) {
        const patientId = 1 + Math.floor(r() * nPat);
        const raw = CLASS_ORDER.map(() => r());
        const sum = raw.reduce((a, x) => a + x, 0);
        const probs = Object.fromEntries(CLASS_ORDER.map((c, k) => [c, raw[k]! / sum])) as Record<ClassName, number>;
        batch.push({
          i,
          patientId,
          probs,
          topClass: CLASS_ORDER[raw.indexOf(Math.max(...raw))]!,
          recordedAt: new Date(start + Math.floor(r() * span)).toISOString(),
          resultJson: resultJson(r, probs),
        });
      }
      for (const s of (b / BATCH) % 2 ? [...sides].reverse() : sides) {
        const t0 = performance.now();
        s.store.tx(() => {
          for (const x of batch) {
            const id = s.store.recordings.insert(
              {
                patientId: x.patientId,
                site: SITES[x.i % SITES.length]!,
                deviceName: 'Littmann CORE',
                sampleRate: 4000,
                durationSec: 3,
                fileName: `r${x.i}.wav`,
                wavSha256: 'd'.repeat(64),
                status: 'recorded',
                recordedBy: nurse,
                recordedAt: x.recordedAt,
              },
              {
                engineVersion: '1.0.0',
                headName: 'head',
                headVersion: '1',
                probabilities: x.probs,
                pAbnormal: 1 - x.probs.healthy,
                topClass: x.topClass,
                status: 'ok',
                quality: 'good',
                resultJson: x.resultJson,
              },
            );
            s.store.audit.append({
              username: 'nurse',
              action: 'recording.create',
              objectType: 'recording',
              objectId: id,
              transport: 'ipc',
              details: { patientId: x.patientId, site: SITES[x.i % SITES.length] },
            });
          }
        });
        insertMs[s.mode] += performance.now() - t0;
      }
    }
    rows.push({
      name: `insert, batches of ${BATCH} (goal ≥ 2000/s)`,
      unit: '/s',
      plain: nRec / (insertMs.plain / 1000),
      encrypted: nRec / (insertMs.encrypted / 1000),
    });
    for (const { store } of sides) {
      // Sign ~60 % so the review queue is the realistic remainder.
      store.db.exec(`UPDATE recordings SET signed_at = recorded_at, signed_by = 2 WHERE id % 5 < 3`);
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      store.db.exec('ANALYZE');
    }
    const size = (s: Side) => statSync(s.dbPath).size / nRec / 1024;
    rows.push({ name: 'database size per recording', unit: 'KiB', plain: size(sides[0]!), encrypted: size(sides[1]!) });

    const patientIds = (
      sides[0]!.store.db.prepare('SELECT id FROM patients ORDER BY id').all() as { id: number }[]
    ).map((x) => x.id);
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
    const q = (name: string, fn: (st: Store, i: number) => unknown) =>
      rows.push(
        timeRow(
          name,
          paired(N, sides, (s, i) => fn(s.store, i)),
        ),
      );
    // The condition alone (count + one page of ids): the prefix search this replaced (range scans
    // over the search-key indexes) beside the substring search (trigram index), same queries.
    const conditionCost = (st: Store, sql: string, args: Record<string, string>) => {
      st.db.prepare(`SELECT count(*) FROM patients WHERE ${sql}`).pluck().get(args);
      st.db.prepare(`SELECT id FROM patients WHERE ${sql} ORDER BY family_norm, given_norm, id LIMIT 50`).all(args);
    };
    const PREFIX_SQL = `(mrn_norm >= @t AND mrn_norm < @te) OR (family_norm >= @t AND family_norm < @te) OR (given_norm >= @t AND given_norm < @te)`;
    const q3 = (i: number) => normalizeForSearch(FAMILY[i % FAMILY.length]!).slice(0, 3);
    const mid = (i: number) => normalizeForSearch(FAMILY[i % FAMILY.length]!).slice(1, 4);
    q('search condition, prefix (before)', (st, i) =>
      conditionCost(st, PREFIX_SQL, { t: q3(i), te: `${q3(i)}\u{10FFFF}` }),
    );
    q('search condition, substring (now)', (st, i) => {
      const m = patientMatch(q3(i));
      conditionCost(st, m.sql, m.args);
    });
    q('patient search, later part ("ull")', (st, i) => st.patients.search(mid(i), 50, 0));
    q('patient search, 2 letters ("ul")', (st, i) => st.patients.search(mid(i).slice(0, 2), 50, 0));
    q('patient search, identifier part', (st, i) => st.patients.search(`10${String(i % 100).padStart(2, '0')}`, 50, 0));
    q('recordings of patients matching', (st, i) => st.recordings.list({ query: mid(i) }, 50, 0));
    q('patient search, name prefix', (st, i) => st.patients.search(prefixes[i % prefixes.length], 50, 0));
    q('patient search, "given family"', (st, i) =>
      st.patients.search(`${GIVEN[i % GIVEN.length]} ${prefixes[i % prefixes.length]}`, 50, 0),
    );
    q('patient search, identifier prefix', (st, i) =>
      st.patients.search(`MRN10${String(i % 100).padStart(2, '0')}`, 50, 0),
    );
    q("one patient's recordings (page 1)", (st, i) =>
      st.recordings.list({ patientId: patientIds[(i * 37) % patientIds.length]! }, 50, 0),
    );
    q('review queue, page 1', (st) => st.recordings.reviewQueue(50, 0));
    q('review queue, page 100', (st) => st.recordings.reviewQueue(50, 4950));
    q('recordings in a 1-month range', (st, i) =>
      st.recordings.list(
        {
          from: `2025-${String((i % 12) + 1).padStart(2, '0')}-01`,
          to: `2025-${String((i % 12) + 1).padStart(2, '0')}-28`,
        },
        50,
        0,
      ),
    );
    q('recordings, name + top class', (st, i) =>
      st.recordings.list({ query: prefixes[i % prefixes.length], topClass: 'copd' }, 50, 0),
    );
    for (const s of sides) s.store.close();

    // The same through the service: zod validation, session, role, and the audit entry's write.
    const services: { mode: Mode; ws: Workstation; ctx: { sessionToken: string; transport: 'ipc' } }[] = [];
    for (const s of sides) {
      const ws = await Workstation.open({ dbPath: s.dbPath, dataDir: s.dir, engine: null, atRest: s.key });
      services.push({
        mode: s.mode,
        ws,
        ctx: { sessionToken: ws.signInLocal('pulm', 'ipc'), transport: 'ipc' as const },
      });
    }
    const sq = async (name: string, fn: Parameters<typeof pairedAsync>[2]) =>
      rows.push(timeRow(`service: ${name}`, await pairedAsync(N, services, fn)));
    await sq('patients.search', (ws, ctx, i) =>
      ws.call(ctx, 'patients.search', { query: prefixes[i % prefixes.length] }),
    );
    await sq('recordings.list (one patient)', (ws, ctx, i) =>
      ws.call(ctx, 'recordings.list', { patientId: patientIds[(i * 37) % patientIds.length]! }),
    );
    await sq('recordings.reviewQueue', (ws, ctx) => ws.call(ctx, 'recordings.reviewQueue', {}));
    const verify: Record<Mode, number> = { plain: 0, encrypted: 0 };
    let entries = 0;
    for (const s of services) {
      const t0 = performance.now();
      const v = s.ws.internals.store.audit.verify();
      verify[s.mode] = performance.now() - t0;
      entries = v.entries;
      if (!v.ok) console.log(`   ${s.mode}: audit chain NOT ok`);
      await s.ws.close();
    }
    rows.push({ name: `audit chain verify (${entries} entries)`, unit: 'ms', ...verify });

    console.log(
      `   ${nRec} recordings (+ analysis + audit entry each) over ${nPat} patients; medians of ${N} paired runs, page size 50 (goal ≤ 5 ms):`,
    );
    printTable(rows);
    console.log(
      '   (encrypted: SQLite3 Multiple Ciphers, AEGIS-256 per page as new folders get it, WAL included; p95 below)',
    );
    for (const row of rows.filter((x) => x.p95))
      console.log(
        `     p95 ${row.name}: plain ${row.p95!.plain.toFixed(2)} ms, encrypted ${row.p95!.encrypted.toFixed(2)} ms`,
      );
  } finally {
    for (const s of sides) {
      if (s.store.db.open) s.store.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
