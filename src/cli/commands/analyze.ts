/**
 * `auscult analyze <wav|flac...> [--json] [--head <card.json>]`: every file through the one
 * analysis engine. A file that cannot be analysed gets a one-line reason; the others are still
 * analysed; the exit code is non-zero if any failed.
 */
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { AnalysisEngine } from '../../inference/engine.js';
import { CLASS_LABELS, CLASS_ORDER, type AnalysisResult } from '../../inference/analysis-types.js';
import { openAudioStream } from '../../audio/audio-read.js';

const USAGE = `usage: auscult analyze <file.wav|file.flac> [more ...] [--json] [--head <card.json>]
  Prints for each file: duration, sample rate, signal quality, the five class probabilities
  with the healthy-vs-abnormal screen, the head used, the per-patch timeline, YAMNet's
  AudioSet top 3, crackles and wheezes (events with times) and the learned quality check.
  --json prints one JSON document instead (per file: result.sounds = {crackle, wheeze, events,
  timeline}, or null when withheld or no detector is installed).`;

function errorLine(err: unknown): { code: string; message: string } {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : err.name, message: err.message };
  }
  return { code: 'ERROR', message: String(err) };
}

const pct = (p: number) => p.toFixed(2);

export function formatResult(file: string, r: AnalysisResult, headCardPath: string, warnings: string[] = []): string {
  const lines: string[] = [];
  lines.push(file);
  for (const w of warnings) lines.push(`  note: ${w}`);
  lines.push(`  duration ${r.durationSec.toFixed(2)} s, ${r.sampleRate} Hz, ${r.patchCount} patches`);
  lines.push(
    `  quality: ${r.quality.verdict}` +
      ` (RMS ${r.quality.rmsDbfs.toFixed(1)} dBFS, peak ${r.quality.peakDbfs.toFixed(1)} dBFS, clipping ${(r.quality.clippingRatio * 100).toFixed(2)} %, silent ${(r.quality.silenceRatio * 100).toFixed(0)} %)`,
  );
  for (const reason of r.quality.reasons) lines.push(`    - ${reason}`);
  lines.push(`  head: ${r.models.head.name} ${r.models.head.version} (${headCardPath})`);
  lines.push(`  status: ${r.status}${r.statusReasons.length ? ` — ${r.statusReasons.join('; ')}` : ''}`);
  const excluded = new Map<string, number>();
  for (const p of r.patches) if (p.excluded) excluded.set(p.excluded, (excluded.get(p.excluded) ?? 0) + 1);
  lines.push(
    `  gate: ${r.gate.passed ? 'passed' : 'withheld'}; usable ${r.gate.usableSec.toFixed(1)} s, left out ${r.gate.excludedSec.toFixed(1)} s` +
      (excluded.size ? ` (patches: ${[...excluded].map(([k, n]) => `${k} ${n}`).join(', ')} of ${r.patchCount})` : ''),
  );
  const probabilities = r.probabilities;
  if (r.screen && probabilities) {
    lines.push(
      `  screen: ${r.screen.label} (p(abnormal) ${pct(r.screen.pAbnormal)}, threshold ${pct(r.screen.threshold)})`,
    );
    lines.push('  probabilities:');
    for (const c of CLASS_ORDER) {
      const p = probabilities[c];
      lines.push(
        `    ${CLASS_LABELS[c].padEnd(18)} ${pct(p)} ${'█'.repeat(Math.round(p * 30))}${c === r.topClass ? '  ← top' : ''}`,
      );
    }
  } else lines.push('  screen and probabilities: withheld (outside what the models were measured on)');
  lines.push(`  YAMNet (AudioSet): ${r.yamnetTop.map((t) => `${t.name} ${pct(t.score)}`).join(', ')}`);
  if (r.learnedQuality)
    lines.push(`  learned quality: P(poor) ${pct(r.learnedQuality.pPoor)}${r.learnedQuality.poor ? ' (poor)' : ''}`);
  if (r.sounds) {
    const s = r.sounds;
    const presence = (name: string, p: { present: boolean; probability: number }) =>
      `${name} ${p.present ? 'detected' : 'not detected'} (p ${pct(p.probability)})`;
    lines.push(
      `  sounds (${s.model.name} ${s.model.version}): ${presence('crackles', s.crackle)}, ${presence('wheezes', s.wheeze)}`,
    );
    for (const e of s.events)
      lines.push(
        `    ${e.type.padEnd(7)} ${e.startSec.toFixed(2).padStart(7)}–${e.endSec.toFixed(2).padEnd(7)} s  p ${pct(e.probability)}`,
      );
  } else lines.push('  sounds: not analysed (no detector installed, or the analysis is withheld)');
  if (r.windows.length > 0) {
    lines.push('  scoring windows (the result is their mean):');
    lines.push(`    ${'start s'.padStart(8)} ${'end s'.padStart(7)}  ${'abnormal'.padStart(9)}`);
    for (const w of r.windows)
      lines.push(
        `    ${w.startSec.toFixed(2).padStart(8)} ${w.endSec.toFixed(2).padStart(7)}  ${pct(w.pAbnormal).padStart(9)}`,
      );
  }
  if (r.gate.excludedSec > 0)
    lines.push(
      `  excluded: ${r.gate.excludedSec.toFixed(1)} s (of ${r.durationSec.toFixed(1)} s) left out of the result`,
    );
  const t = r.timingsMs;
  lines.push(
    `  time: ${t.total.toFixed(0)} ms (resample ${t.resample.toFixed(0)}, front end ${t.frontEnd.toFixed(0)}, YAMNet ${t.yamnet.toFixed(0)}, head ${t.head.toFixed(0)}, sounds ${t.sounds.toFixed(0)})`,
  );
  return lines.join('\n');
}

/**
 * Inputs up to this long may run YAMNet on its own thread (EngineOptions.overlap: the same results).
 * Peak RSS measured with it (\`/usr/bin/time -v\`, README "Measured"): 5 min at 44.1 kHz 290 MB, 10 min
 * 300 MB, 60 min at 4 kHz 350 MB against 293 MB without; so longer inputs go without.
 */
export const OVERLAP_MAX_SEC = 5 * 60;

/**
 * Whether `analyze` runs YAMNet on a worker thread: only while a second core is free (the worker's own
 * onnxruntime costs ≈ 0.14 s of CPU per run; at load 7 on 2 cores it made a 30 s file 0.43 s slower, and
 * a free core is what it needs to be faster) and for inputs up to OVERLAP_MAX_SEC (memory).
 */
export function useOverlap(p: { cores: number; load1: number; longestSec: number }): boolean {
  return p.cores >= 2 && p.load1 <= p.cores - 1 && p.longestSec <= OVERLAP_MAX_SEC;
}

/** The longest input's duration by its header (Infinity when a header does not say); unreadable files count 0: their analysis says what is wrong. */
async function longestSec(files: readonly string[]): Promise<number> {
  let longest = 0;
  for (const file of files) {
    try {
      const stream = await openAudioStream(file);
      try {
        longest = Math.max(longest, stream.frames > 0 ? stream.frames / stream.sampleRate : Infinity);
      } finally {
        await stream.close();
      }
    } catch {
      // reported by the analysis itself
    }
  }
  return longest;
}

export const command: CliCommand = {
  name: 'analyze',
  summary: 'analyse WAV or FLAC recordings: quality, five class probabilities, screen, timeline',
  async run(argv) {
    const parsed = parseCommandArgs('analyze', USAGE, argv, {
      options: {
        json: { type: 'boolean', default: false },
        head: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (!parsed) return 2;
    const { values, positionals } = parsed;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length === 0) {
      console.error(USAGE);
      return 2;
    }

    const machine = { cores: availableParallelism(), load1: loadavg()[0] ?? 0 };
    // the inputs' headers are read only when the machine leaves room for the worker
    const overlap =
      useOverlap({ ...machine, longestSec: 0 }) &&
      useOverlap({ ...machine, longestSec: await longestSec(positionals) });
    let engine: AnalysisEngine;
    try {
      // progress lines go to stderr so --json output stays one clean document
      engine = await AnalysisEngine.load({
        headCard: values.head ? resolve(values.head) : undefined,
        log: (l) => console.error(l),
        overlap,
      });
    } catch (err) {
      console.error(`auscult analyze: ${errorLine(err).message}`);
      return 1;
    }
    let failed = 0;
    const json: Array<
      | { file: string; ok: true; result: AnalysisResult; warnings: string[] }
      | { file: string; ok: false; error: { code: string; message: string } }
    > = [];
    try {
      for (const file of positionals) {
        try {
          // a WAV streams through the engine in bounded memory, whatever its length
          const { result, warnings } = await engine.analyzeFile(file);
          if (values.json) json.push({ file, ok: true, result, warnings });
          else console.log(formatResult(file, result, engine.headCardPath, warnings) + '\n');
        } catch (err) {
          failed++;
          const e = errorLine(err);
          if (values.json) json.push({ file, ok: false, error: e });
          console.error(`auscult analyze: ${file}: ${e.message}`);
        }
      }
    } finally {
      await engine.close();
    }
    if (values.json) console.log(JSON.stringify({ head: engine.versions.head, files: json }, null, 2));
    return failed > 0 ? 1 : 0;
  },
};
