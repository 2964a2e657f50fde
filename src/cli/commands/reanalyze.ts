/**
 * `auscult reanalyze --all [--db <file>] [--data-dir <folder>] [--workers N] [--threads N] [--json]`:
 * re-analyses every stored recording with the installed models, on worker threads (both cores by
 * default), resumable, skipping signed recordings (src/service/reanalysis/history.ts says how).
 * Ctrl-C stops starting new recordings; those in flight are stored; a re-run continues.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { auditLocal } from '../../service/local-admin.js';
import { recordingsDir, signingDir } from '../../service/paths.js';
import { openStoreAt } from '../../service/site-store.js';
import { dbTarget } from '../db-target.js';
import { describeIdentity } from '../../service/reanalysis/protocol.js';
import { reanalyzeHistory, type HistoryReanalysisReport } from '../../service/reanalysis/history.js';
import { Store } from '../../store/index.js';

const USAGE = `usage: auscult reanalyze --all [--db <file>] [--data-dir <folder>] [--models-dir <folder>]
                        [--workers N] [--threads N] [--key-file <file>] [--json]
  Analyses every stored recording again with the installed models and makes that its current
  analysis. Recordings already analysed by exactly these models are left alone, so a run that was
  stopped (Ctrl-C) or interrupted continues where it stopped. Signed recordings are skipped: their
  sealed analyses are frozen. Progress goes to stderr; one audit entry per committed batch and one
  for the run.
  --workers  analysis threads, each with its own engine (default: one per core, at most 2)
  --threads  onnxruntime threads per worker (default: cores / workers, at least 1)
  --db takes a file or a site's postgresql://ROLE@HOST/DB (or AUSCULT_DB_URL); on a site the WAVs
  are read from this workstation's recordings folder (--data-dir), so a recording made on another
  workstation is reported as failed and keeps its analysis.`;

function count(name: string, raw: string | undefined, fallback: number): number | string {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < 1 || n > 16)
    return `auscult reanalyze: --${name} must be a whole number from 1 to 16 (got '${raw}').`;
  return n;
}

function summary(r: HistoryReanalysisReport): string {
  const lines = [
    `reanalyze: ${r.stopped ? 'stopped' : 'done'} — ${r.analysed} analysed, ${r.alreadyCurrent} already current, ` +
      `${r.signedSkipped} signed (skipped: sealed), ${r.failed.length} failed${r.remaining ? `, ${r.remaining} left for the next run` : ''}; ` +
      `${r.recordings} recordings in the history`,
    `reanalyze: ${r.perSecond.toFixed(2)} recordings/s on ${r.workers} worker(s) × ${r.threadsPerWorker} thread(s); ` +
      `${r.seconds.toFixed(1)} s in all (engines ${r.loadSeconds.toFixed(1)} s); models: ${describeIdentity(r.identity)}`,
  ];
  for (const f of r.failed.slice(0, 20)) lines.push(`  recording ${f.id}: ${f.reason} (its previous analysis is kept)`);
  if (r.failed.length > 20) lines.push(`  … and ${r.failed.length - 20} more`);
  if (r.stopped) lines.push('reanalyze: run the same command again to continue.');
  return lines.join('\n');
}

export const command: CliCommand = {
  name: 'reanalyze',
  summary: 're-analyse the whole history with the installed models (both cores, resumable, signed ones skipped)',
  async run(argv) {
    const parsed = parseCommandArgs('reanalyze', USAGE, argv, {
      options: {
        all: { type: 'boolean', default: false },
        db: { type: 'string' },
        'data-dir': { type: 'string' },
        'models-dir': { type: 'string' },
        'key-file': { type: 'string' },
        workers: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (!parsed) return 2;
    const { values: v } = parsed;
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (!v.all) {
      console.error(`auscult reanalyze: say --all to re-analyse the whole history.\n${USAGE}`);
      return 2;
    }
    const cores = availableParallelism();
    const workers = count('workers', v.workers, Math.max(1, Math.min(2, cores)));
    if (typeof workers === 'string') return (console.error(workers), 2);
    const threads = count('threads', v.threads, Math.max(1, Math.floor(cores / workers)));
    if (typeof threads === 'string') return (console.error(threads), 2);

    const target = dbTarget(v.db, v['data-dir']);
    const { db: dbPath, dataDir } = target;
    // never created: re-analysing a history that is not there is a mistake in the path
    if (!target.site && !existsSync(dbPath)) {
      console.error(`auscult reanalyze: there is no database at ${dbPath}; give the history's file with --db.`);
      return 1;
    }
    let store: Store;
    let key;
    try {
      // a site: this workstation's signing folder, and the WAVs of its own recordings folder
      key = target.site ? null : resolveAtRestKey(dataDir, { keyFile: v['key-file'] });
      // new analyses and their audit entries are signed like every other (the history's signing folder)
      store = target.site
        ? openStoreAt(dbPath, { dataDir })
        : Store.open(dbPath, { key, quickCheck: true, signing: { dir: signingDir(dirname(dbPath)) } });
    } catch (err) {
      console.error(`auscult reanalyze: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    const stop = new AbortController();
    const onSigint = (): void => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
      console.error(
        'reanalyze: stopping — the recordings in progress are finished and stored; Ctrl-C again quits now.',
      );
    };
    process.on('SIGINT', onSigint);
    try {
      const report = await reanalyzeHistory({
        store,
        recordingsDir: recordingsDir(dataDir),
        atRest: key,
        ...(v['models-dir'] ? { modelsDir: resolve(v['models-dir']) } : {}),
        workers,
        threadsPerWorker: threads,
        signal: stop.signal,
        audit: (details) => {
          auditLocal(store, 'history.reanalyze', 'history', null, details);
        },
        log: (l) => {
          console.error(l);
        },
      });
      if (v.json) console.log(JSON.stringify(report, null, 2));
      else console.log(summary(report));
      return report.stopped ? 130 : report.failed.length > 0 ? 1 : 0;
    } catch (err) {
      console.error(
        `auscult reanalyze: ${err instanceof Error ? err.message : String(err)}; nothing more was changed.`,
      );
      return 1;
    } finally {
      process.off('SIGINT', onSigint);
      store.close();
    }
  },
};
