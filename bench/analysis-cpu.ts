/**
 * CPU per analysis (issue 18): this build beside a baseline build, in one run, on 30 s of a real KAUH
 * recording at 44.1 kHz and at its own 4 kHz — analyzeRecording (whole array) and analyzeFile (the
 * CLI's streamed path), each with YAMNet's outputs replayed (the network's time taken out: what is
 * left is this code's own CPU) and with YAMNet run. The builds alternate run by run (ABBA), so the
 * machine's load and the collections fall on both; medians of RUNS after a warm-up; process CPU (all
 * threads; its minimum too, the figure a busy machine disturbs least) and wall.
 *
 *   AUSCULT_BENCH_BEFORE=<another checkout, built (npm run build)> node dist/bench/run.js analysis-cpu
 *
 * Without AUSCULT_BENCH_BEFORE only this build runs. Both builds must give the same results (timings
 * aside): a line says whether they do. The replay keys each YAMNet input by its values, so a build
 * whose front end differed would miss the cache and run the network (and the results line would say so).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as EngineModule from '../src/inference/engine.js';
import * as thisEngine from '../src/inference/engine.js';
import { ort } from '../src/inference/ort.js';
import { readAudioFile } from '../src/inference/front-end.js';
import { resample } from '../src/audio/resample.js';
import { encodeWav16 } from '../src/audio/wav-write.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir } from '../src/inference/paths.js';
import { yamnetStatus } from '../src/inference/models.js';
import { KAUH_DIR } from '../test/support/paths.js';
import type { AnalysisResult } from '../src/inference/analysis-types.js';

export const title = 'analysis CPU: this build beside a baseline build (AUSCULT_BENCH_BEFORE), YAMNet replayed and run';

const RUNS = 20;
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

type Feeds = Record<string, { data: unknown; dims: readonly number[] }>;
type RunFn = (this: unknown, feeds: Feeds, ...rest: unknown[]) => Promise<Record<string, unknown>>;
interface SessionProto {
  prototype: { run: RunFn };
}

/**
 * YAMNet's outputs (the sessions whose input is `patches`) recorded on first sight of an input and
 * replayed after, while `on`; every other session runs as usual. Patches the session class of each
 * onnxruntime instance given (one when both builds resolve the same package).
 */
function replayYamnet(classes: SessionProto[]): { on: boolean; restore: () => void } {
  const cache = new Map<string, Record<string, unknown>>();
  const state = { on: false, restore: (): void => undefined };
  const originals = classes.map((c) => c.prototype.run);
  classes.forEach((c, k) => {
    const original = originals[k]!;
    c.prototype.run = async function (this: unknown, feeds: Feeds, ...rest: unknown[]) {
      const patches = feeds['patches'];
      if (!patches) return original.call(this, feeds, ...rest);
      const x = patches.data as Float32Array;
      let sum = 0;
      for (let i = 0; i < x.length; i++) sum += x[i]! * ((i % 7) + 1);
      const key = `${patches.dims.join('x')}:${sum}`;
      const hit = state.on ? cache.get(key) : undefined;
      if (hit) {
        // fresh tensors each time: the engine disposes of what it is given
        const out: Record<string, unknown> = {};
        for (const [name, t] of Object.entries(hit)) {
          const tensor = t as { data: Float32Array; dims: readonly number[] };
          out[name] = new ort.Tensor('float32', tensor.data.slice(), tensor.dims);
        }
        return out;
      }
      const out = await original.call(this, feeds, ...rest);
      const kept: Record<string, unknown> = {};
      for (const [name, t] of Object.entries(out)) {
        const tensor = t as { data: Float32Array; dims: readonly number[] };
        kept[name] = { data: Float32Array.from(tensor.data), dims: [...tensor.dims] };
      }
      cache.set(key, kept);
      return out;
    };
  });
  state.restore = () => {
    classes.forEach((c, k) => (c.prototype.run = originals[k]!));
  };
  return state;
}

const withoutTimings = (r: AnalysisResult): string => JSON.stringify({ ...r, timingsMs: null });

export async function run(): Promise<void> {
  const modelsDir = defaultModelsDir();
  const card = join(modelsDir, DEFAULT_HEAD_CARD);
  const status = yamnetStatus();
  const kauh = join(KAUH_DIR, 'audio', 'BP2_Asthma,E W,P L L R,52,F.wav');
  if (!status.ok || !existsSync(card) || !existsSync(kauh)) {
    console.log('   skipped: needs YAMNet, models/head.card.json and the KAUH recordings');
    return;
  }
  const baseDir = process.env['AUSCULT_BENCH_BEFORE'];
  const builds: Array<{ name: string; mod: typeof EngineModule; ort: SessionProto }> = [];
  const ourSessions = ort.InferenceSession as unknown as SessionProto;
  if (baseDir) {
    const dist = join(resolve(baseDir), 'dist', 'src', 'inference');
    if (!existsSync(join(dist, 'engine.js'))) {
      console.log(
        `   AUSCULT_BENCH_BEFORE=${baseDir} holds no build (dist/src/inference/engine.js): run npm run build there`,
      );
      return;
    }
    const mod = (await import(pathToFileURL(join(dist, 'engine.js')).href)) as typeof EngineModule;
    const baseOrt = (await import(pathToFileURL(join(dist, 'ort.js')).href)) as { ort: typeof ort };
    builds.push({ name: `baseline (${baseDir})`, mod, ort: baseOrt.ort.InferenceSession as unknown as SessionProto });
  } else console.log('   (no AUSCULT_BENCH_BEFORE: this build alone; set it to a built checkout to compare)');
  builds.push({ name: 'this build', mod: thisEngine, ort: ourSessions });

  const a = await readAudioFile(kauh);
  const dir = mkdtempSync(join(tmpdir(), 'auscult-cpu-'));
  const replay = replayYamnet([...new Set(builds.map((b) => b.ort))]);
  const engines: EngineModule.AnalysisEngine[] = [];
  try {
    for (const b of builds) engines.push(await b.mod.AnalysisEngine.load({ headCard: card, modelsDir }));
    for (const rate of [44100, a.sampleRate]) {
      const x = rate === a.sampleRate ? a.samples : await resample(a.samples, a.sampleRate, rate);
      const wav = join(dir, `${rate}.wav`);
      writeFileSync(wav, encodeWav16(x.subarray(0, Math.min(x.length, 30 * rate)), rate));
      // the WAV's own samples (16-bit), so both paths analyse the same audio
      const { samples } = await readAudioFile(wav);
      const paths = [
        ['analyzeRecording', (e: EngineModule.AnalysisEngine) => e.analyzeRecording(samples, rate)],
        ['analyzeFile', async (e: EngineModule.AnalysisEngine) => (await e.analyzeFile(wav)).result],
      ] as const;
      // the results first (this also fills the replay cache, network run)
      replay.on = false;
      const results = new Set<string>();
      for (const e of engines) for (const [, f] of paths) results.add(withoutTimings(await f(e)));
      console.log(
        `   ${samples.length / rate} s at ${rate / 1000} kHz: ${results.size === 1 ? 'results identical across builds and paths (timings aside)' : 'RESULTS DIFFER between builds or paths'}`,
      );
      for (const replayed of [true, false]) {
        replay.on = replayed;
        for (const [how, f] of paths) {
          const rows = engines.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
          for (let r = 0; r <= RUNS; r++)
            for (let j = 0; j < engines.length; j++) {
              // the order turns round each run: a collection the one before leaves due falls on both alike
              const k = r % 2 ? engines.length - 1 - j : j;
              const c0 = process.cpuUsage();
              const t0 = performance.now();
              await f(engines[k]!);
              const c = process.cpuUsage(c0);
              if (r === 0) continue;
              rows[k]!.wall.push(performance.now() - t0);
              rows[k]!.cpu.push((c.user + c.system) / 1000);
            }
          console.log(
            `     ${how.padEnd(17)} ${replayed ? 'YAMNet replayed' : 'YAMNet run     '} (load ${load()}): ` +
              builds
                .map(
                  (b, k) =>
                    `${b.name} ${median(rows[k]!.cpu).toFixed(1)} ms CPU (min ${Math.min(...rows[k]!.cpu).toFixed(1)}) / ${median(rows[k]!.wall).toFixed(1)} wall`,
                )
                .join('; '),
          );
        }
      }
    }
  } finally {
    replay.restore();
    await Promise.all(engines.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
