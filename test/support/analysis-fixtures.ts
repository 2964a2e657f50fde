/**
 * AnalysisResult objects of the contract's shape (src/inference/analysis-types.ts) for the store,
 * service and export tests: an 'ok' abnormal one with a wheeze, an 'uncertain' one, a 'withheld'
 * one (speech), and an earlier engine's (1.0.0, before the gate). What the engine puts in these
 * fields is tested in test/inference; here they are inputs.
 */
import type { AnalysisResult, PatchEvidence, WindowEvidence } from '../../src/inference/analysis-types.js';
import type { NewAnalysis } from '../../src/store/index.js';
import { toNewAnalysis } from '../../src/service/recording-intake.js';

export type FixtureKind = 'ok' | 'uncertain' | 'withheld';

function patches(durationSec: number, excluded: (start: number) => PatchEvidence['excluded']): PatchEvidence[] {
  const out: PatchEvidence[] = [];
  for (let s = 0; s + 0.96 <= durationSec + 1e-9; s += 0.48) {
    const startSec = Math.round(s * 100) / 100;
    out.push({ startSec, endSec: Math.round((s + 0.96) * 100) / 100, excluded: excluded(startSec) });
  }
  return out;
}

export function analysisFixture(kind: FixtureKind, engineVersion = '2.0.0'): AnalysisResult {
  const durationSec = 12;
  const withheld = kind === 'withheld';
  const pAbnormal = kind === 'ok' ? 0.91 : 0.76;
  const probabilities = withheld
    ? null
    : kind === 'ok'
      ? { asthma: 0.52, copd: 0.2, pneumonia: 0.14, healthy: 0.09, bronchial: 0.05 }
      : { asthma: 0.3, copd: 0.2, pneumonia: 0.16, healthy: 0.24, bronchial: 0.1 };
  const windows: WindowEvidence[] =
    withheld || !probabilities
      ? []
      : [0, 3, 6, 9].map((startSec, i) => ({
          startSec,
          endSec: startSec + 3,
          pAbnormal: Math.min(0.99, pAbnormal + (i - 1.5) * 0.03),
          probabilities,
        }));
  const ps = patches(durationSec, (s) => (withheld ? 'speech' : kind === 'uncertain' && s >= 10 ? 'noise' : null));
  const excludedSec = ps.some((p) => p.excluded) ? (withheld ? durationSec : 2) : 0;
  return {
    durationSec,
    sampleRate: 4000,
    quality: {
      verdict: 'good',
      reasons: [],
      clippingRatio: 0,
      rmsDbfs: -30,
      peakDbfs: -10,
      silenceRatio: 0,
      noiseFloorDbfs: -50,
    },
    patchCount: ps.length,
    embedding: { dims: 1024, patches: ps.length, meanL2Norm: 10 },
    probabilities,
    topClass: withheld ? null : kind === 'ok' ? 'asthma' : 'asthma',
    screen: withheld ? null : { pAbnormal, label: kind === 'ok' ? 'abnormal' : 'uncertain', threshold: 0.742 },
    status: kind,
    statusReasons:
      kind === 'ok'
        ? []
        : kind === 'uncertain'
          ? ['too close to call: the screen is within 0.075 of its threshold']
          : ['this sounds like speech, not a chest recording'],
    gate: {
      passed: !withheld,
      usableSec: durationSec - excludedSec,
      excludedSec,
      foreignScore: withheld ? 0.8 : 0.05,
      novelty: withheld ? null : 1.2,
      pPoor: 0.1,
    },
    patches: ps,
    windows,
    yamnetTop: [{ index: 0, name: withheld ? 'Speech' : 'Breathing', score: 0.7 }],
    models: {
      engineVersion,
      yamnet: { file: 'yamnet.onnx', sha256: 'a'.repeat(64), sourceSha256: 'b'.repeat(64) },
      head: { name: 'auscult-head-kauh', version: '1.0.0', sha256: 'c'.repeat(64) },
    },
    sounds:
      kind === 'ok'
        ? {
            crackle: { present: false, probability: 0.12 },
            wheeze: { present: true, probability: 0.83 },
            events: [
              { type: 'wheeze', startSec: 1.44, endSec: 3.36, probability: 0.88 },
              { type: 'wheeze', startSec: 6.24, endSec: 8.64, probability: 0.81 },
            ],
            timeline: ps.map((p) => ({ startSec: p.startSec, endSec: p.endSec, crackle: 0.1, wheeze: 0.5 })),
            model: { name: 'auscult-sounds-sprsound', version: '1.0.0', sha256: 'd'.repeat(64) },
          }
        : kind === 'uncertain'
          ? {
              crackle: { present: false, probability: 0.2 },
              wheeze: { present: false, probability: 0.1 },
              events: [],
              timeline: [],
              model: { name: 'auscult-sounds-sprsound', version: '1.0.0', sha256: 'd'.repeat(64) },
            }
          : null,
    learnedQuality: { pPoor: 0.1, poor: false, windows: [] },
    timingsMs: { resample: 1, frontEnd: 1, yamnet: 1, gate: 1, head: 1, sounds: 1, total: 6 },
  };
}

/** An analysis stored by an engine before the gate: figures present, status 'ok', no `gate` in its JSON. */
export function earlierEngineAnalysis(): NewAnalysis {
  const a = analysisFixture('ok', '1.0.0');
  const { gate: _g, patches: _p, windows: _w, ...old } = a;
  return { ...toNewAnalysis(a), resultJson: JSON.stringify(old) };
}

export function newAnalysisFixture(kind: FixtureKind): NewAnalysis {
  return toNewAnalysis(analysisFixture(kind));
}
