/**
 * The engine's streamed file analysis (analyzeStream, fed by openWavStream) against its whole-array
 * path (analyzeRecording of readAudioFile): the same JSON byte for byte, timings aside. On a real
 * SPRSound recording through the shipped head, gate and sound detector (so the learned quality check,
 * the gate's per-patch level and tonality and the detector's hand features all come from the stream),
 * and on synthetic WAVs at 44.1, 48, 4 and 16 kHz and one shorter than a patch through a contract head
 * with the permissive gate, read in blocks of several sizes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { readAudioFile } from '../../src/inference/front-end.js';
import { openWavStream } from '../../src/audio/wav-read.js';
import type { AnalysisResult } from '../../src/inference/analysis-types.js';
import { makeHead } from '../support/make-head.js';
import { SPRSOUND_DIR, scratchDir, sprsoundMissing } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable();
let shipped: AnalysisEngine | undefined;
let contract: AnalysisEngine | undefined;

before(async () => {
  if (skip) return;
  const modelsDir = await yamnetModelsDir();
  shipped = await AnalysisEngine.load({ modelsDir });
  contract = await AnalysisEngine.load({ modelsDir, headCard: makeHead(scratchDir(), { seed: 9 }).cardPath });
});
after(async () => {
  await Promise.all([shipped?.close(), contract?.close()]);
});

const json = (r: AnalysisResult) => JSON.stringify({ ...r, timingsMs: null });

async function bothPaths(engine: AnalysisEngine, path: string, blockBytes: number) {
  const audio = await readAudioFile(path);
  const batch = await engine.analyzeRecording(audio.samples, audio.sampleRate);
  const stream = await openWavStream(path, { blockBytes });
  try {
    const streamed = await engine.analyzeStream(stream.chunks(), stream.sampleRate, { expectedSamples: stream.frames });
    return { batch, streamed };
  } finally {
    await stream.close();
  }
}

function writeWav(path: string, seconds: number, rate: number, seed: number): void {
  let s = seed;
  let lp = 0;
  const pcm = Int16Array.from({ length: Math.round(seconds * rate) }, (_, i) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    lp += 0.2 * ((s / 4294967296) * 2 - 1 - lp);
    const v = 0.3 * (0.5 + 0.5 * Math.sin((2 * Math.PI * 0.25 * i) / rate)) * lp;
    return Math.round(v * 32767);
  });
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, rate, '16', pcm);
  writeFileSync(path, wav.toBuffer());
}

test(
  'a real recording streamed through the shipped head, gate and detector gives the whole-array JSON byte for byte',
  { skip: skip || sprsoundMissing() },
  async () => {
    const { toStoredWav } = await import('../../src/audio/audio-read.js');
    const wavPath = join(scratchDir(), 'stream-real.wav');
    const flac = join(SPRSOUND_DIR, 'audio', 'test2023/66236931_2.0_1_p2_5262.flac');
    writeFileSync(wavPath, (await toStoredWav(readFileSync(flac))).wav);
    const { batch, streamed } = await bothPaths(shipped!, wavPath, 10_000);
    // the back half ran on streamed evidence: the gate let it speak, the detector and quality check answered
    assert.notEqual(batch.status, 'withheld', batch.statusReasons.join('; '));
    assert.ok(streamed.sounds && streamed.sounds.timeline.length === streamed.patchCount);
    assert.ok(streamed.learnedQuality && streamed.learnedQuality.windows.length > 0);
    assert.equal(json(streamed), json(batch));
  },
);

test(
  'a real FLAC analysed as a file (streamed) gives the JSON of its decoded array, and a damaged one no result',
  { skip: skip || sprsoundMissing() },
  async () => {
    const flac = join(SPRSOUND_DIR, 'audio', 'test2023/66236931_2.0_1_p2_5262.flac');
    const audio = await readAudioFile(flac);
    const batch = await shipped!.analyzeRecording(audio.samples, audio.sampleRate);
    const { result } = await shipped!.analyzeFile(flac);
    assert.notEqual(batch.status, 'withheld');
    assert.equal(json(result), json(batch));
    // the checksum is checked after the last chunk: a wrong MD5 yields the reader's error, not a result
    const bytes = Buffer.from(readFileSync(flac));
    bytes[30] = bytes[30]! ^ 0xff;
    const bad = join(scratchDir(), 'bad-md5.flac');
    writeFileSync(bad, bytes);
    await assert.rejects(shipped!.analyzeFile(bad), /checksum \(MD5\)/);
  },
);

test('synthetic WAVs at several rates and lengths stream to the whole-array JSON byte for byte', { skip }, async () => {
  const dir = scratchDir();
  for (const [seconds, rate, blockBytes] of [
    [37.3, 44100, 8192],
    [20, 48000, 1 << 20],
    [17.3, 4000, 999],
    [12, 16000, 3000],
    [0.5, 44100, 512],
  ] as const) {
    const path = join(dir, `stream-${rate}-${seconds}.wav`);
    writeWav(path, seconds, rate, Math.round(seconds * 10));
    const { batch, streamed } = await bothPaths(contract!, path, blockBytes);
    assert.ok(batch.patchCount >= 1);
    if (seconds > 3) assert.notEqual(batch.status, 'withheld', `${rate} Hz: ${batch.statusReasons.join('; ')}`);
    assert.equal(json(streamed), json(batch), `${seconds} s at ${rate} Hz in ${blockBytes}-byte blocks`);
  }
});

test('an empty stream is refused with a sentence, as an empty array is', { skip }, async () => {
  async function* nothing(): AsyncGenerator<Float32Array> {}
  await assert.rejects(contract!.analyzeStream(nothing(), 44100), /holds no samples/);
});
