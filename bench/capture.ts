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
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, tmpdir } from 'node:os';
import { AnalysisEngine } from '../src/inference/engine.js';
import { yamnetStatus } from '../src/inference/models.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir } from '../src/inference/paths.js';
import { makeHead } from '../test/support/make-head.js';
import { LivePipeline, type FramesEvent } from '../src/capture/live-pipeline.js';
import { realPipelineParts } from '../src/capture/pipeline-parts.js';
import type { CaptureAnalyzer } from '../src/capture/pipeline-types.js';

export const title = 'capture: live pipeline at 48 kHz (CPU per second of audio, sample-to-frame latency)';

const RATE = 48000;
const CHUNK = 960; // 20 ms
const SECONDS = Number(process.env['AUSCULT_BENCH_CAPTURE_SECONDS'] ?? 12);
const WARM_SECONDS = 3;

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
    out[i] = Math.round(
      32767 * Math.max(-1, Math.min(1, 3 * lp * (0.2 + breath) + 0.02 * Math.sin((2 * Math.PI * 120 * i) / RATE))),
    );
  }
  return out;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function loadAnalyzer(
  threads?: number,
): Promise<{ analyzer: CaptureAnalyzer | null; note: string; close: () => Promise<void> }> {
  const status = yamnetStatus();
  if (!status.ok && !process.env['AUSCULT_MODEL_SOURCE'] && !process.env['AUSCULT_MODEL_URL']) {
    return {
      analyzer: null,
      note: `WITHOUT live YAMNet (not prepared: ${status.reason}; run \`npx auscult models --source ../shared/models\`)`,
      close: () => Promise.resolve(),
    };
  }
  const real = join(defaultModelsDir(), DEFAULT_HEAD_CARD);
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-capture-'));
  const head = existsSync(real)
    ? { path: real, note: 'models/head.card.json' }
    : {
        path: makeHead(dir, { name: 'bench-head' }).cardPath,
        note: 'synthetic head, same architecture (models/head.card.json not present)',
      };
  const engine = await AnalysisEngine.load({ headCard: head.path, threads });
  return {
    analyzer: {
      createLive: () => engine.createLiveAnalyzer(),
      analyzeFile: () => Promise.reject(new Error('not used')),
    },
    note: `live YAMNet + head every 0.48 s (${head.note})`,
    close: async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Figures {
  cpuPct: number;
  pushPct: number;
  latencies: number[];
  frames: { computed: number; published: number; dropped: number };
  live: number;
  liveSkipped: number;
}

/** One paced run; the first WARM_SECONDS warm the JIT (JIT and the resampler's WASM module) and are not measured. */
async function measure(analyzer: CaptureAnalyzer | null, audio: Int16Array): Promise<Figures> {
  const wavPath = join(tmpdir(), `auscult-bench-capture-${process.pid}.wav`);
  const liveStream = analyzer?.createLive() ?? null;
  const pipeline = await LivePipeline.create({
    sampleRate: RATE,
    wavPath,
    parts: realPipelineParts,
    analyzer: liveStream,
  });
  const warmChunks = Math.round((WARM_SECONDS * RATE) / CHUNK);
  const pushedAt: number[] = [];
  const latencies: number[] = [];
  let live = 0;
  pipeline.on('live', () => live++);
  pipeline.on('frames', (e: FramesEvent) => {
    const t = performance.now();
    for (let k = 0; k < e.frames.length; k++) {
      const frame = e.firstFrame + k;
      // Newest 16 kHz sample of the frame, mapped to the device rate.
      const newest = Math.min(audio.length - 1, Math.ceil(((frame * 160 + 399 + 1) * RATE) / 16000) - 1);
      const chunk = Math.floor(newest / CHUNK);
      const entered = pushedAt[chunk];
      if (entered !== undefined && chunk >= warmChunks) latencies.push(t - entered);
    }
  });
  if (analyzer) {
    // first ONNX run allocates: warm up on an analyzer of its own
    const warm = analyzer.createLive();
    warm.push(new Float32Array(15600));
    await warm.update();
  }
  let cpu0 = process.cpuUsage();
  let liveAtStart = 0;
  let pushMs = 0;
  const wall0 = performance.now();
  for (let c = 0; c * CHUNK < audio.length; c++) {
    if (c === warmChunks) {
      cpu0 = process.cpuUsage();
      liveAtStart = live;
      pushMs = 0;
    }
    const due = wall0 + (c * CHUNK * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pushedAt[c] = t;
    const p0 = process.cpuUsage();
    pipeline.push(audio.subarray(c * CHUNK, (c + 1) * CHUNK));
    const p = process.cpuUsage(p0);
    pushMs += (p.user + p.system) / 1000;
  }
  const cpu = process.cpuUsage(cpu0);
  await pipeline.finish();
  rmSync(wavPath, { force: true });
  const stats = pipeline.stats;
  return {
    cpuPct: ((cpu.user + cpu.system) / 1000 / (SECONDS * 1000)) * 100,
    pushPct: (pushMs / (SECONDS * 1000)) * 100,
    latencies: latencies.sort((a, b) => a - b),
    frames: { computed: stats.framesEmitted, published: stats.framesPublished, dropped: stats.droppedFrames },
    live: live - liveAtStart,
    liveSkipped: stats.liveSkipped,
  };
}

function report(label: string, f: Figures): void {
  const l = f.latencies;
  console.log(`  ${label}`);
  console.log(
    `    CPU ${f.cpuPct.toFixed(2)} % of one core per second of audio (goal <= 5 %); of which the synchronous push path (WAV buffer, resample, log-mel, level, quality) ${f.pushPct.toFixed(2)} %`,
  );
  console.log(
    `    latency sample -> published log-mel frame: median ${pct(l, 0.5).toFixed(1)} ms, p95 ${pct(l, 0.95).toFixed(1)} ms, max ${(l.at(-1) ?? NaN).toFixed(1)} ms over ${l.length} frames (goal <= 30 ms)`,
  );
  console.log(
    `    frames ${f.frames.computed} computed, ${f.frames.published} published, ${f.frames.dropped} dropped; live analyses ${f.live} (${f.liveSkipped} coalesced)`,
  );
}

/** The bench's own pacing loop (50 timers a second) with no pipeline: subtract it mentally. */
async function pacingBaseline(): Promise<number> {
  const chunks = Math.round((SECONDS * RATE) / CHUNK);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let c = 0; c < chunks; c++) {
    const wait = wall0 + (c * CHUNK * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const cpu = process.cpuUsage(cpu0);
  return ((cpu.user + cpu.system) / 1000 / (SECONDS * 1000)) * 100;
}

export async function run(): Promise<void> {
  const audio = lungLikeSignal(RATE * (WARM_SECONDS + SECONDS));
  console.log(
    `  ${SECONDS} s of 48 kHz audio (after ${WARM_SECONDS} s warm-up) in 20 ms chunks, paced in real time; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
  );
  console.log(
    `  the pacing loop alone (no pipeline) costs ${(await pacingBaseline()).toFixed(2)} % of a core: included in the CPU figures below`,
  );
  report('front end only (WAV + resample + log-mel + level + quality):', await measure(null, audio));
  // The engine as the workstation loads it (default ONNX threads), then with one intra-op thread:
  // onnxruntime's spinning worker threads cost CPU without speeding up a single patch much.
  for (const threads of [undefined, 1]) {
    const { analyzer, note, close } = await loadAnalyzer(threads);
    if (!analyzer) {
      console.log(`  full live pipeline: ${note}`);
      return;
    }
    try {
      report(
        `full live pipeline, ${note}, ONNX intra-op threads ${threads ?? 'default'}:`,
        await measure(analyzer, audio),
      );
    } finally {
      await close();
    }
  }
}
