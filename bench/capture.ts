/**
 * Live capture pipeline cost and latency, at 48 kHz input, paced in real time in 20 ms chunks
 * (as a USB device delivers them): WAV writer + resample to 16 kHz + streaming log-mel + level
 * and quality + live YAMNet/head every 0.48 s (when the models are present).
 *
 *  - CPU per second of audio: process CPU time (all threads, so onnxruntime's too) over the run
 *    divided by the audio's duration; goal <= 5 % of one core.
 *  - Latency: for each published log-mel frame, from the moment the chunk holding the newest
 *    device sample of that frame entered the pipeline to the moment the frame was published.
 *    It includes the resampler's own delay (it must see a few ms past a sample before it can
 *    emit it) but not the device's buffer; goal <= 30 ms.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LivePipeline, type FramesEvent } from '../src/capture/live-pipeline.js';
import { realPipelineParts } from '../src/capture/pipeline-parts.js';
import type { CaptureAnalyzer } from '../src/capture/pipeline-types.js';

export const title = 'capture: live pipeline at 48 kHz (CPU per second of audio, sample-to-frame latency)';

const RATE = 48000;
const CHUNK = 960; // 20 ms
const SECONDS = Number(process.env['AUSCULT_BENCH_CAPTURE_SECONDS'] ?? 12);

function lungLikeSignal(n: number): Int16Array {
  // Band-limited noise with a slow breathing envelope: the shape of a chest recording.
  const out = new Int16Array(n);
  let seed = 12345;
  let lp = 0;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const white = seed / 2 ** 32 - 0.5;
    lp += 0.05 * (white - lp);
    const breath = 0.5 + 0.5 * Math.sin((2 * Math.PI * i) / (RATE * 3.5));
    out[i] = Math.round(32767 * Math.max(-1, Math.min(1, 3 * lp * (0.2 + breath) + 0.02 * Math.sin((2 * Math.PI * 120 * i) / RATE))));
  }
  return out;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function loadAnalyzer(): Promise<{ analyzer: CaptureAnalyzer | null; note: string; close: () => Promise<void> }> {
  try {
    const { AnalysisEngine } = await import('../src/inference/engine.js');
    const engine = await AnalysisEngine.load();
    return {
      analyzer: { analyzeLiveWindow: (s) => engine.analyzeLiveWindow(s), analyzeFile: () => Promise.reject(new Error('not used')) },
      note: `live YAMNet + head (${engine.versions.head.name} ${engine.versions.head.version}) every 0.48 s`,
      close: () => engine.close(),
    };
  } catch (err) {
    return { analyzer: null, note: `WITHOUT live YAMNet (models not available: ${(err as Error).message.split('\n')[0]})`, close: async () => undefined };
  }
}

export async function run(): Promise<void> {
  const { analyzer, note, close } = await loadAnalyzer();
  const audio = lungLikeSignal(RATE * SECONDS);
  const wavPath = join(tmpdir(), `auscult-bench-capture-${process.pid}.wav`);
  const pipeline = await LivePipeline.create({ sampleRate: RATE, wavPath, parts: realPipelineParts, analyzer });
  const pushedAt: number[] = [];
  const latencies: number[] = [];
  let liveResults = 0;
  pipeline.on('live', () => liveResults++);
  pipeline.on('frames', (e: FramesEvent) => {
    const t = performance.now();
    for (let k = 0; k < e.frames.length; k++) {
      const frame = e.firstFrame + k;
      // Newest 16 kHz sample of the frame, mapped to the device rate.
      const newest = Math.min(audio.length - 1, Math.ceil(((frame * 160 + 399 + 1) * RATE) / 16000) - 1);
      const chunk = Math.floor(newest / CHUNK);
      const entered = pushedAt[chunk];
      if (entered !== undefined) latencies.push(t - entered);
    }
  });

  // Warm up outside the measurement (the first ONNX run allocates its buffers).
  if (analyzer) await analyzer.analyzeLiveWindow(new Float32Array(15360));
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let pushCpuMs = 0;
  for (let c = 0; c * CHUNK < audio.length; c++) {
    const due = wall0 + (c * CHUNK * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pushedAt[c] = t;
    pipeline.push(audio.subarray(c * CHUNK, (c + 1) * CHUNK));
    pushCpuMs += performance.now() - t;
  }
  await pipeline.finish();
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  rmSync(wavPath, { force: true });
  await close();

  const stats = pipeline.stats;
  const sorted = latencies.sort((a, b) => a - b);
  const cpuPct = (cpuMs / (SECONDS * 1000)) * 100;
  console.log(`  ${SECONDS} s of 48 kHz audio in 20 ms chunks, paced in real time; ${note}`);
  console.log(`  CPU: ${cpuPct.toFixed(2)} % of one core per second of audio (goal <= 5 %)  [${cpuMs.toFixed(0)} ms CPU; synchronous push path ${((pushCpuMs / (SECONDS * 1000)) * 100).toFixed(2)} %]`);
  console.log(`  latency sample -> published log-mel frame: median ${pct(sorted, 0.5).toFixed(1)} ms, p95 ${pct(sorted, 0.95).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms over ${sorted.length} frames (goal <= 30 ms)`);
  console.log(`  frames: ${stats.framesEmitted} computed, ${stats.framesPublished} published, ${stats.droppedFrames} dropped; live analyses ${liveResults} (${stats.liveSkipped} coalesced)`);
}
