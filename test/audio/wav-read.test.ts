/**
 * WAV reading against real files: written by sox (an independent encoder and decoder) in every format we
 * claim, our own writer, a real KAUH recording, and damaged files built byte by byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, openSync, ftruncateSync, closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import wavefilePkg from 'wavefile';
import { AudioFileError, WAV_LIMITS, decodeWav, openWavStream, readWavFile } from '../../src/audio/wav-read.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { KAUH_DIR, kauhMissing, scratchDir } from '../support/paths.js';
import { hasSox, noise, sine, sox } from './signals.js';

const dir = scratchDir('auscult-wav-');
const noSox = hasSox() ? false : 'sox is not installed (apt-get install sox)';

/** Decodes with sox to raw float64, per channel interleaved, then mixes to mono like we do. */
function soxReference(path: string, channels: number): Float64Array {
  const raw = join(dir, 'ref.f64');
  sox([path, '-t', 'f64', '-e', 'floating-point', '-b', '64', '-L', raw]);
  const buf = readFileSync(raw);
  const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const out = new Float64Array(all.length / channels);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += all[i * channels + c]!;
    out[i] = s / channels;
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function expectError(fn: () => unknown, code: string, messagePart?: RegExp): AudioFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AudioFileError, `expected AudioFileError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (messagePart) assert.match(err.message, messagePart);
    return err;
  }
  assert.fail(`expected AudioFileError ${code}, nothing was thrown`);
}

async function expectFileError(path: string, code: string, messagePart?: RegExp): Promise<AudioFileError> {
  try {
    await readWavFile(path);
  } catch (err) {
    assert.ok(err instanceof AudioFileError, `expected AudioFileError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (messagePart) assert.match(err.message, messagePart);
    return err;
  }
  assert.fail(`expected AudioFileError ${code}, nothing was thrown`);
}

const formats: Array<{ name: string; args: string[]; bits: number; format: 'int' | 'float'; tol: number }> = [
  { name: '8-bit unsigned', args: ['-e', 'unsigned-integer', '-b', '8'], bits: 8, format: 'int', tol: 0 },
  { name: '16-bit', args: ['-e', 'signed-integer', '-b', '16'], bits: 16, format: 'int', tol: 0 },
  { name: '24-bit', args: ['-e', 'signed-integer', '-b', '24'], bits: 24, format: 'int', tol: 0 },
  { name: '32-bit int', args: ['-e', 'signed-integer', '-b', '32'], bits: 32, format: 'int', tol: 0 },
  { name: '32-bit float', args: ['-e', 'floating-point', '-b', '32'], bits: 32, format: 'float', tol: 0 },
  { name: '64-bit float', args: ['-e', 'floating-point', '-b', '64'], bits: 64, format: 'float', tol: 1e-7 },
];

for (const f of formats) {
  for (const channels of [1, 2, 3]) {
    test(
      `reads ${f.name} ${channels}-channel WAV written by sox, equal to sox's own decoding`,
      { skip: noSox },
      async () => {
        const path = join(dir, `fmt-${f.bits}-${f.format}-${channels}.wav`);
        // Different tones per channel, no dither: the files hold exactly what sox's decoder returns.
        const synth = ['synth', '0.3', 'sine', '440', 'sine', '1000', 'sine', '3000'].slice(0, 3 + channels * 2);
        sox(['-D', '-n', '-r', '22050', ...f.args, '-c', String(channels), path, ...synth, 'vol', '0.8']);
        const decoded = await readWavFile(path);
        assert.equal(decoded.sampleRate, 22050);
        assert.equal(decoded.channels, channels);
        assert.equal(decoded.bitsPerSample, f.bits);
        assert.equal(decoded.format, f.format);
        assert.equal(decoded.samples.length, Math.round(0.3 * 22050));
        assert.ok(Math.abs(decoded.durationSec - 0.3) < 1e-9);
        const ref = soxReference(path, channels);
        // Float32 output: exact up to float32 rounding of the mixed value.
        assert.ok(
          maxAbsDiff(decoded.samples, ref) <= Math.max(f.tol, 1e-7),
          `differs from sox by ${maxAbsDiff(decoded.samples, ref)}`,
        );
        // In memory and from disk agree.
        assert.deepEqual(decodeWav(readFileSync(path)).samples, decoded.samples);
      },
    );
  }
}

test(
  'reads WAVE_FORMAT_EXTENSIBLE (sox writes it for 24-bit stereo) and the sub-format decides int/float',
  { skip: noSox },
  () => {
    const path = join(dir, 'ext.wav');
    sox(['-D', '-n', '-r', '48000', '-b', '24', '-c', '2', path, 'synth', '0.1', 'sine', '1000']);
    const bytes = readFileSync(path);
    assert.equal(bytes.readUInt16LE(20), 0xfffe, 'sox did not write an extensible header');
    const d = decodeWav(bytes);
    assert.equal(d.format, 'int');
    assert.equal(d.bitsPerSample, 24);
    assert.ok(maxAbsDiff(d.samples, soxReference(path, 2)) < 1e-7);
  },
);

test('reads big-endian RIFX', { skip: noSox }, () => {
  const path = join(dir, 'rifx.wav');
  sox(['-D', '-n', '-r', '8000', '-B', '-b', '16', path, 'synth', '0.1', 'sine', '500']);
  assert.equal(readFileSync(path).subarray(0, 4).toString('latin1'), 'RIFX');
  const d = decodeWav(readFileSync(path));
  assert.ok(maxAbsDiff(d.samples, soxReference(path, 1)) === 0);
});

test('every rate from 4 kHz to 192 kHz is read; 2 kHz and 384 kHz are refused as UNSUPPORTED', () => {
  for (const rate of [4000, 8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000]) {
    const n = Math.floor(rate / 10);
    const d = decodeWav(encodeWav16(sine(n, rate, 300), rate));
    assert.equal(d.sampleRate, rate);
    assert.equal(d.samples.length, n);
  }
  for (const rate of [2000, 384000]) {
    expectError(() => decodeWav(encodeWav16(sine(100, rate, 300), rate)), 'UNSUPPORTED', /4 kHz to 192 kHz/);
  }
});

test('encodeWav16 round-trips through our reader, wavefile and sox', { skip: noSox }, () => {
  const x = noise(5000, 0.9, 7);
  x[0] = 1.5; // clamps
  x[1] = -1;
  const bytes = encodeWav16(x, 16000);
  const path = join(dir, 'ours.wav');
  writeFileSync(path, bytes);
  const d = decodeWav(bytes);
  assert.equal(d.samples[0], 32767 / 32768);
  assert.equal(d.samples[1], -1);
  for (let i = 2; i < x.length; i++) assert.ok(Math.abs(d.samples[i]! - x[i]!) <= 0.5 / 32768 + 1e-9);
  const wf = new wavefilePkg.WaveFile(bytes);
  assert.equal((wf.fmt as { sampleRate: number }).sampleRate, 16000);
  assert.equal(wf.getSamples().length, x.length);
  assert.equal(maxAbsDiff(d.samples, soxReference(path, 1)), 0);
});

test('a real KAUH recording (4 kHz) decodes, identical to sox', { skip: kauhMissing() || noSox }, async () => {
  const audioDir = join(KAUH_DIR, 'audio');
  const file = readdirSync(audioDir)
    .filter((f) => f.endsWith('.wav'))
    .sort()[0]!;
  const path = join(audioDir, file);
  const d = await readWavFile(path);
  assert.equal(d.sampleRate, 4000);
  assert.ok(d.durationSec > 1, `${file}: ${d.durationSec} s`);
  assert.equal(maxAbsDiff(d.samples, soxReference(path, d.channels)), 0);
});

test('a file larger than one read block decodes the same from disk and from memory', { skip: noSox }, async () => {
  const path = join(dir, 'long.wav');
  sox(['-D', '-n', '-r', '44100', '-b', '24', '-c', '2', path, 'synth', '12', 'sine', '440', 'sine', '660']);
  const fromDisk = await readWavFile(path);
  assert.equal(fromDisk.samples.length, 12 * 44100);
  assert.deepEqual(fromDisk.samples, decodeWav(readFileSync(path)).samples);
});

// ---- bad files: each gets a typed error with a message that says what to do ----

function header(opts: {
  dataSize: number;
  rate?: number;
  channels?: number;
  bits?: number;
  format?: number;
  blockAlign?: number;
  riff?: string;
}): Buffer {
  const rate = opts.rate ?? 8000,
    ch = opts.channels ?? 1,
    bits = opts.bits ?? 16;
  const h = Buffer.alloc(44);
  h.write(opts.riff ?? 'RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + Math.min(opts.dataSize, 0xffffffff - 36), 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(opts.format ?? 1, 20);
  h.writeUInt16LE(ch, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * ch * bits) / 8, 28);
  h.writeUInt16LE(opts.blockAlign ?? (ch * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(opts.dataSize, 40);
  return h;
}

test('empty file and a header with no samples: EMPTY', async () => {
  const empty = join(dir, 'empty.wav');
  writeFileSync(empty, '');
  await expectFileError(empty, 'EMPTY', /empty/);
  expectError(() => decodeWav(new Uint8Array(0)), 'EMPTY');
  expectError(() => decodeWav(header({ dataSize: 0 })), 'EMPTY', /no audio/);
});

test('non-WAV files: NOT_WAV, naming the format when it is a common one', async () => {
  expectError(() => decodeWav(Buffer.from('patient,age\n1,70\n')), 'NOT_WAV', /not a WAV file.*sox/);
  expectError(() => decodeWav(Buffer.concat([Buffer.from('ID3'), Buffer.alloc(100)])), 'NOT_WAV', /MP3/);
  expectError(() => decodeWav(Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(100)])), 'NOT_WAV', /FLAC/);
  expectError(
    () => decodeWav(Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00AVI '), Buffer.alloc(100)])),
    'NOT_WAV',
    /not a WAVE/,
  );
  const folder = join(dir, 'a-folder.wav');
  mkdirSync(folder);
  await expectFileError(folder, 'NOT_WAV', /folder/);
});

test('missing file: NOT_FOUND with the path', async () => {
  await expectFileError(join(dir, 'nope.wav'), 'NOT_FOUND', /nope\.wav does not exist/);
});

test('truncated data (an incomplete copy): TRUNCATED, saying how much is there and how to repair', () => {
  const full = encodeWav16(sine(16000, 8000, 440), 8000); // 2 s
  const cut = full.subarray(0, 44 + 8000); // 0.5 s of the 2 s
  const err = expectError(() => decodeWav(cut), 'TRUNCATED', /2\.0 s.*only 0\.5 s/);
  assert.match(err.message, /sox --ignore-length/);
  // Cut inside the header, before any data.
  expectError(() => decodeWav(full.subarray(0, 30)), 'TRUNCATED');
  expectError(() => decodeWav(full.subarray(0, 8)), 'TRUNCATED');
  // A missing half frame at the very end is not worth refusing: the whole frames are decoded.
  const odd = Buffer.concat([header({ dataSize: 1001 }), Buffer.alloc(1000)]);
  assert.equal(decodeWav(odd).samples.length, 500);
});

test('an unfinished streaming header (data size 0xFFFFFFFF or 0) decodes what is present, with a warning', () => {
  const body = Buffer.from(encodeWav16(sine(4000, 8000, 440), 8000).subarray(44));
  for (const size of [0xffffffff, 0]) {
    const d = decodeWav(Buffer.concat([header({ dataSize: size }), body]));
    assert.equal(d.samples.length, 4000);
    assert.match(d.warnings?.[0] ?? '', /never finished/);
  }
});

test('absurd header claiming 10^12 samples (RF64): CORRUPT at once, no huge allocation', () => {
  const h = Buffer.alloc(80 + 1000);
  h.write('RF64', 0, 'latin1');
  h.writeUInt32LE(0xffffffff, 4);
  h.write('WAVEds64', 8, 'latin1');
  h.writeUInt32LE(28, 16);
  const dataBytes = 2e12; // 10^12 16-bit samples
  h.writeUInt32LE(0, 20); // riff size (low, high)
  h.writeUInt32LE(0, 24);
  h.writeUInt32LE(dataBytes % 2 ** 32, 28);
  h.writeUInt32LE(Math.floor(dataBytes / 2 ** 32), 32);
  h.writeUInt32LE(0, 36); // sample count
  h.writeUInt32LE(0, 40);
  h.writeUInt32LE(0, 44); // table length
  header({ dataSize: 0xffffffff }).copy(h, 48, 12); // fmt + data header
  const before = process.memoryUsage().arrayBuffers;
  const err = expectError(() => decodeWav(h), 'CORRUPT', /claims 1\.00e\+12 samples .*years/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 50e6);
  assert.match(err.message, /again/);
  // Plain RIFF claiming 4 GB of 8-bit samples at 4 kHz (12 days): CORRUPT too, not TRUNCATED.
  expectError(
    () => decodeWav(Buffer.concat([header({ dataSize: 0xfffffff0, rate: 4000, bits: 8 }), Buffer.alloc(100)])),
    'CORRUPT',
  );
});

test('a real file over the length limit: TOO_LARGE before the samples are read', async () => {
  const path = join(dir, 'huge.wav');
  const seconds = WAV_LIMITS.maxDurationSec + 60;
  const dataSize = 4000 * seconds; // 8-bit mono 4 kHz, about 15 MB, sparse on disk
  writeFileSync(path, header({ dataSize, rate: 4000, bits: 8 }));
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, 44 + dataSize);
  closeSync(fd);
  await expectFileError(path, 'TOO_LARGE', /too long.*Split it/);
});

test('compressed and odd formats: UNSUPPORTED with a conversion hint', { skip: noSox }, async () => {
  const alaw = join(dir, 'alaw.wav');
  sox(['-n', '-r', '8000', '-e', 'a-law', alaw, 'synth', '0.1', 'sine', '440']);
  await expectFileError(alaw, 'UNSUPPORTED', /A-law.*sox input\.wav -e signed-integer/);
  expectError(
    () => decodeWav(Buffer.concat([header({ dataSize: 12, bits: 12, blockAlign: 2 }), Buffer.alloc(12)])),
    'UNSUPPORTED',
    /12-bit/,
  );
  expectError(
    () => decodeWav(Buffer.concat([header({ dataSize: 8, bits: 16, format: 3 }), Buffer.alloc(8)])),
    'UNSUPPORTED',
    /float/,
  );
  expectError(
    () => decodeWav(Buffer.concat([header({ dataSize: 8, channels: 100, bits: 8 }), Buffer.alloc(800)])),
    'UNSUPPORTED',
    /channels/,
  );
});

test('chunks before the data are skipped, odd sizes with or without the pad byte', () => {
  const h = header({ dataSize: 8 });
  const fmtPart = h.subarray(12, 36);
  const dataPart = Buffer.concat([h.subarray(36, 44), Buffer.from([0, 64, 0, 192, 0, 0, 255, 127])]);
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx')]);
  for (const pad of [Buffer.from([0]), Buffer.alloc(0)]) {
    const body = Buffer.concat([Buffer.from('WAVE'), list, pad, fmtPart, dataPart]);
    const file = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), body]);
    file.writeUInt32LE(body.length, 4);
    assert.deepEqual(Array.from(decodeWav(file).samples), [0.5, -0.5, 0, 32767 / 32768]);
  }
});

test('damaged files: CORRUPT, never a crash', () => {
  // Garbage where a chunk should start.
  const garbage = Buffer.concat([
    Buffer.from('RIFF\x00\x10\x00\x00WAVE'),
    Buffer.from([0, 1, 2, 3, 200, 0, 0, 0]),
    Buffer.alloc(300),
  ]);
  expectError(() => decodeWav(garbage), 'CORRUPT', /unreadable bytes/);
  // Frame size contradicting channels × bits.
  expectError(
    () => decodeWav(Buffer.concat([header({ dataSize: 8, blockAlign: 3 }), Buffer.alloc(8)])),
    'CORRUPT',
    /frame size/,
  );
  // Zero channels.
  expectError(
    () => decodeWav(Buffer.concat([header({ dataSize: 8, channels: 0, blockAlign: 0 }), Buffer.alloc(8)])),
    'CORRUPT',
  );
  // No fmt chunk.
  const noFmt = Buffer.concat([Buffer.from('RIFF\x20\x00\x00\x00WAVEdata\x08\x00\x00\x00'), Buffer.alloc(8)]);
  expectError(() => decodeWav(noFmt), 'CORRUPT', /format description/);
  // NaN in a float file.
  const nan = Buffer.concat([header({ dataSize: 8, format: 3, bits: 32 }), Buffer.alloc(8)]);
  nan.writeFloatLE(Number.NaN, 48);
  expectError(() => decodeWav(nan), 'CORRUPT', /NaN/);
  // Random bytes after a valid RIFF/WAVE signature, many times over: only AudioFileErrors come out.
  const base = Buffer.from(encodeWav16(noise(400, 0.5, 3), 8000));
  for (let seed = 1; seed <= 300; seed++) {
    const b = Buffer.from(base);
    const junk = noise(8, 1, seed);
    for (let j = 0; j < 8; j++) b[12 + ((seed * 7 + j * 5) % 40)] = Math.floor((junk[j]! + 1) * 127.5);
    try {
      decodeWav(b);
    } catch (err) {
      assert.ok(err instanceof AudioFileError, `seed ${seed}: ${String(err)}`);
    }
  }
});

test('float samples: NaN and ±infinity are refused (CORRUPT); finite values beyond ±1 are clipped with a warning', () => {
  for (const bad of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
    const f = Buffer.concat([header({ dataSize: 16, format: 3, bits: 32 }), Buffer.alloc(16)]);
    f.writeFloatLE(bad, 44 + 8);
    expectError(() => decodeWav(f), 'CORRUPT', /NaN or infinity/);
    // In 64-bit float too, and in one channel of two (where it would otherwise vanish into a mean).
    const d = Buffer.concat([header({ dataSize: 32, format: 3, bits: 64, channels: 2 }), Buffer.alloc(32)]);
    d.writeDoubleLE(bad, 44 + 8);
    expectError(() => decodeWav(d), 'CORRUPT', /NaN or infinity/);
  }
  const loud = Buffer.concat([header({ dataSize: 12, format: 3, bits: 32 }), Buffer.alloc(12)]);
  loud.writeFloatLE(1e30, 44);
  loud.writeFloatLE(0.25, 48);
  loud.writeFloatLE(-3, 52);
  const decoded = decodeWav(loud);
  assert.deepEqual(Array.from(decoded.samples), [1, 0.25, -1]);
  assert.match(decoded.warnings?.join(' ') ?? '', /2 float sample\(s\) were beyond full scale/);
});

test('a second data chunk is refused (UNSUPPORTED), not silently dropped; other chunks after the audio are fine', async () => {
  const pcm = Buffer.from([0, 64, 0, 192]);
  const second = Buffer.concat([Buffer.from('data'), Buffer.from([4, 0, 0, 0]), pcm]);
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([4, 0, 0, 0]), Buffer.from('INFO')]);
  const build = (...after: Buffer[]): Buffer => {
    const f = Buffer.concat([header({ dataSize: 4 }), pcm, ...after]);
    f.writeUInt32LE(f.length - 8, 4);
    return f;
  };
  expectError(() => decodeWav(build(second)), 'UNSUPPORTED', /more than one block of audio data/);
  expectError(() => decodeWav(build(list, second)), 'UNSUPPORTED', /two WAV `data` chunks/);
  const path = join(dir, 'two-data.wav');
  writeFileSync(path, build(list, second));
  await expectFileError(path, 'UNSUPPORTED', /more than one block/);
  assert.deepEqual(Array.from(decodeWav(build(list)).samples), [0.5, -0.5]);
});

test('16-bit mono PCM: every one of the 65,536 values decodes to exactly value / 32768, at any alignment and block size', async () => {
  const pcm = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
  const wav = new wavefilePkg.WaveFile();
  wav.fromScratch(1, 8000, '16', pcm);
  const bytes = new Uint8Array(wav.toBuffer());
  const path = join(dir, 'all-int16.wav');
  writeFileSync(path, bytes);
  const check = (x: Float32Array, how: string) => {
    assert.equal(x.length, pcm.length, how);
    for (let i = 0; i < pcm.length; i++)
      if (!Object.is(x[i], pcm[i]! / 32768)) assert.fail(`${how}: sample ${i} is ${x[i]}, not ${pcm[i]! / 32768}`);
  };
  check(decodeWav(bytes).samples, 'aligned in memory');
  // odd byte offset: the samples cannot be viewed as int16 in place
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  check(decodeWav(shifted.subarray(1)).samples, 'odd offset in memory');
  check((await readWavFile(path)).samples, 'from disk');
  for (const blockBytes of [1 << 16, 1001]) {
    const stream = await openWavStream(path, { blockBytes });
    const parts: Float32Array[] = [];
    for await (const c of stream.chunks()) parts.push(c);
    await stream.close();
    const all = new Float32Array(pcm.length);
    parts.reduce((o, c) => (all.set(c, o), o + c.length), 0);
    check(all, `streamed in blocks of ${blockBytes} bytes`);
  }
});
