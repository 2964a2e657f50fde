/**
 * Whole processes timed from spawn to exit, with their peak RSS and CPU from GNU time when
 * /usr/bin/time is there: the `process` and `peer` parts of bench/analysis.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Issue 18's whole-process rows, each with how many paired rounds it gets after a warm-up (the
 * 1 s row is cheap and noisy: more rounds).
 */
export const WHOLE_PROCESS_ROWS = [
  { seconds: 1, rate: 44100, rounds: 15 },
  { seconds: 30, rate: 44100, rounds: 5 },
  { seconds: 300, rate: 44100, rounds: 3 },
  { seconds: 30, rate: 4000, rounds: 5 },
  { seconds: 300, rate: 4000, rounds: 3 },
] as const;

export const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

export interface ProcessRun {
  wallMs: number;
  /** Peak RSS of the process (GNU time), or null without /usr/bin/time. */
  maxRssKb: number | null;
  /** User + system CPU seconds of the process, all threads (GNU time), or null. */
  cpuSec: number | null;
}

export interface AnalyzeRun extends ProcessRun {
  /** The engine's own total for the file (in-process analysis), from the JSON. */
  analysisMs: number;
  patchCount: number;
}

/** One process, spawn to exit; throws with the last lines of its stderr if it fails. */
export function timedProcess(
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ProcessRun & { stdout: string } {
  const useTime = existsSync('/usr/bin/time');
  const [cmd, ...args] = useTime ? ['/usr/bin/time', '-f', '%M %U %S', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd!, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  const wallMs = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(
      `${argv.join(' ')} failed: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-2).join(' | ')}`,
    );
  // GNU time writes its line last, after whatever the process wrote to stderr
  const [rss, user, sys] = (useTime ? (r.stderr.trim().split('\n').pop() ?? '') : '').split(' ').map(Number);
  return {
    wallMs,
    maxRssKb: rss !== undefined && Number.isFinite(rss) ? rss : null,
    cpuSec: user !== undefined && sys !== undefined && Number.isFinite(user + sys) ? user + sys : null,
    stdout: r.stdout,
  };
}

/** One `node <bin> analyze --json <file>` process, timed from spawn to exit. */
export function analyzeProcess(bin: string, file: string): AnalyzeRun {
  const { stdout, ...run } = timedProcess([process.execPath, bin, 'analyze', '--json', file]);
  const out = JSON.parse(stdout) as {
    files: Array<{ result?: { timingsMs: { total: number }; patchCount: number } }>;
  };
  const result = out.files[0]?.result;
  return { ...run, analysisMs: result?.timingsMs.total ?? NaN, patchCount: result?.patchCount ?? NaN };
}

/** "0.64 s (0.61-0.70), CPU 0.92 s, peak RSS 201 MB": medians (min-max) over runs. */
export function describeRuns(runs: readonly ProcessRun[]): string {
  const wall = runs.map((x) => x.wallMs / 1000);
  const rss = runs.map((x) => x.maxRssKb).filter((x): x is number => x !== null);
  const cpu = runs.map((x) => x.cpuSec).filter((x): x is number => x !== null);
  return (
    `${median(wall).toFixed(2)} s (${Math.min(...wall).toFixed(2)}-${Math.max(...wall).toFixed(2)})` +
    (cpu.length ? `, CPU ${median(cpu).toFixed(2)} s` : '') +
    (rss.length ? `, peak RSS ${(median(rss) / 1024).toFixed(0)} MB` : '')
  );
}
