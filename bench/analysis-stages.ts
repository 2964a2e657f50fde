/**
 * Where one 30 s analysis at 44.1 kHz spends its time (issue 18), stage by stage, in one run: HEAD's
 * path (resample, then a separate 2 kHz band-limit, log-mel, YAMNet, learned quality, gate, head,
 * sound detector) beside each candidate change, every stage timed on its own with the engine's own
 * parts; then the whole engine (analyzeRecording) on the same audio, wall and CPU. Median of 9 runs
 * after a warm-up; the paths alternate within each run so the machine's load falls on all of them.
 *
 * The audio: a real 30 s KAUH recording (4 kHz) resampled to 44.1 kHz, so the gate passes and every
 * stage runs (a synthetic signal is withheld and skips the head and detector); the synthetic
 * breath-like signal of bench/analysis.ts stands in when the data is not there.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { AnalysisEngine } from '../src/inference/engine.js';
import {
  assessSignalQuality,
  bandLimitTo,
  readAudioFile,
  resampleTo16k,
  resampleTo16kBandLimited,
} from '../src/inference/front-end.js';
import { resample } from '../src/audio/resample.js';
import { encodeWav16 } from '../src/audio/wav-write.js';
import { DEFAULT_HEAD_CARD, YAMNET_ONNX, defaultModelsDir } from '../src/inference/paths.js';
import { yamnetStatus } from '../src/inference/models.js';
import { YamnetSession } from '../src/inference/yamnet-session.js';
import type { BandLimitedPass } from '../src/inference/sounds/detector.js';
import type { GatePass } from '../src/inference/gate/gate.js';
import { KAUH_DIR } from '../test/support/paths.js';
import { logMelFrames } from '../src/features/log-mel.js';
import { patchCount } from '../src/features/patches.js';
import { HOP, MEL_BANDS, PATCH_HOP_FRAMES } from '../src/features/yamnet-params.js';
import { breathLike } from './_signals.js';

export const title =
  'analysis stages: one 30 s analysis at 44.1 kHz stage by stage (HEAD’s path beside the candidates), and the whole engine';

const RUNS = 9;
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

async function input(): Promise<{ samples: Float32Array; note: string }> {
  const kauh = join(KAUH_DIR, 'audio', 'BP2_Asthma,E W,P L L R,52,F.wav');
  if (!existsSync(kauh))
    return { samples: breathLike(30, 44100), note: 'synthetic breath-like 30 s (KAUH data absent)' };
  const a = await readAudioFile(kauh);
  const at441 = await resample(a.samples, a.sampleRate, 44100);
  return {
    samples: at441.subarray(0, Math.min(at441.length, 30 * 44100)),
    note: 'KAUH BP2_Asthma (30 s) resampled to 44.1 kHz',
  };
}

/** Wall and CPU ms (all threads: onnxruntime's own count) per stage. */
type Stages = Record<string, { wall: number; cpu: number }>;

/** A stage timer: `await lap('name', () => work())` adds its wall and CPU ms to `into`. */
function timer(into: Stages): <T>(name: string, f: () => T | Promise<T>) => Promise<T> {
  return async (name, f) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await f();
    const c = process.cpuUsage(c0);
    const s = (into[name] ??= { wall: 0, cpu: 0 });
    s.wall += performance.now() - t0;
    s.cpu += (c.user + c.system) / 1000;
    return r;
  };
}

interface Path {
  name: string;
  /** The analysis of `x` stage by stage, with the engine's parts. */
  run(x: Float32Array, lap: ReturnType<typeof timer>): Promise<string>;
}

export async function run(): Promise<void> {
  const modelsDir = defaultModelsDir();
  const card = join(modelsDir, DEFAULT_HEAD_CARD);
  const status = yamnetStatus();
  if (!status.ok || !existsSync(card)) {
    console.log(`   skipped: needs YAMNet (${status.ok ? 'ok' : status.reason}) and models/head.card.json`);
    return;
  }
  const { samples, note } = await input();
  const rate = 44100;
  const engine = await AnalysisEngine.load({ headCard: card });
  // the engine's YAMNet is private: a second session with the same file and options
  const yamnet = await YamnetSession.load(join(modelsDir, YAMNET_ONNX));
  const bw = engine.card.input.bandwidthHz;

  /** Everything after the 16 kHz band-limited audio, as engine.analyzeRecording runs it. */
  const backHalf = async (x: Float32Array, banded: Float32Array, lap: ReturnType<typeof timer>): Promise<string> => {
    const quality = await lap('signal quality', () => assessSignalQuality(x, rate));
    // HEAD's front end: every frame first, then YAMNet batch after batch
    const frames = await lap('log-mel front end', () => logMelFrames(banded));
    const count = patchCount(frames.frames);
    const patches = {
      source: {
        count,
        copyPatch: (i: number, dest: Float32Array) =>
          dest.set(frames.data.subarray(i * PATCH_HOP_FRAMES * MEL_BANDS, (i * PATCH_HOP_FRAMES + 96) * MEL_BANDS)),
      },
      startsSec: Array.from({ length: count }, (_, i) => (i * PATCH_HOP_FRAMES * HOP) / 16000),
    };
    const out = await lap('YAMNet', () => yamnet.run(patches.source, true));
    const pass: BandLimitedPass & GatePass = {
      banded16k: banded,
      embeddings: out.embeddings,
      scores: out.scores!,
      count: out.count,
      startsSec: patches.startsSec,
      durationSec: x.length / rate,
    };
    const lq = await lap('learned quality', () => engine.learnedQuality(pass));
    const decision = await lap('gate', () =>
      engine.gate.decide(engine.gate.patchEvidence(pass), pass, quality, lq, engine.card.input),
    );
    if (!decision.passed) return 'withheld';
    await lap('head', () => engine.verdict(decision, pass));
    await lap('sound detector', () => engine.detectSounds(pass));
    return 'passed';
  };

  const paths: Path[] = [
    {
      name: "HEAD's path",
      run: async (x, lap) => {
        const s16 = await lap('resample 44.1 → 16 kHz', () => resampleTo16k(x, rate));
        const banded = await lap('band-limit 2 kHz', () => bandLimitTo(s16, 16000, bw));
        return backHalf(x, banded, lap);
      },
    },
    {
      name: 'fused resample + band-limit',
      run: async (x, lap) => {
        const banded = await lap('resample 44.1 → 16 kHz', () => resampleTo16kBandLimited(x, rate, bw));
        return backHalf(x, banded, lap);
      },
    },
  ];

  try {
    const per: Stages[][] = paths.map(() => []);
    const gateStatus: string[] = paths.map(() => '');
    for (let r = 0; r <= RUNS; r++)
      for (let p = 0; p < paths.length; p++) {
        const st: Stages = {};
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        gateStatus[p] = await paths[p]!.run(samples, timer(st));
        const c = process.cpuUsage(c0);
        st['total'] = { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
        if (r > 0) per[p]!.push(st);
      }
    const names = [...new Set(per.flatMap((runs) => runs.flatMap((s) => Object.keys(s))))];
    console.log(
      `   ${note}; per stage wall ms / CPU ms (all threads), median of ${RUNS} after a warm-up, paths alternating; load ${load()} (gate: ${gateStatus.join(', ')}):`,
    );
    const W = 34;
    console.log(`     ${'stage'.padEnd(26)}${paths.map((p) => p.name.padStart(W)).join('')}`);
    for (const n of names) {
      const cells = per.map((runs) => {
        const v = runs.map((s) => s[n]).filter((x) => x !== undefined);
        const cell = v.length
          ? `${median(v.map((x) => x.wall)).toFixed(1)} / ${median(v.map((x) => x.cpu)).toFixed(1)}`
          : '—';
        return cell.padStart(W);
      });
      console.log(`     ${n.padEnd(26)}${cells.join('')}`);
    }
    const rt = (k: 'wall' | 'cpu') =>
      per.map((runs) => `${((30 * 1000) / median(runs.map((s) => s['total']![k]))).toFixed(0)}×`);
    console.log(
      `     ${'× real time: wall'.padEnd(26)}${rt('wall')
        .map((x) => x.padStart(W))
        .join('')}`,
    );
    console.log(
      `     ${'× real time per CPU-second'.padEnd(26)}${rt('cpu')
        .map((x) => x.padStart(W))
        .join('')}`,
    );
    await wholeEngine(card, samples, rate);
  } finally {
    await engine.close();
    await yamnet.close();
  }
}

/**
 * The whole engine on the same audio, HEAD's order (overlap false, the default: every stage after
 * the other) beside the overlapped one (YAMNet on its worker thread while the front end and the
 * audio's own measures run), with 2 and 1 onnxruntime threads, paired: the whole-array path (analyzeRecording) and the streamed one the CLI runs
 * (analyzeFile on a WAV of the audio).
 */
async function wholeEngine(card: string, samples: Float32Array, rate: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-stages-'));
  const wav = join(dir, 'a.wav');
  writeFileSync(wav, encodeWav16(samples, rate));
  const engines = [
    { name: "HEAD's order (overlap: false, the default)", engine: await AnalysisEngine.load({ headCard: card }) },
    { name: 'overlap: true', engine: await AnalysisEngine.load({ headCard: card, overlap: true }) },
    {
      name: 'overlap: true, YAMNet on 1 thread',
      engine: await AnalysisEngine.load({ headCard: card, overlap: true, threads: 1 }),
    },
  ];
  try {
    for (const [how, f] of [
      ['analyzeRecording', (e: AnalysisEngine) => e.analyzeRecording(samples, rate)],
      ['analyzeFile (streamed, the CLI)', async (e: AnalysisEngine) => (await e.analyzeFile(wav)).result],
    ] as const) {
      const rows = engines.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
      for (let r = 0; r <= RUNS; r++)
        for (let k = 0; k < engines.length; k++) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          await f(engines[k]!.engine);
          const c = process.cpuUsage(c0);
          if (r > 0) {
            rows[k]!.wall.push(performance.now() - t0);
            rows[k]!.cpu.push((c.user + c.system) / 1000);
          }
        }
      console.log(
        `   whole engine, ${how}, same audio, paired, median of ${RUNS} (load ${load()}): ` +
          engines
            .map((e, k) => {
              const w = median(rows[k]!.wall);
              return `${e.name} ${w.toFixed(0)} ms wall / ${median(rows[k]!.cpu).toFixed(0)} ms CPU = ${((30 * 1000) / w).toFixed(0)}× real time`;
            })
            .join('; '),
      );
    }
  } finally {
    await Promise.all(engines.map((e) => e.engine.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
