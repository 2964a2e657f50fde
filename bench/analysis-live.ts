/**
 * The live analysis' cost (issue 12 §5, live): what one LiveAnalyzer update costs while recording (the
 * capture pipeline calls it every 0.48 s of sound), and its cost per second of audio, with the sound
 * detector and learned quality check (the shipped engine) beside the same engine without them (the
 * baseline), in one run. Paired: the two engines alternate take by take over the same 60 s of a real
 * KAUH wheeze recording (the gate has to pass, or the detector never runs; how many updates it passed
 * on is printed), fed in 0.48 s blocks at 16 kHz as capture does. Medians over takes of the per-update
 * median, early (0-20 s) and late (40-60 s: the cost per update must not grow with the take).
 *   npm run bench -- analysis-live     (also run by `npm run bench -- analysis`)
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AnalysisEngine } from '../src/inference/engine.js';
import { readAudioFile, resampleTo16k } from '../src/inference/front-end.js';
import { LiveAnalyzer } from '../src/inference/live-analyzer.js';
import { yamnetStatus } from '../src/inference/models.js';
import { DEFAULT_SOUNDS_CARD, defaultModelsDir } from '../src/inference/paths.js';
import { PATCH_HOP_FRAMES, HOP, SAMPLE_RATE } from '../src/features/yamnet-params.js';
import { KAUH_ASTHMA } from '../test/support/non-chest.js';

export const title =
  'live analysis: cost per live update and per second of audio, with the sound detector beside without';

const TAKE_SEC = 60;
const TAKES = 5;
const BLOCK = PATCH_HOP_FRAMES * HOP; // 0.48 s at 16 kHz: one live update

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

interface Take {
  early: number;
  late: number;
  totalMs: number;
  updates: number;
  passed: number;
  withSounds: number;
}

async function take(engine: AnalysisEngine, audio: Float32Array): Promise<Take> {
  const live = new LiveAnalyzer(engine);
  const times: Array<{ at: number; ms: number }> = [];
  let passed = 0;
  let withSounds = 0;
  let totalMs = 0;
  for (let at = 0; at + BLOCK <= audio.length; at += BLOCK) {
    live.push(audio.subarray(at, at + BLOCK));
    const t0 = performance.now();
    const r = await live.update();
    const ms = performance.now() - t0;
    totalMs += ms;
    if (!r) continue;
    times.push({ at: (at + BLOCK) / SAMPLE_RATE, ms });
    if (r.status !== 'withheld') passed++;
    if (r.sounds) withSounds++;
  }
  const within = (a: number, b: number) => times.filter((t) => t.at > a && t.at <= b).map((t) => t.ms);
  return {
    early: median(within(3, 20)),
    late: median(within(TAKE_SEC - 20, TAKE_SEC)),
    totalMs,
    updates: times.length,
    passed,
    withSounds,
  };
}

export async function run(): Promise<void> {
  const status = yamnetStatus();
  if (!status.ok) {
    console.log(
      `   skipped: YAMNet not prepared (${status.reason}); run \`npx auscult models --source ../shared/models\``,
    );
    return;
  }
  if (!existsSync(join(defaultModelsDir(), DEFAULT_SOUNDS_CARD))) {
    console.log('   skipped: no sound detector installed (models/sounds.card.json): nothing to compare');
    return;
  }
  if (!existsSync(KAUH_ASTHMA)) {
    console.log(`   skipped: ${KAUH_ASTHMA} not found (the gate must pass for the detector to run)`);
    return;
  }
  const a = await readAudioFile(KAUH_ASTHMA);
  const once = await resampleTo16k(a.samples, a.sampleRate);
  const audio = new Float32Array(TAKE_SEC * SAMPLE_RATE);
  for (let i = 0; i < audio.length; i++) audio[i] = once[i % once.length]!;
  const engines = {
    baseline: await AnalysisEngine.load({ soundsCard: null }),
    detector: await AnalysisEngine.load({}),
  };
  try {
    const runs: Record<keyof typeof engines, Take[]> = { baseline: [], detector: [] };
    await take(engines.baseline, audio.subarray(0, 10 * SAMPLE_RATE)); // warm-up: ORT buffers, JIT
    await take(engines.detector, audio.subarray(0, 10 * SAMPLE_RATE));
    for (let i = 0; i < TAKES; i++)
      for (const k of i % 2 ? (['detector', 'baseline'] as const) : (['baseline', 'detector'] as const))
        runs[k].push(await take(engines[k], audio));
    console.log(
      `   ${TAKE_SEC} s of KAUH wheeze (${KAUH_ASTHMA.split('/').pop()}), 0.48 s per update, ${TAKES} paired takes; load average ${loadavg()[0]!.toFixed(2)}`,
    );
    const line = (k: keyof typeof engines, label: string) => {
      const r = runs[k];
      const perSec = median(r.map((t) => t.totalMs / TAKE_SEC));
      console.log(
        `   ${label.padEnd(38)} per update: median ${median(r.map((t) => t.early)).toFixed(1)} ms (3-20 s), ${median(r.map((t) => t.late)).toFixed(1)} ms (40-60 s); ${perSec.toFixed(1)} ms per second of audio (${(1000 / perSec).toFixed(0)}× real time); gate passed on ${r[0]!.passed}/${r[0]!.updates} updates, sounds on ${r[0]!.withSounds}`,
      );
      return perSec;
    };
    const base = line('baseline', 'baseline (no sound detector):');
    const det = line('detector', 'shipped (detector + learned quality):');
    console.log(
      `   the detector and learned quality add ${(det - base).toFixed(1)} ms per second of audio (${((100 * (det - base)) / base).toFixed(1)} % of the baseline)`,
    );
  } finally {
    await engines.baseline.close();
    await engines.detector.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
