/**
 * `auscult reanalyze --all` over a history of 1,000 recordings (issue 18): recordings per second on
 * one worker beside two, through the real path (src/service/reanalysis: stored WAVs read, checked
 * and decoded on the main thread, the real engine on worker threads, results committed in batches
 * with their audit entries). The recordings are copies of a few KAUH files (4 kHz, 5–30 s) under
 * generated names in a temporary data folder; nothing is written to the repository.
 * AUSCULT_BENCH_REANALYZE_N changes the count (default 1000).
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { reanalyzeHistory } from '../src/service/reanalysis/history.js';
import { auditLocal } from '../src/service/local-admin.js';
import { Store } from '../src/store/index.js';
import { decodeWav } from '../src/audio/wav-read.js';
import { yamnetStatus } from '../src/inference/models.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir, projectRoot } from '../src/inference/paths.js';

export const title = 'history re-analysis: 1,000 recordings, recordings per second on 1 worker beside 2';

const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

/** A history of n recordings copied from a few real files; returns the database path. */
function makeHistory(dir: string, n: number, sources: string[]): string {
  const dbPath = join(dir, 'auscult.sqlite');
  const recDir = join(dir, 'recordings');
  mkdirSync(recDir, { recursive: true, mode: 0o700 });
  const store = Store.open(dbPath);
  try {
    const files = sources.map((p) => {
      const bytes = readFileSync(p);
      const audio = decodeWav(bytes);
      const seconds = audio.samples.length / audio.sampleRate;
      return { bytes, sha: createHash('sha256').update(bytes).digest('hex'), rate: audio.sampleRate, seconds };
    });
    store.tx(() => {
      const user = store.users.create({ username: 'bench', displayName: 'Bench', role: 'nurse', passwordHash: 'x' });
      const patient = store.patients.create({
        mrn: 'B-1',
        givenName: 'Bench',
        familyName: 'Patient',
        createdBy: user.id,
      });
      for (let i = 0; i < n; i++) {
        const f = files[i % files.length]!;
        const fileName = `bench-${String(i).padStart(5, '0')}.wav`;
        writeFileSync(join(recDir, fileName), f.bytes, { mode: 0o600 });
        store.recordings.insert({
          patientId: patient.id,
          site: 'trachea',
          deviceName: 'bench copy',
          sampleRate: f.rate,
          durationSec: f.seconds,
          fileName,
          wavSha256: f.sha,
          status: 'imported',
          recordedBy: user.id,
          recordedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        });
      }
    });
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
  return dbPath;
}

export async function run(): Promise<void> {
  const status = yamnetStatus();
  if (!status.ok || !existsSync(join(defaultModelsDir(), DEFAULT_HEAD_CARD))) {
    console.log(`   skipped: the models are not prepared (${status.ok ? 'no head card' : status.reason})`);
    return;
  }
  const kauh = join(projectRoot(), '..', 'shared', 'data', 'kauh', 'audio');
  if (!existsSync(kauh)) {
    console.log(`   skipped: no KAUH recordings at ${kauh} to copy`);
    return;
  }
  const n = Number(process.env['AUSCULT_BENCH_REANALYZE_N'] ?? 1000);
  const sources = readdirSync(kauh)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .slice(0, 8)
    .map((f) => join(kauh, f));
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-reanalyze-'));
  try {
    const master = makeHistory(dir, n, sources);
    const audioSec = (() => {
      const s = Store.open(master, { readonly: true });
      try {
        return (s.db.prepare('SELECT sum(duration_sec) AS t FROM recordings').get() as { t: number }).t;
      } finally {
        s.close();
      }
    })();
    console.log(
      `   ${n} recordings (copies of ${sources.length} KAUH files, 4 kHz, ${(audioSec / n).toFixed(1)} s on average, ${(audioSec / 60).toFixed(0)} min of audio); ${availableParallelism()} cores`,
    );
    const configs = [
      { workers: 1, threads: 1, note: 'one core' },
      { workers: 1, threads: 2, note: 'one engine, onnxruntime on 2 threads (what `analyze` does)' },
      { workers: 2, threads: 1, note: 'both cores, one engine each (the default)' },
    ];
    const rates: number[] = [];
    for (const c of configs) {
      // each configuration starts from the same un-analysed history
      const db = join(dir, `run-${c.workers}x${c.threads}.sqlite`);
      copyFileSync(master, db);
      const store = Store.open(db);
      const loadBefore = load();
      const cpu0 = process.cpuUsage();
      // RSS of the whole process (the workers are threads in it), sampled: unlike speed, contention from
      // other work on the machine does not move it
      let peakRss = process.memoryUsage().rss;
      const rss0 = peakRss;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 20);
      try {
        const r = await reanalyzeHistory({
          store,
          recordingsDir: join(dir, 'recordings'),
          atRest: null,
          workers: c.workers,
          threadsPerWorker: c.threads,
          audit: (details) => {
            auditLocal(store, 'history.reanalyze', 'history', null, details);
          },
          log: () => {},
        });
        const cpu = process.cpuUsage(cpu0);
        clearInterval(sampler);
        rates.push(r.perSecond);
        console.log(
          `     ${`${c.workers} worker × ${c.threads} thread`.padEnd(20)} ${r.perSecond.toFixed(1).padStart(6)} recordings/s ` +
            `(${r.analysed} analysed in ${(r.seconds - r.loadSeconds).toFixed(1)} s after ${r.loadSeconds.toFixed(1)} s of engine loading; ` +
            `${((audioSec * r.perSecond) / n).toFixed(0)}× real time; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s all threads; ` +
            `${r.failed.length} failed; load ${loadBefore} → ${load()}; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB, ${(rss0 / 2 ** 20).toFixed(0)} MB before) — ${c.note}`,
        );
      } finally {
        clearInterval(sampler);
        store.close();
      }
    }
    // the machine is shared: absolute speeds move with others' load, ratios within this run much less
    console.log(
      `     speed ratios in this run: 2 workers × 1 thread / 1 worker × 1 thread = ${(rates[2]! / rates[0]!).toFixed(2)}×; ` +
        `/ 1 worker × 2 threads = ${(rates[2]! / rates[1]!).toFixed(2)}× (load average now ${load()}; ${availableParallelism()} cores)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
