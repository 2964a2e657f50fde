/**
 * Re-analysis of a whole history with the installed models (a new head or detector arrived):
 *
 * - **Both cores**: worker threads, each with its own engine (pool.ts); the main thread reads, checks
 *   (SHA-256, decryption) and decodes the stored WAVs and is the only writer to the database.
 * - **Resumable**: a recording whose newest analysis came from the same engine, head, YAMNet and
 *   detector (protocol.ts's EngineIdentity) is not analysed again, so a run that was stopped or
 *   crashed continues where it stopped; results are committed in batches (≤ 200 recordings or
 *   10 s), and each recording's state is read again inside the committing transaction, so two runs
 *   at once never store the same analysis twice.
 * - **Signed recordings are skipped** (their sealed analyses are frozen by the store's triggers) and
 *   counted; one signed while the run was going is skipped at commit.
 * - **Audited**: the store's rule is that a change and its audit entry commit together, so each batch
 *   commits with one `history.reanalyze` entry naming its recordings and the models; the run ends
 *   with one entry of counts (`phase: 'finished'` or `'stopped'`). Never one entry per recording.
 * - A recording that cannot be read or analysed keeps its previous analysis and is listed.
 */
import { randomUUID } from 'node:crypto';
import type { AtRestKey } from '../../common/at-rest.js';
import type { AnalysisResult } from '../api.js';
import type { ServiceStore } from '../handler.js';
import type { ReanalysisState } from '../../store/index.js';
import { readStoredRecording, siteAudioOf } from '../recording-files.js';
import { toNewAnalysis } from '../recording-intake.js';
import { decodeWavBytes } from '../wav-source.js';
import { EnginePool } from './pool.js';
import { describeIdentity, type EngineIdentity } from './protocol.js';

export interface HistoryReanalysisOptions {
  store: ServiceStore;
  recordingsDir: string;
  atRest: AtRestKey | null;
  modelsDir?: string;
  /** Worker threads (engines). */
  workers: number;
  /** onnxruntime threads per worker. */
  threadsPerWorker: number;
  /** Writes the audit entry of a batch or of the run's end; called inside the write transaction. */
  audit: (details: Record<string, unknown>) => void;
  /** Progress and summary lines. */
  log: (line: string) => void;
  progressIntervalMs?: number;
  /** Stop: no new recording is started; those in flight finish and are committed. */
  signal?: AbortSignal;
  /** Batch limits (tests make them small). */
  batchSize?: number;
  batchMs?: number;
}

export interface HistoryReanalysisReport {
  run: string;
  identity: EngineIdentity;
  workers: number;
  threadsPerWorker: number;
  /** Recordings in the history when the run started. */
  recordings: number;
  signedSkipped: number;
  /** Already analysed by these models before the run (or by another run meanwhile). */
  alreadyCurrent: number;
  analysed: number;
  failed: { id: number; reason: string }[];
  /** Left for a later run (stopped before they were started). */
  remaining: number;
  stopped: boolean;
  seconds: number;
  /** Recordings analysed per second of the analysing phase (engines loaded). */
  perSecond: number;
  /** Seconds spent loading the engines. */
  loadSeconds: number;
}

/** Whether a recording's newest analysis is what these models would store now. */
export function isCurrent(state: ReanalysisState, id: EngineIdentity): boolean {
  const c = state.current;
  if (!c) return false;
  if (
    c.engineVersion !== id.engineVersion ||
    c.headName !== id.headName ||
    c.headVersion !== id.headVersion ||
    c.headSha256 !== id.headSha256 ||
    c.yamnetSha256 !== id.yamnetSha256
  )
    return false;
  if (c.soundsName !== null) return c.soundsName === id.sounds?.name && c.soundsVersion === id.sounds.version;
  // no detector result: current when none is installed now, or when the analysis was withheld (no detector runs then)
  return id.sounds === null || c.status === 'withheld';
}

interface Done {
  id: number;
  result: AnalysisResult;
}

const MAX_LISTED = 50;

export async function reanalyzeHistory(opts: HistoryReanalysisOptions): Promise<HistoryReanalysisReport> {
  const t0 = performance.now();
  const run = randomUUID();
  const log = opts.log;
  const pool = await EnginePool.start(opts.workers, {
    threads: opts.threadsPerWorker,
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
  });
  const identity = pool.identity;
  const tLoaded = performance.now();
  const report: HistoryReanalysisReport = {
    run,
    identity,
    workers: pool.size,
    threadsPerWorker: opts.threadsPerWorker,
    recordings: 0,
    signedSkipped: 0,
    alreadyCurrent: 0,
    analysed: 0,
    failed: [],
    remaining: 0,
    stopped: false,
    seconds: 0,
    perSecond: 0,
    loadSeconds: (tLoaded - t0) / 1000,
  };
  const todo: ReanalysisState[] = [];
  try {
    for (const s of opts.store.recordings.reanalysisStates()) {
      report.recordings++;
      if (s.signed) report.signedSkipped++;
      else if (isCurrent(s, identity)) report.alreadyCurrent++;
      else todo.push(s);
    }
    log(
      `reanalyze: ${report.recordings} recordings; ${todo.length} to analyse with ${describeIdentity(identity)}; ` +
        `${report.alreadyCurrent} already analysed by these models; ${report.signedSkipped} signed (sealed: skipped, their analyses stay as signed)`,
    );
    log(
      `reanalyze: ${pool.size} worker(s) × ${opts.threadsPerWorker} thread(s), engines loaded in ${report.loadSeconds.toFixed(1)} s`,
    );

    const batchSize = opts.batchSize ?? 200;
    const batchMs = opts.batchMs ?? 10_000;
    let pending: Done[] = [];
    let lastFlush = performance.now();
    const flush = (): void => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      lastFlush = performance.now();
      opts.store.tx(() => {
        const stored: number[] = [];
        const analysisIds: number[] = [];
        for (const d of batch) {
          const now = opts.store.recordings.reanalysisState(d.id);
          if (!now) report.failed.push({ id: d.id, reason: 'the recording was removed during the run' });
          else if (now.signed)
            report.signedSkipped++; // signed while the run was going: frozen, left alone
          else if (isCurrent(now, identity))
            report.alreadyCurrent++; // another run stored it meanwhile
          else {
            analysisIds.push(opts.store.recordings.addAnalysis(d.id, toNewAnalysis(d.result)));
            stored.push(d.id);
          }
        }
        report.analysed += stored.length;
        if (stored.length > 0)
          opts.audit({
            phase: 'batch',
            run,
            models: identity,
            recordings: stored.length,
            recordingIds: stored,
            analysisIds,
          });
      });
    };

    let next = 0;
    let started = 0;
    let lastProgress = performance.now();
    const interval = opts.progressIntervalMs ?? 2000;
    const tStart = performance.now();
    const progress = (force: boolean): void => {
      const t = performance.now();
      if (!force && t - lastProgress < interval) return;
      lastProgress = t;
      const finished = report.analysed + pending.length + report.failed.length;
      const rate = finished / Math.max(1e-3, (t - tStart) / 1000);
      const left = todo.length - finished;
      log(
        `reanalyze: ${finished}/${todo.length} (${todo.length ? Math.floor((100 * finished) / todo.length) : 100} %), ` +
          `${rate.toFixed(1)} recordings/s${left > 0 && rate > 0 ? `, about ${Math.ceil(left / rate)} s left` : ''}` +
          (report.failed.length ? `; ${report.failed.length} failed` : ''),
      );
    };

    // two lanes per worker: while a worker analyses one recording, the next one is read and decoded
    const lane = async (): Promise<void> => {
      while (next < todo.length && !opts.signal?.aborted) {
        const s = todo[next++]!;
        started++;
        let result: AnalysisResult;
        try {
          const wav = await readStoredRecording(
            opts.recordingsDir,
            opts.atRest,
            s.fileName,
            s.wavSha256,
            siteAudioOf(opts.store, s.id),
          );
          const audio = decodeWavBytes(wav, `Recording ${s.id}`);
          result = await pool.analyze(audio.samples, audio.sampleRate);
        } catch (err) {
          report.failed.push({ id: s.id, reason: err instanceof Error ? err.message : String(err) });
          continue;
        }
        pending.push({ id: s.id, result });
        if (pending.length >= batchSize || performance.now() - lastFlush >= batchMs) flush();
        progress(false);
      }
    };
    await Promise.all(Array.from({ length: pool.size * 2 }, lane));
    flush();
    progress(true);
    report.remaining = todo.length - started;
    report.stopped = report.remaining > 0;
    const analysingSec = (performance.now() - tStart) / 1000;
    report.perSecond = report.analysed / Math.max(1e-3, analysingSec);
    report.seconds = (performance.now() - t0) / 1000;
    opts.store.tx(() => {
      opts.audit({
        phase: report.stopped ? 'stopped' : 'finished',
        run,
        models: identity,
        recordings: report.recordings,
        analysed: report.analysed,
        alreadyCurrent: report.alreadyCurrent,
        signedSkipped: report.signedSkipped,
        failed: report.failed.length,
        failedIds: report.failed.slice(0, MAX_LISTED).map((f) => f.id),
        remaining: report.remaining,
        workers: pool.size,
        seconds: Math.round(report.seconds * 10) / 10,
      });
    });
    return report;
  } finally {
    await pool.close();
  }
}
