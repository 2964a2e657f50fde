/**
 * The store on both engines, side by side: the embedded SQLite file (the baseline) and a site
 * database on PostgreSQL (a throwaway local cluster over its unix socket, fsync on), built from the
 * same rows: N recordings (each with its analysis and audit entry, one transaction each, as the
 * intake writes them) over N/10 patients, then the lists the UI pages through, medians of paired
 * runs in alternation (goal ≤ 5 ms on PostgreSQL), and inserts per second with 4 concurrent
 * writers (processes, each its own workstation key) beside 1.
 *   npm run bench -- store-site
 * BENCH_SITE_RECORDINGS shrinks it for a quick look (default 100,000).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Store } from '../src/store/index.js';
import { patientMatch } from '../src/store/patients.js';
import { startPgCluster } from '../test/support/pg-cluster.js';
import { fillRecordings, median, seedStaffAndPatients } from './_store-fill.js';

export const title = 'store on both engines: SQLite beside PostgreSQL (site mode)';

/** The fill: BATCH recordings per transaction (the figures read the rows, not how they came). */
const BATCH = 200;
/** Recordings at the end of the fill written one transaction each, for the in-process rate. */
const TIMED = 2_000;

const siteRow = (tag: string) => (i: number) => ({
  fileName: `${tag}-${i}.wav`,
  wavSha256: 'd'.repeat(64),
  durationSec: 3,
  status: 'recorded' as const,
});

/** Child mode: one writer process inserting `count` recordings into `url`. */
async function child(url: string, count: number, tag: string, signing: string): Promise<void> {
  const store = url.startsWith('postgresql://')
    ? Store.openSite(url, { signing: { dir: signing } })
    : Store.open(url, { signing: { dir: signing } });
  const nPat = store.patients.search('', 1, 0).total;
  fillRecordings(store, { from: 0, to: count, nPat, batch: 1 }, siteRow(tag));
  store.close();
}

/** `n` writer processes at once; SQLite's share the file's signing folder (one workstation), a site's each have their own. */
function writers(db: string, n: number, count: number, tag: string, sqliteSigning: string): Promise<number> {
  const t0 = performance.now();
  return Promise.all(
    Array.from(
      { length: n },
      (_, k) =>
        new Promise<void>((resolve, reject) => {
          const p = spawn(
            process.execPath,
            [
              ...process.execArgv,
              import.meta.filename,
              'child',
              db,
              String(count),
              `${tag}${k}`,
              db.startsWith('postgresql://') ? mkdtempSync(join(tmpdir(), 'auscult-bench-sign-')) : sqliteSigning,
            ],
            {
              stdio: ['ignore', 'inherit', 'inherit'],
            },
          );
          p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
        }),
    ),
  ).then(() => (n * count) / ((performance.now() - t0) / 1000));
}

export async function run(): Promise<void> {
  const nRec = Number(process.env['BENCH_SITE_RECORDINGS'] ?? 100_000);
  const nPat = Math.max(10, Math.floor(nRec / 10));
  const cluster = await startPgCluster((reason) => console.log(`   skipped: ${reason}`));
  if (!cluster) return;
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-site-'));
  try {
    cluster.createSite('bench', ['ws_bench']);
    Store.openSite(cluster.url('auscult_owner', 'bench')).close();
    const url = cluster.url('ws_bench', 'bench');
    // fsync on for the figures (the test cluster runs with fsync off)
    cluster.psql('postgres', 'postgres', 'ALTER SYSTEM SET fsync = on; SELECT pg_reload_conf();');
    const sides = [
      {
        name: 'sqlite',
        db: join(dir, 'auscult.sqlite'),
        store: Store.open(join(dir, 'auscult.sqlite'), { signing: { dir: join(dir, 'sign-sqlite') } }),
      },
      { name: 'postgresql', db: url, store: Store.openSite(url, { signing: { dir: join(dir, 'sign-pg') } }) },
    ];
    for (const { store } of sides) seedStaffAndPatients(store, nPat);
    const insertRate: Record<string, number> = {};
    for (const s of sides) {
      const bulk = Math.max(0, nRec - TIMED);
      fillRecordings(s.store, { from: 0, to: bulk, nPat, batch: BATCH }, siteRow('r'));
      const t0 = performance.now();
      fillRecordings(s.store, { from: bulk, to: nRec, nPat, batch: 1 }, siteRow('r'));
      insertRate[s.name] = (nRec - bulk) / ((performance.now() - t0) / 1000);
      // Sign ~60 % so the review queue is the realistic remainder (on PostgreSQL as the owner, by
      // psql: one 60,000-row statement with its triggers outlasts the workstation's statement_timeout).
      const signSql = 'UPDATE recordings SET signed_at = recorded_at, signed_by = 1 WHERE id % 5 < 3';
      if (s.name === 'sqlite') s.store.db.exec(signSql);
      else cluster.psql('auscult_owner', 'bench', signSql);
      if (s.name === 'sqlite') s.store.db.exec('ANALYZE');
      else cluster.psql('auscult_owner', 'bench', 'ANALYZE'); // the tables' owner may analyse them
    }
    const N = 200;
    const rows: [string, number, number][] = [];
    const q = (name: string, fn: (st: Store, i: number) => unknown) => {
      const xs: Record<string, number[]> = { sqlite: [], postgresql: [] };
      for (let i = 0; i < N; i++)
        for (const s of i % 2 ? [...sides].reverse() : sides) {
          const t = performance.now();
          fn(s.store, i);
          xs[s.name]!.push(performance.now() - t);
        }
      rows.push([name, median(xs['sqlite']!), median(xs['postgresql']!)]);
    };
    q('patient search, later part ("ull")', (st) => st.patients.search('ull', 50, 0));
    // The same search as issue 17's first part ran it (a count, then per-patient subqueries over
    // recordings), on the same rows: the baseline for PG schema 3 in this very run.
    q('  the same, as before PG schema 3', (st) => {
      const m = patientMatch('ull', 'q', st.engine);
      const where = `WHERE ${m.sql}`;
      st.db.prepare(`SELECT count(*) AS n FROM patients ${where}`).get(m.args);
      return st.db
        .prepare(
          `SELECT p.*, (SELECT count(*) FROM recordings r WHERE r.patient_id = p.id) AS recording_count,
             (SELECT max(recorded_at) FROM recordings r WHERE r.patient_id = p.id) AS last_recorded_at
           FROM patients p WHERE p.id IN (SELECT id FROM patients ${where} ORDER BY family_norm, given_norm, id LIMIT @limit OFFSET @offset)
           ORDER BY p.family_norm, p.given_norm, p.id`,
        )
        .all({ ...m.args, limit: 50, offset: 0 });
    });
    q('patient search, identifier part', (st, i) => st.patients.search(`10${String(i % 100).padStart(2, '0')}`, 50, 0));
    q("one patient's recordings (page 1)", (st, i) => st.recordings.list({ patientId: 1 + ((i * 37) % nPat) }, 50, 0));
    q('review queue, page 1', (st) => st.recordings.reviewQueue(50, 0));
    q('review queue, page 100', (st) => st.recordings.reviewQueue(50, 4950));
    // Reading the whole audit log (an export): all rows at once, or streamed (PostgreSQL: a cursor,
    // 500 rows per round trip). Heap growth sampled every 1,000 rows, from the same starting point.
    for (const s of sides) {
      const stmt = s.store.db.prepare('SELECT * FROM audit_log ORDER BY seq');
      const t0 = performance.now();
      const base = process.memoryUsage().heapUsed;
      const rowsAll = stmt.all();
      const allMb = (process.memoryUsage().heapUsed - base) / 2 ** 20;
      const allMs = performance.now() - t0;
      if (rowsAll.length === 0) console.log('   (empty audit log)');
      const base2 = process.memoryUsage().heapUsed;
      let peak = 0;
      let k = 0;
      const t1 = performance.now();
      for (const _ of stmt.iterate())
        if (++k % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - base2);
      console.log(
        `   ${s.name}: audit log of ${k} entries: all() ${allMs.toFixed(0)} ms, heap +${allMb.toFixed(0)} MB; iterate() ${(performance.now() - t1).toFixed(0)} ms, heap peak +${(Math.max(0, peak) / 2 ** 20).toFixed(0)} MB`,
      );
    }
    for (const s of sides) s.store.close();
    console.log(`   ${nRec} recordings (+ analysis + audit entry) over ${nPat} patients; medians of ${N} paired runs:`);
    console.log(`   ${'figure'.padEnd(44)} ${'sqlite'.padStart(10)} ${'postgresql'.padStart(12)}`);
    console.log(
      `   ${`inserts/s, 1 writer in-process (last ${TIMED})`.padEnd(44)} ${insertRate['sqlite']!.toFixed(0).padStart(10)} ${insertRate['postgresql']!.toFixed(0).padStart(12)}`,
    );
    for (const [name, a, b] of rows)
      console.log(
        `   ${name.padEnd(44)} ${`${a.toFixed(2)} ms`.padStart(10)} ${`${b.toFixed(2)} ms`.padStart(12)}${b > 5 ? '  (over the 5 ms goal)' : ''}`,
      );
    const per = Math.max(50, Math.floor(nRec / 100));
    // A writer that fails (SQLite's busy timeout under a loaded machine) is reported, not fatal.
    const rateOf = (db: string, n: number, sign: string): Promise<string> =>
      writers(db, n, per, `w${n}-`, sign).then(
        (r) => r.toFixed(0),
        (err: unknown) => `failed (${err instanceof Error ? err.message : String(err)})`,
      );
    for (const n of [1, 4]) {
      const a = await rateOf(sides[0]!.db, n, join(dir, 'sign-sqlite'));
      const b = await rateOf(url, n, '');
      console.log(
        `   ${`inserts/s, ${n} writer process${n > 1 ? 'es' : ''} (one tx each)`.padEnd(44)} ${a.padStart(10)} ${b.padStart(12)}`,
      );
    }
  } finally {
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  const [, , , db, count, tag, signing] = process.argv;
  await child(db!, Number(count), tag!, signing!);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
