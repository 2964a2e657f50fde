import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WavStreamWriter, inspectWav, readWavPcm16, repairWav } from '../../src/audio/wav-stream-writer.js';
import { scratchDir } from '../support/paths.js';
import { tone } from '../support/virtual-alsa.js';

test('streamed WAV holds exactly the samples written, in a valid header', async () => {
  const dir = scratchDir();
  const path = join(dir, 'a.wav');
  const src = tone(44100, 2.3, 440);
  const w = await WavStreamWriter.create(path, { sampleRate: 44100 });
  for (let i = 0; i < src.length; i += 1000) w.write(src.subarray(i, i + 1000));
  const r = await w.close();
  assert.equal(r.samples, src.length);
  const info = inspectWav(path);
  assert.equal(info.needsRepair, false);
  assert.equal(info.sampleRate, 44100);
  assert.equal(info.samples, src.length);
  assert.deepEqual(readWavPcm16(path).samples, src);
});

test('header covers every flushed sample before close (what a crash would leave)', async () => {
  const dir = scratchDir();
  const path = join(dir, 'b.wav');
  const w = await WavStreamWriter.create(path, { sampleRate: 8000, flushIntervalMs: 60_000 });
  assert.equal(inspectWav(path).samples, 0); // valid, empty, from the start
  w.write(tone(8000, 0.5));
  await w.flush();
  const mid = inspectWav(path);
  assert.equal(mid.needsRepair, false);
  assert.equal(mid.samples, 4000);
  w.write(tone(8000, 1.2)); // crosses one second of buffered audio: flushes by itself
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(
    inspectWav(path).samples >= 4000 + 8000,
    'a full second of buffered audio is flushed without waiting for the timer',
  );
  await w.discard();
  assert.throws(() => statSync(path));
});

test('repairWav fixes a header left short by a crash between data write and header patch', async () => {
  const dir = scratchDir();
  const path = join(dir, 'c.wav');
  const w = await WavStreamWriter.create(path, { sampleRate: 16000 });
  const src = tone(16000, 1);
  w.write(src);
  await w.close();
  // Simulate the crash window: more data on disk (plus half a sample) than the header says.
  const extra = tone(16000, 0.25, 1000);
  const bytes = Buffer.concat([readFileSync(path), Buffer.from(extra.buffer), Buffer.from([7])]);
  writeFileSync(path, bytes);
  const before = inspectWav(path);
  assert.equal(before.needsRepair, true);
  assert.equal(before.headerDataBytes, src.length * 2);
  const after = await repairWav(path);
  assert.equal(after.needsRepair, false);
  assert.equal(after.samples, src.length + extra.length);
  const pcm = readWavPcm16(path).samples;
  assert.deepEqual(pcm.subarray(0, src.length), src);
  assert.deepEqual(pcm.subarray(src.length), extra);
});

test('a writer killed with SIGKILL leaves a valid WAV with every flushed sample', async () => {
  const dir = scratchDir();
  const path = join(dir, 'killed.wav');
  // A child writes a known ramp in 0.1 s chunks with a 200 ms flush interval, then waits forever.
  const script = `
    import { WavStreamWriter } from ${JSON.stringify(new URL('../../src/audio/wav-stream-writer.' + (import.meta.url.endsWith('.ts') ? 'ts' : 'js'), import.meta.url).href)};
    const w = await WavStreamWriter.create(${JSON.stringify(path)}, { sampleRate: 8000, flushIntervalMs: 200 });
    let n = 0;
    const t = setInterval(() => {
      const c = new Int16Array(800);
      for (let i = 0; i < c.length; i++) c[i] = (n++ % 30000) - 15000;
      w.write(c);
      if (n >= 8000 * 3) { clearInterval(t); process.stdout.write('written\\n'); setInterval(() => {}, 1000); }
    }, 5);
  `;
  const child = spawn(
    process.execPath,
    [...(import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (b: Buffer) => b.toString().includes('written') && resolve()),
  );
  await new Promise((r) => setTimeout(r, 500)); // at least one timer flush after the last write
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const info = inspectWav(path);
  assert.equal(info.needsRepair, false, 'header was patched at the last flush');
  assert.equal(info.samples, 8000 * 3);
  const pcm = readWavPcm16(path).samples;
  for (let i = 0; i < pcm.length; i++) if (pcm[i] !== (i % 30000) - 15000) assert.fail(`sample ${i} differs`);
});
