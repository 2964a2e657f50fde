/**
 * Audio in and the YAMNet front end: how fast, and how much memory. Prints figures, asserts nothing.
 *   npm run bench -- frontend          (or: node --import tsx bench/frontend.ts)
 * Goal (issue 2): ≤ 0.5 ms per patch (48 new frames) for the front end.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeWav, readWavFile } from '../src/audio/wav-read.js';
import { encodeWav16 } from '../src/audio/wav-write.js';
import { resample } from '../src/audio/resample.js';
import { bandLimit } from '../src/audio/band-limit.js';
import { assessQuality } from '../src/audio/quality.js';
import { logMelFrames } from '../src/features/log-mel.js';
import { FrameComputer64 } from '../src/features/log-mel-f64.js';
import { framesToPatches, patchesFromWaveform } from '../src/features/patches.js';
import { StreamingLogMel } from '../src/features/streaming-log-mel.js';
import { HOP, PATCH_HOP_FRAMES } from '../src/features/yamnet-params.js';

export const title = 'audio in + YAMNet front end (decode, resample, band-limit, quality, log-mel, patches)';

function signal(n: number, rate: number): Float32Array {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = 0.2 * Math.sin((2 * Math.PI * 300 * i) / rate) + 0.1 * (s / 2 ** 32 - 0.5);
  }
  return x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median CPU time of this process per run, ms. CPU time rather than wall time: these machines are shared
 * (load averages of 10+ on 2 cores), and wall time then mostly measures the queue. Wall time is printed
 * alongside for the record.
 */
let lastWall = 0;
function time(fn: () => void, reps: number): number {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  lastWall = median(wall);
  return median(cpu);
}

async function timeAsync(fn: () => Promise<unknown>, reps: number): Promise<number> {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  lastWall = median(wall);
  return median(cpu);
}

const fmt = (ms: number): string => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1));
const line = (what: string, ms: number, audioSec: number, extra = ''): void =>
  console.log(
    `  ${what.padEnd(52)} ${fmt(ms).padStart(9)} ms CPU ${((audioSec * 1000) / ms).toFixed(0).padStart(6)}× real time` +
      `  (wall ${fmt(lastWall)} ms)${extra}`,
  );

export async function run(): Promise<void> {
  const SEC = 30;
  const x16 = signal(16000 * SEC, 16000);

  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores; times are CPU time of this process`,
  );
  console.log(`front end, ${SEC} s of 16 kHz audio (median of 7 runs):`);
  logMelFrames(x16); // warm up the JIT
  const frames = logMelFrames(x16);
  const patchesIn30s = frames.frames / PATCH_HOP_FRAMES;
  const tFrames = time(() => logMelFrames(x16), 7);
  line(
    'log-mel frames (batch, float32 PFFFT)',
    tFrames,
    SEC,
    `   ${(tFrames / patchesIn30s).toFixed(3)} ms per patch (48 new frames), ${((tFrames * 1000) / frames.frames).toFixed(1)} µs per frame`,
  );
  const fc64 = new FrameComputer64();
  const out64 = new Float32Array(frames.frames * 64);
  const t64 = time(() => {
    for (let f = 0; f < frames.frames; f++) fc64.compute(x16, f * HOP, out64, f * 64);
  }, 7);
  line(
    'log-mel frames, float64 fft.js (before issue 18)',
    t64,
    SEC,
    `   ${(t64 / patchesIn30s).toFixed(3)} ms per patch; float32 PFFFT ${(t64 / tFrames).toFixed(1)}× faster`,
  );
  const tPatches = time(() => framesToPatches(frames), 7);
  line('frames → patches (copy)', tPatches, SEC, `   ${framesToPatches(frames).count} patches`);
  const tAll = time(() => patchesFromWaveform(x16), 7);
  line('waveform → patches', tAll, SEC, `   ${(tAll / patchesIn30s).toFixed(3)} ms per patch  (goal ≤ 0.5)`);
  for (const chunk of [HOP, 1600, 16000]) {
    const t = time(() => {
      const s = new StreamingLogMel();
      for (let i = 0; i < x16.length; i += chunk) s.push(x16.subarray(i, i + chunk));
    }, 5);
    line(`streaming log-mel, ${chunk}-sample chunks`, t, SEC, `   ${(t / patchesIn30s).toFixed(3)} ms per patch`);
  }

  console.log(`\naudio in, ${SEC} s (median of 5 runs unless noted):`);
  const x44 = signal(44100 * SEC, 44100);
  const wav44 = encodeWav16(x44, 44100);
  line(
    'decode 44.1 kHz 16-bit WAV (in memory)',
    time(() => decodeWav(wav44), 5),
    SEC,
  );
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-'));
  try {
    const path = join(dir, 'b.wav');
    writeFileSync(path, wav44);
    line('readWavFile 44.1 kHz 16-bit (from disk)', await timeAsync(() => readWavFile(path), 5), SEC);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  line(
    'assessQuality (44.1 kHz)',
    time(() => assessQuality(x44, 44100), 5),
    SEC,
  );
  line('bandLimit 2000 Hz (16 kHz, 163-tap FIR via FFT)', await timeAsync(() => bandLimit(x16, 16000, 2000), 5), SEC);

  // The resampler: SpeexDSP 9 (the path before issue 18) beside the polyphase filter summed in plain JS
  // and in WASM SIMD (src/audio/resample.ts); bench/analysis.ts has the same in the engine and in callgrind.
  for (const m of ['speex', 'polyphase', 'polyphase-js'] as const)
    await resample(x44.subarray(0, 44100), 44100, 16000, m); // load once
  for (const rate of [44100, 48000, 22050, 8000, 4000]) {
    const x = signal(rate * SEC, rate);
    for (const m of ['speex', 'polyphase-js', 'polyphase'] as const) {
      const t = await timeAsync(() => resample(x, rate, 16000, m), 5);
      line(`resample ${rate / 1000}k → 16k, ${m}`, t, SEC);
    }
  }

  // What each method does to a tone above 8 kHz and at the top mel band (7.5 kHz).
  console.log('\nresampler quality, 44.1 kHz → 16 kHz (level of the output tone vs the input, middle 0.5 s):');
  for (const m of ['speex', 'polyphase'] as const) {
    const figures: string[] = [];
    for (const hz of [7500, 8500, 10000]) {
      const x = new Float32Array(44100);
      for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * hz * i) / 44100);
      const y = await resample(x, 44100, 16000, m);
      let a = 0,
        b = 0;
      for (let i = 11025; i < 33075; i++) a += x[i]! * x[i]!;
      for (let i = 4000; i < 12000; i++) b += y[i]! * y[i]!;
      figures.push(`${hz} Hz ${(10 * Math.log10(b / 8000 / (a / 22050))).toFixed(hz === 7500 ? 3 : 0)} dB`);
    }
    console.log(`  ${m.padEnd(10)} ${figures.join(', ')}`);
  }

  console.log('\nmemory, a 10-minute 16 kHz recording read from disk → frames → patches:');
  const ten = signal(16000 * 600, 16000);
  const dir2 = mkdtempSync(join(tmpdir(), 'auscult-bench-'));
  try {
    const path = join(dir2, 'ten.wav');
    writeFileSync(path, encodeWav16(ten, 16000));
    const samplesBytes = ten.length * 4;
    const d = await readWavFile(path);
    const f = logMelFrames(d.samples);
    const p = framesToPatches(f);
    const mb = (b: number): string => `${(b / 1e6).toFixed(0)} MB`;
    // What the pipeline holds: the decoded samples (the reader's only other buffer is one 1 MiB block),
    // the frames and the patches (which overlap by half, so twice the frames).
    const held = d.samples.byteLength + f.data.byteLength + p.data.byteLength;
    console.log(
      `  samples (float32) ${mb(samplesBytes)}; decoded ${mb(d.samples.byteLength)} + frames ${mb(f.data.byteLength)} + patches ${mb(p.data.byteLength)}` +
        ` = ${mb(held)} (${(held / samplesBytes).toFixed(2)} × the samples)`,
    );
    console.log(`  peak RSS so far: ${mb(process.resourceUsage().maxRSS * 1024)}`);
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
}

// Runs on its own too: node --import tsx bench/frontend.ts
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
