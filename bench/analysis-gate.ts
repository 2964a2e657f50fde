/**
 * The competence gate's cost (issue 11): per 30 s recording, the gate's own work (contact, tonality,
 * foreign-sound and novelty checks per patch, and the decision; timingsMs.gate) beside the rest of
 * the same analysis (timingsMs.total − gate), in the same runs; for a real 30 s KAUH recording at
 * its 4 kHz and resampled to 44.1 kHz, through the shipped head. Also the engine's one band-limited
 * YAMNet pass (the default, issue 18) beside the older second full-band pass for the AudioSet line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisEngine } from '../src/inference/engine.js';
import { readAudioFile } from '../src/inference/front-end.js';
import { resample } from '../src/audio/resample.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir } from '../src/inference/paths.js';
import { yamnetStatus } from '../src/inference/models.js';
import { KAUH_DIR } from '../test/support/paths.js';

export const title =
  'competence gate: its cost per 30 s recording beside the analysis without it; one vs two YAMNet passes';

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

export async function run(): Promise<void> {
  const card = join(defaultModelsDir(), DEFAULT_HEAD_CARD);
  const kauh = join(KAUH_DIR, 'audio', 'BP2_Asthma,E W,P L L R,52,F.wav');
  const status = yamnetStatus();
  if (!status.ok || !existsSync(card) || !existsSync(kauh)) {
    console.log(`   skipped: needs YAMNet (${status.ok ? 'ok' : status.reason}), models/head.card.json and ${kauh}`);
    return;
  }
  const a = await readAudioFile(kauh);
  const inputs = [
    { name: 'KAUH 30 s at 4 kHz', samples: a.samples, rate: a.sampleRate },
    { name: 'the same at 44.1 kHz', samples: await resample(a.samples, a.sampleRate, 44100), rate: 44100 },
  ];
  const engines = {
    one: await AnalysisEngine.load({ headCard: card }),
    two: await AnalysisEngine.load({ headCard: card, audioSetBand: 'full' }),
  };
  try {
    for (const input of inputs) {
      const rows: Record<
        'one' | 'two',
        Array<{ total: number; gate: number; yamnet: number; head: number; sounds: number }>
      > = {
        one: [],
        two: [],
      };
      let status = '';
      for (let r = 0; r < 8; r++)
        for (const k of ['one', 'two'] as const) {
          const res = await engines[k].analyzeRecording(input.samples, input.rate);
          status = res.status;
          if (r > 0) rows[k].push(res.timingsMs);
        }
      const m = (k: 'one' | 'two', f: 'total' | 'gate' | 'yamnet' | 'head' | 'sounds') =>
        median(rows[k].map((x) => x[f]));
      const gate = m('one', 'gate');
      const total = m('one', 'total');
      const without = median(rows.one.map((x) => x.total - x.gate));
      console.log(
        `   ${input.name} (status ${status}), median of 7 after a warm-up: analysis ${total.toFixed(0)} ms = ${without.toFixed(0)} ms without the gate + gate ${gate.toFixed(1)} ms ` +
          `(${((gate / without) * 100).toFixed(1)} % added; YAMNet ${m('one', 'yamnet').toFixed(0)}, head ${m('one', 'head').toFixed(1)}, sounds + learned quality ${m('one', 'sounds').toFixed(0)} ms)`,
      );
      console.log(
        `     with a second, full-band YAMNet pass for the AudioSet line (audioSetBand 'full', the engine before issue 11): ${m('two', 'total').toFixed(0)} ms (YAMNet ${m('two', 'yamnet').toFixed(0)} ms)`,
      );
    }
  } finally {
    await engines.one.close();
    await engines.two.close();
  }
}
