/**
 * Whole-file analysis speed and memory (issues 2 and 18), in one run:
 *  - today's path (SpeexDSP quality 9) beside the polyphase resampler, 30 s and 300 s at 44.1 kHz and at
 *    4 kHz, through the real engine (decode → resample → band-limit → front end → YAMNet → head): paired
 *    runs (the paths alternate), medians, min-max, the in-process real-time factor and the load average;
 *  - the DSP stage alone (resample + band-limit, separate and fused) for every method;
 *  - callgrind instruction counts of one 30 s conversion per method (wall time on this shared machine is
 *    noisy; instruction counts are not): skipped when valgrind is missing or AUSCULT_BENCH_CALLGRIND=0;
 *  - the whole-process Python peer of issue 18 (TFLite + soxr, bench/_peer-compare.ts): paired rows and a
 *    per-patch cross-check of Auscult's YAMNet against TensorFlow Lite's, or one line saying why it cannot run;
 *  - per-patch YAMNet latency, peak RSS, and RSS growth over a 10-minute recording (in a child).
 * Goals on 2 cores: ≥ 500× real time for 30 s at 44.1 kHz, ≤ 2 ms median per patch (network).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalysisEngine } from '../src/inference/engine.js';
import {
  bandLimitTo,
  readAudioFile,
  patchSource16k,
  resampleTo16k,
  resampleTo16kBandLimited,
} from '../src/inference/front-end.js';
import type { ResampleMethod } from '../src/audio/resample.js';
import { ortResampler } from './_ort-resampler.js';
import { peerComparison } from './_peer-compare.js';
import { analyzeProcess, WHOLE_PROCESS_ROWS, type AnalyzeRun } from './_process-run.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir } from '../src/inference/paths.js';
import { YamnetSession, PATCH_SIZE } from '../src/inference/yamnet-session.js';
import { yamnetStatus } from '../src/inference/models.js';
import { makeHead } from '../test/support/make-head.js';
import { breathLike, writeWav } from './_signals.js';

export const title =
  'analysis engine: SpeexDSP (today) beside polyphase, 30 s / 300 s at 44.1 / 4 kHz; DSP stage; callgrind; Python peer; per-patch latency; 10-minute memory; 60 minutes whole-array beside streamed';

const RATE = 44100;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const pctl = (a: number[], p: number) =>
  [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))]!;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

function headCard(dir: string): { path: string; note: string } {
  const real = join(defaultModelsDir(), DEFAULT_HEAD_CARD);
  if (existsSync(real)) return { path: real, note: 'models/head.card.json' };
  return {
    path: makeHead(dir, { name: 'bench-head' }).cardPath,
    note: 'synthetic head (models/head.card.json not present; same architecture)',
  };
}

const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
const range = (a: number[]): string => `${Math.min(...a).toFixed(0)}-${Math.max(...a).toFixed(0)}`;

interface PathConfig {
  name: string;
  method: ResampleMethod;
  audioSetBand: 'full' | 'head';
  /** EngineOptions.overlap: YAMNet on its worker thread while the audio is measured (default true). */
  overlap: boolean;
}

/** The path before issue 18, HEAD's (stage after stage, still the default), and overlap: true (YAMNet on its worker thread). */
const PATHS: PathConfig[] = [
  { name: 'before issue 18: SpeexDSP 9, two YAMNet passes', method: 'speex', audioSetBand: 'full', overlap: false },
  { name: 'HEAD: polyphase, one pass, stage after stage', method: 'polyphase', audioSetBand: 'head', overlap: false },
  { name: 'new: same, overlap: true (YAMNet on a worker)', method: 'polyphase', audioSetBand: 'head', overlap: true },
];

/**
 * The engine on each path, paired: within a round every path runs once, in turn, so a change in the
 * machine's load falls on all of them. Medians over the rounds after the first (warm-up).
 */
async function compareEngines(cardPath: string): Promise<void> {
  const engines = await Promise.all(
    PATHS.map((p) =>
      AnalysisEngine.load({
        headCard: cardPath,
        audioSetBand: p.audioSetBand,
        resampleQuality: p.method,
        overlap: p.overlap,
      }),
    ),
  );
  try {
    for (const rate of [44100, 4000]) {
      for (const seconds of [30, 300]) {
        const samples = breathLike(seconds, rate);
        const rounds = seconds <= 30 ? 6 : 4;
        const runs: Array<
          Array<{
            resample: number;
            frontEnd: number;
            yamnet: number;
            head: number;
            sounds: number;
            total: number;
            cpu: number;
          }>
        > = PATHS.map(() => []);
        const loadBefore = load();
        for (let r = 0; r < rounds; r++) {
          for (let p = 0; p < PATHS.length; p++) {
            const c0 = process.cpuUsage();
            const res = await engines[p]!.analyzeRecording(samples, rate);
            const c = process.cpuUsage(c0);
            if (r > 0) runs[p]!.push({ ...res.timingsMs, cpu: (c.user + c.system) / 1000 });
          }
        }
        console.log(
          `   ${seconds} s at ${rate / 1000} kHz` +
            ` (in-process wall ms, median (min-max) of ${rounds - 1} paired rounds after a warm-up; load ${loadBefore} → ${load()}):`,
        );
        for (let p = 0; p < PATHS.length; p++) {
          const rs = runs[p]!;
          const m = (k: keyof (typeof rs)[number]): number => median(rs.map((x) => x[k]));
          const total = rs.map((x) => x.total);
          console.log(
            `     ${PATHS[p]!.name.padEnd(56)} total ${m('total').toFixed(0).padStart(5)} (${range(total)}) = resample+band-limit ${m('resample').toFixed(0)}` +
              ` + front end ${m('frontEnd').toFixed(0)} + YAMNet ${m('yamnet').toFixed(0)} + head ${m('head').toFixed(0)} + sounds ${m('sounds').toFixed(0)}; ` +
              `${((seconds * 1000) / m('total')).toFixed(0)}× real time; CPU ${m('cpu').toFixed(0)} ms (all threads)`,
          );
        }
      }
    }
  } finally {
    await Promise.all(engines.map((e) => e.close()));
  }
}

/** The DSP stage alone, as the engine runs it (resample, then band-limit to 2 kHz) and fused. */
async function dspStage(): Promise<void> {
  console.log(
    `   DSP stage, 30 s, candidates side by side (wall ms, median of 5 after a warm-up; load ${load()}); SpeexDSP is today's path:`,
  );
  for (const rate of [44100, 48000, 22050, 8000, 4000]) {
    const x = breathLike(30, rate);
    const cells: string[] = [];
    for (const method of ['speex', 'polyphase-js', 'polyphase'] as const) {
      const t: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        const s16 = await resampleTo16k(x, rate, method);
        if (rate / 2 > 2000) await bandLimitTo(s16, 16000, 2000);
        if (i > 0) t.push(performance.now() - t0);
      }
      cells.push(`${method} ${median(t).toFixed(1)}`);
    }
    const ortConv = await ortResampler(rate, 16000);
    const tOrt: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      const s16 = await ortConv.run(x);
      if (rate / 2 > 2000) await bandLimitTo(s16, 16000, 2000);
      if (i > 0) tOrt.push(performance.now() - t0);
    }
    await ortConv.close();
    cells.push(`onnxruntime Conv (one stage, ${ortConv.macsPerOutput} products/output) ${median(tOrt).toFixed(1)}`);
    if (rate / 2 > 2000) {
      const t: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        await resampleTo16kBandLimited(x, rate, 2000);
        if (i > 0) t.push(performance.now() - t0);
      }
      cells.push(`polyphase fused with the band-limit ${median(t).toFixed(1)}`);
      const r: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        await resampleTo16k(x, rate, 'polyphase');
        if (i > 0) r.push(performance.now() - t0);
      }
      cells.push(`(polyphase resample alone ${median(r).toFixed(1)})`);
    }
    console.log(
      `     ${`${rate / 1000} kHz → 16 kHz${rate / 2 > 2000 ? ' + 2 kHz band-limit' : ''}:`.padEnd(34)} ${cells.join(', ')}`,
    );
  }
}

/**
 * Instruction counts per conversion and method: callgrind over a child that converts n times, minus
 * the same child converting fewer times (start-up, signal, warm-up cancel). V8's background threads
 * (GC, compilers) are switched off so that the counts repeat (within about ±10 % here) whatever the load.
 */
function callgrindCounts(): void {
  if (process.env['AUSCULT_BENCH_CALLGRIND'] === '0') {
    console.log('   callgrind: skipped (AUSCULT_BENCH_CALLGRIND=0)');
    return;
  }
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('   callgrind: skipped (valgrind is not installed: apt-get install valgrind)');
    return;
  }
  const child = fileURLToPath(new URL('./_resample-once.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'auscult-callgrind-'));
  const count = (args: string[]): number => {
    const out = join(dir, 'cg.out');
    const r = spawnSync(
      'valgrind',
      ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', child, ...args],
      {
        encoding: 'utf8',
      },
    );
    const m = /summary:\s*(\d+)/.exec(existsSync(out) ? readFileSync(out, 'utf8') : '');
    if (r.status !== 0 || !m) throw new Error(`callgrind run failed: ${r.stderr.split('\n').slice(-3).join(' | ')}`);
    return Number(m[1]);
  };
  try {
    const SEC = 10;
    console.log(
      `   callgrind instruction counts, ${SEC} s of audio → 16 kHz (node --single-threaded; first conversion in a fresh process = Ir(1) − Ir(0); warm = (Ir(4) − Ir(1)) / 3):`,
    );
    for (const rate of [44100, 4000]) {
      const cells: string[] = [];
      let speexWarm = 0;
      for (const method of ['speex', 'polyphase'] as const) {
        const c = [0, 1, 4].map((n) => count([method, String(rate), String(SEC), String(n)]));
        const first = c[1]! - c[0]!,
          warm = (c[2]! - c[1]!) / 3;
        if (method === 'speex') speexWarm = warm;
        cells.push(
          `${method} first ${(first / 1e6).toFixed(0)} M, warm ${(warm / 1e6).toFixed(0)} M` +
            (method === 'speex' ? '' : ` (${(speexWarm / warm).toFixed(1)}× fewer than Speex warm)`),
        );
      }
      console.log(`     ${rate / 1000} kHz: ${cells.join('; ')}`);
    }
  } catch (err) {
    console.log(`   callgrind: failed (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Issue 18's whole-process rows: `node bin/auscult.js analyze --json` from spawn to exit on 1 s
 * (start-up), 30 s and 300 s at 44.1 and 4 kHz. Paired: with AUSCULT_BENCH_BEFORE=<a checkout of
 * the code before, built, with bin/auscult.js> each round runs that and this one in turn, so the
 * machine's load falls on both. Medians over the rounds after a warm-up.
 */
function wholeProcess(dir: string): void {
  const here = fileURLToPath(new URL('../../bin/auscult.js', import.meta.url));
  const beforeDir = process.env['AUSCULT_BENCH_BEFORE'];
  const before = beforeDir ? join(beforeDir, 'bin', 'auscult.js') : null;
  const unbundled = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const bins: Array<{ name: string; bin: string }> = [
    ...(before && existsSync(before) ? [{ name: `before (${beforeDir ?? ''})`, bin: before }] : []),
    { name: 'this build', bin: here },
  ];
  // the bundle's share of the start-up: the same build without it, on the start-up row only
  const startupBins = [...bins, { name: 'this build unbundled (dist/src/cli/main.js)', bin: unbundled }];
  console.log(
    `   whole process, \`node bin/auscult.js analyze --json FILE\`, spawn to exit (median (min-max) of paired rounds after a warm-up; load ${load()})` +
      (before ? '' : '; set AUSCULT_BENCH_BEFORE=<built checkout> for the before column'),
  );
  for (const c of WHOLE_PROCESS_ROWS) {
    const file = join(dir, `whole-${c.seconds}s-${c.rate}.wav`);
    writeWav(file, breathLike(c.seconds, c.rate), c.rate);
    const rowBins = c.seconds === 1 ? startupBins : bins;
    const runs: AnalyzeRun[][] = rowBins.map(() => []);
    for (let r = 0; r <= c.rounds; r++)
      for (let b = 0; b < rowBins.length; b++) {
        const x = analyzeProcess(rowBins[b]!.bin, file);
        if (r > 0) runs[b]!.push(x);
      }
    const cells = rowBins.map((b, i) => {
      const rs = runs[i]!;
      const wall = rs.map((x) => x.wallMs);
      const inProc = median(rs.map((x) => x.analysisMs));
      const rss = rs.map((x) => x.maxRssKb).filter((x): x is number => x !== null);
      const cpu = rs.map((x) => x.cpuSec).filter((x): x is number => x !== null);
      return (
        `${b.name}: ${(median(wall) / 1000).toFixed(2)} s (${(Math.min(...wall) / 1000).toFixed(2)}-${(Math.max(...wall) / 1000).toFixed(2)}), ` +
        `of which analysis ${inProc.toFixed(0)} ms, the rest ${(median(wall) - inProc).toFixed(0)} ms` +
        (cpu.length ? `, CPU ${median(cpu).toFixed(2)} s` : '') +
        (rss.length ? `, peak RSS ${(median(rss) / 1024).toFixed(0)} MB` : '')
      );
    });
    const ratio =
      bins.length === 2
        ? `; before / this ${(median(runs[0]!.map((x) => x.wallMs)) / median(runs[1]!.map((x) => x.wallMs))).toFixed(2)}×`
        : '';
    console.log(`     ${`${c.seconds} s at ${c.rate / 1000} kHz:`.padEnd(19)} ${cells.join('; ')}${ratio}`);
  }
  // `npx auscult` for discovery: what npm's resolution adds to every call
  const one = join(dir, 'whole-1s-44100.wav');
  const npx: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    const r = spawnSync('npx', ['--no-install', 'auscult', 'analyze', '--json', one], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    if (r.status !== 0) {
      console.log(`     npx auscult: could not run (${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? ''})`);
      return;
    }
    if (i > 0) npx.push(performance.now() - t0);
  }
  console.log(
    `     1 s through \`npx auscult\` (3 runs after a warm-up): ${(median(npx) / 1000).toFixed(2)} s — npm's own start-up on top of the binary`,
  );
}

/**
 * AUSCULT_BENCH_PARTS=process,memory (comma-separated) runs only those parts of this bench:
 * engines, dsp, callgrind, process, peer, detector, latency, memory. Default: all.
 */
const PARTS = process.env['AUSCULT_BENCH_PARTS']?.split(',').map((x) => x.trim());
const part = (name: string): boolean => !PARTS || PARTS.includes(name);

export async function run(): Promise<void> {
  const status = yamnetStatus();
  if (!status.ok && !process.env['AUSCULT_MODEL_SOURCE'] && !process.env['AUSCULT_MODEL_URL']) {
    console.log(
      `   skipped: YAMNet not prepared (${status.reason}); run \`npx auscult models --source ../shared/models\``,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-'));
  try {
    const head = headCard(dir);
    console.log(`   head: ${head.note}`);
    if (part('engines')) await compareEngines(head.path);
    if (part('dsp')) await dspStage();
    if (part('callgrind')) callgrindCounts();
    if (part('process')) wholeProcess(dir);
    if (part('peer')) {
      // the peer runs the TFLite file yamnet.onnx was converted from: its manifest names it
      const now = yamnetStatus();
      if (now.ok) await peerComparison(dir, now.manifest);
      else console.log(`   Python peer: skipped, YAMNet not prepared (${now.reason})`);
    }

    const wavPath = join(dir, 'breath-30s.wav');
    writeWav(wavPath, breathLike(30, RATE), RATE);

    // the same 30 s recorded by a 4 kHz stethoscope (KAUH, SPRSound): the detector's share where the analysis is cheapest
    if (part('detector')) {
      const engine = await AnalysisEngine.load({ headCard: head.path });
      if (engine.soundsCard) {
        const s4 = breathLike(30, 4000);
        const rows: Array<{ sounds: number; total: number }> = [];
        for (let i = 0; i < 5; i++) rows.push((await engine.analyzeRecording(s4, 4000)).timingsMs);
        const w = rows.slice(2);
        const ms = median(w.map((r) => r.sounds));
        const tot = median(w.map((r) => r.total));
        console.log(
          `   30 s at 4 kHz (a KAUH/SPRSound-like source): analysis ${tot.toFixed(1)} ms, of which sound detector + learned quality ${ms.toFixed(1)} ms (${((100 * ms) / (tot - ms)).toFixed(1)} % of the rest)`,
        );
      } else console.log('   no sound detector installed (models/sounds.card.json): its cost is not measured');
      await engine.close();
    }

    if (part('latency')) await patchLatency(wavPath);
    if (part('memory')) tenMinuteMemory(dir, head.path);
    if (part('memory60')) streamedHourMemory(dir, head.path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per-patch network latency, one patch per call (what live capture does every 0.48 s), and at batch 32. */
async function patchLatency(wavPath: string): Promise<void> {
  {
    const yamnet = await YamnetSession.load(join(defaultModelsDir(), 'yamnet.onnx'));
    const audio = await readAudioFile(wavPath);
    const { source } = patchSource16k(await resampleTo16k(audio.samples, audio.sampleRate));
    const one = new Float32Array(PATCH_SIZE);
    const lat: number[] = [];
    for (let i = 0; i < 220; i++) {
      source.copyPatch(i % source.count, one);
      const t0 = performance.now();
      await yamnet.runArray(one, 1, true);
      if (i >= 20) lat.push(performance.now() - t0);
    }
    console.log(
      `   YAMNet per patch, batch 1: median ${median(lat).toFixed(2)} ms, p95 ${pctl(lat, 0.95).toFixed(2)} ms (200 patches)`,
    );
    const batch = new Float32Array(32 * PATCH_SIZE);
    for (let i = 0; i < 32; i++)
      source.copyPatch(i % source.count, batch.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE));
    const bl: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      await yamnet.runArray(batch, 32, true);
      if (i >= 2) bl.push((performance.now() - t0) / 32);
    }
    await yamnet.close();
    console.log(`   YAMNet per patch, batch 32: median ${median(bl).toFixed(2)} ms`);
    console.log(`   peak RSS so far: ${mb(process.resourceUsage().maxRSS * 1024)}`);
  }
}

function tenMinuteMemory(dir: string, headPath: string): void {
  {
    // 10 minutes, in a child process: RSS growth over the loaded engine, in copies of the samples
    const longWav = join(dir, 'breath-10min.wav');
    writeWav(longWav, breathLike(600, RATE), RATE);
    for (const sounds of ['with', 'without'] as const) {
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--memory-child', longWav, headPath, sounds],
        { encoding: 'utf8' },
      );
      const line = child.stdout.trim().split('\n').pop() ?? '';
      console.log(`   ${sounds} the sound detector:`);
      try {
        const r = JSON.parse(line) as {
          baseRss: number;
          peakRss: number;
          samplesBytes: number;
          totalMs: number;
          patches: number;
        };
        const growth = r.peakRss - r.baseRss;
        console.log(
          `   10-minute recording (${RATE} Hz): ${r.patches} patches in ${(r.totalMs / 1000).toFixed(2)} s; peak RSS ${mb(r.peakRss)} ` +
            `(engine loaded: ${mb(r.baseRss)}), growth ${mb(growth)} = ${(growth / r.samplesBytes).toFixed(1)}× the decoded samples (${mb(r.samplesBytes)} as float32)`,
        );
      } catch {
        console.log(`   10-minute memory run failed: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
    }
  }
}

/** A WAV of breathLike audio written block by block (a 60-minute file never exists as one array here). */
function writeLongWav(path: string, seconds: number, rate: number): void {
  const frames = Math.round(seconds * rate);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + frames * 2, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(frames * 2, 40);
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, header);
    const block = breathLike(30, rate); // 30 s repeated: the memory does not depend on the content
    const pcm = Buffer.alloc(block.length * 2);
    for (let i = 0; i < block.length; i++)
      pcm.writeInt16LE(Math.round(Math.max(-1, Math.min(1, block[i]!)) * 32767), 2 * i);
    for (let done = 0; done < frames; done += block.length) {
      const n = Math.min(block.length, frames - done);
      writeSync(fd, pcm, 0, n * 2);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Issue 18's flat-memory goal, in child processes: a long recording through the whole engine (gate,
 * head, sound detector and learned quality check) by today's whole-array path (readAudioFile →
 * analyzeRecording) beside the streamed one (analyzeFile: openWavStream → analyzeStream, the same
 * JSON), peak RSS against the loaded engine. The whole-array path refuses 60 minutes at 44.1 kHz
 * (over 2^27 samples; its arrays would be ≈ 1.2 GB), so 30 minutes is measured both ways as well.
 */
function streamedHourMemory(dir: string, headPath: string): void {
  for (const [minutes, rate] of [
    [60, 44100],
    [30, 44100],
    [60, 4000],
  ] as const) {
    const wav = join(dir, `breath-${minutes}min-${rate}.wav`);
    writeLongWav(wav, minutes * 60, rate);
    for (const mode of ['--memory-child', '--stream-child'] as const) {
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), mode, wav, headPath, 'with'],
        { encoding: 'utf8' },
      );
      const what = `${minutes}-minute recording at ${rate / 1000} kHz (${mb(statSync(wav).size)} WAV), ${mode === '--stream-child' ? 'streamed   ' : 'whole-array'}`;
      try {
        const r = JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as {
          baseRss: number;
          peakRss: number;
          totalMs: number;
          patches: number;
          refused?: string;
        };
        if (r.refused !== undefined) {
          console.log(`   ${what}: refused: ${r.refused}`);
          continue;
        }
        console.log(
          `   ${what}: ${r.patches} patches in ${(r.totalMs / 1000).toFixed(1)} s ` +
            `(${((minutes * 60 * 1000) / r.totalMs).toFixed(0)}× real time); peak RSS ${mb(r.peakRss)} (engine loaded: ${mb(r.baseRss)}; goal ≤ 300 MB); load ${load()}`,
        );
      } catch {
        console.log(`   ${what}: failed: ${child.stderr.trim().split('\n').slice(-2).join(' | ')}`);
      }
    }
    rmSync(wav, { force: true });
  }
}

/**
 * Warm-up past one batch of patches, so that onnxruntime's buffers are at their size before the
 * baseline: 20 s at the long file's rate through the path measured (analyzeFile), not the
 * whole-array one, whose arrays would otherwise count towards the streamed run's peak. Returns RSS after.
 */
async function warmStreamed(engine: AnalysisEngine, longWav: string): Promise<number> {
  const rate = (await readWavHeaderRate(longWav)) ?? RATE;
  const warm = `${longWav}.warm.wav`;
  writeWav(warm, breathLike(20, rate), rate);
  try {
    await engine.analyzeFile(warm);
  } finally {
    rmSync(warm, { force: true });
  }
  return process.memoryUsage().rss;
}

/** A PCM WAV's sample rate from its fmt chunk (the bench's own files: fmt at byte 12). */
async function readWavHeaderRate(path: string): Promise<number | null> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(28);
    await fh.read(b, 0, 28, 0);
    return b.toString('ascii', 12, 16) === 'fmt ' ? b.readUInt32LE(24) : null;
  } finally {
    await fh.close();
  }
}

/** Child mode: the engine loaded and warmed, then a long WAV streamed through it (analyzeFile); peak RSS as JSON. */
async function streamChild(wavPath: string, cardPath: string): Promise<void> {
  const engine = await AnalysisEngine.load({ headCard: cardPath });
  const baseRss = await warmStreamed(engine, wavPath);
  const t0 = performance.now();
  const { result } = await engine.analyzeFile(wavPath);
  const totalMs = performance.now() - t0;
  await engine.close();
  console.log(
    JSON.stringify({ baseRss, peakRss: process.resourceUsage().maxRSS * 1024, totalMs, patches: result.patchCount }),
  );
}

/** Child mode: load the engine, note RSS, analyse the long file, report peak RSS as JSON. */
async function memoryChild(wavPath: string, cardPath: string, sounds: string): Promise<void> {
  const engine = await AnalysisEngine.load({
    headCard: cardPath,
    ...(sounds === 'without' ? { soundsCard: null } : {}),
  });
  await engine.analyzeRecording(breathLike(20, RATE), RATE);
  const baseRss = process.memoryUsage().rss;
  const t0 = performance.now();
  let audio: Awaited<ReturnType<typeof readAudioFile>>;
  try {
    audio = await readAudioFile(wavPath);
  } catch (err) {
    // the whole-array reader's limit (more than 2^27 samples): its sentence is the figure
    console.log(JSON.stringify({ refused: err instanceof Error ? err.message : String(err) }));
    await engine.close();
    return;
  }
  const r = await engine.analyzeRecording(audio.samples, audio.sampleRate);
  const totalMs = performance.now() - t0;
  await engine.close();
  console.log(
    JSON.stringify({
      baseRss,
      peakRss: process.resourceUsage().maxRSS * 1024,
      samplesBytes: audio.samples.byteLength,
      totalMs,
      patches: r.patchCount,
    }),
  );
}

if (process.argv[2] === '--stream-child') {
  await streamChild(process.argv[3]!, process.argv[4]!);
}
if (process.argv[2] === '--memory-child') {
  await memoryChild(process.argv[3]!, process.argv[4]!, process.argv[5] ?? 'with');
}
