/**
 * The live pipeline fed directly (no device): under a burst it sheds display frames, never
 * samples, and accounts for every frame it dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LivePipeline, type FramesEvent } from '../../src/capture/live-pipeline.js';
import { realPipelineParts } from '../../src/capture/pipeline-parts.js';
import { readWavPcm16 } from '../../src/audio/wav-stream-writer.js';
import { scratchDir } from '../support/paths.js';
import { tone } from '../support/virtual-alsa.js';
import { batchLogMel } from './fixtures.js';

test('a burst of audio: every sample reaches the WAV; surplus display frames are dropped and counted', async () => {
  const audio = tone(44100, 5, 300, 0.4);
  const wavPath = join(scratchDir(), 'burst.wav');
  const p = await LivePipeline.create({
    sampleRate: 44100,
    wavPath,
    parts: realPipelineParts,
    analyzer: null,
    maxPendingFrames: 50,
  });
  const events: FramesEvent[] = [];
  const levels: number[] = [];
  p.on('frames', (e) => events.push(e));
  p.on('level', (l) => levels.push(l.peakDbfs));
  // All in one tick: the publish timer cannot fire in between, as when the event loop is busy.
  for (let i = 0; i < audio.length; i += 441) p.push(audio.subarray(i, i + 441));
  await p.finish();
  assert.deepEqual(readWavPcm16(wavPath).samples, audio, 'capture never drops samples');
  const ref = await batchLogMel(audio, 44100);
  const s = p.stats;
  assert.equal(s.framesEmitted, ref.frames);
  assert.ok(s.droppedFrames > 0, 'the burst overflowed the display queue');
  assert.equal(
    s.framesPublished + s.droppedFrames,
    ref.frames,
    'every frame is either published or counted as dropped',
  );
  assert.equal(events.at(-1)!.droppedFrames, s.droppedFrames);
  for (const e of events) {
    e.frames.forEach((row, k) => {
      for (let b = 0; b < 64; b++)
        assert.equal(row[b], ref.data[(e.firstFrame + k) * 64 + b], `frame ${e.firstFrame + k} band ${b}`);
    });
  }
  const kept = events.flatMap((e) => e.frames.map((_, k) => e.firstFrame + k));
  assert.equal(kept.at(-1), ref.frames - 1, 'the newest frames are the ones kept');
  // A steady tone: the meter's peak over any publish window is the tone's own peak.
  const peak = 20 * Math.log10(audio.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 32768);
  assert.ok(
    levels.length > 0 && Math.abs(levels.at(-1)! - peak) < 0.5,
    `peak level ${levels.at(-1)} dBFS, tone peak ${peak}`,
  );
});
