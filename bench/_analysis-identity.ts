/**
 * Results unchanged? `auscult analyze --json` of two builds on the same 26 recordings, compared value
 * for value (timings aside). Issue 18's CPU work is held to this: bit-identical results.
 *
 *   node dist/bench/_analysis-identity.js build <dir>              the 26 WAVs (repeatable: same bytes each time)
 *   node dist/bench/_analysis-identity.js run <dir> <out.json> [<bin/auscult.js>]   one build's JSON (default: this checkout's)
 *   node dist/bench/_analysis-identity.js diff <a.json> <b.json>   every differing value (exit 1 when any)
 *
 * The set (perf18's): 6 KAUH recordings at 4 kHz (their own rate), 8 kHz and 44.1 kHz; 2 of them at
 * 44.1 kHz with seeded white noise above 2 kHz added (the band-limit has work to do); 3 SPRSound
 * recordings at 4 kHz and 44.1 kHz. Resampled with the repository's own resampler (src/audio/resample.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readAudio } from '../src/audio/audio-read.js';
import { resample } from '../src/audio/resample.js';
import { bandLimit } from '../src/audio/band-limit.js';
import { encodeWav16 } from '../src/audio/wav-write.js';
import { KAUH_DIR, PROJECT_ROOT, SPRSOUND_DIR } from '../test/support/paths.js';
import { mulberry32 } from '../src/common/mulberry32.js';

/** Distinct recordings (the KAUH folder holds byte-identical copies under other names): five classes, three filters, 12–30 s. */
const KAUH_FILES = [
  'BP2_Asthma,E W,P L L R,52,F.wav',
  'DP31_N,N,P L M,27,F.wav',
  'EP17_COPD,E W,A R M,57,M.wav',
  'BP36_pneumonia,Crep,P R M,36,F.wav',
  'DP21_BRON,Crep,P R L ,20,M.wav',
  'EP5_Heart Failure + COPD,I C E W,P L R ,71,M.wav',
];
const SPR_FOLDERS = ['test2022_inter', 'test2022_intra', 'test2023'];

async function build(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const kauhAudio = join(KAUH_DIR, 'audio');
  const kauh = KAUH_FILES.map((f) => (existsSync(join(kauhAudio, f)) ? f : undefined));
  const spr = SPR_FOLDERS.map((d) => {
    const f = readdirSync(join(SPRSOUND_DIR, 'audio', d))
      .filter((x) => x.endsWith('.flac'))
      .sort()[0];
    return f ? join(SPRSOUND_DIR, 'audio', d, f) : undefined;
  });
  const sources = [...kauh.map((f) => (f ? join(kauhAudio, f) : undefined)), ...spr];
  if (sources.some((s) => s === undefined))
    throw new Error(`some recordings of the set are missing under ${KAUH_DIR} or ${SPRSOUND_DIR}`);
  let written = 0;
  const write = (name: string, x: Float32Array, rate: number): void => {
    writeFileSync(join(dir, name), encodeWav16(x, rate));
    written++;
  };
  for (const [i, src] of (sources as string[]).entries()) {
    const a = await readAudio(src);
    const tag = `${i < kauh.length ? 'kauh' : 'spr'}${i}`;
    write(`${tag}-${a.sampleRate}.wav`, a.samples, a.sampleRate);
    const rates = i < kauh.length ? [8000, 44100] : [44100];
    for (const rate of rates) {
      const x = await resample(a.samples, a.sampleRate, rate);
      write(`${tag}-${rate}.wav`, x, rate);
      if (rate === 44100 && i < 2) {
        // white noise minus its own 2 kHz band-limited part: noise above 2 kHz only, ≈ −30 dBFS
        const rnd = mulberry32(18 + i);
        const noise = Float32Array.from(x, () => (rnd() - 0.5) * 0.1);
        const low = await bandLimit(noise, rate, 2000);
        write(
          `${tag}-${rate}-noise.wav`,
          Float32Array.from(x, (v, k) => Math.max(-1, Math.min(1, v + noise[k]! - low[k]!))),
          rate,
        );
      }
    }
  }
  console.log(`${written} recordings in ${dir}`);
}

function run(dir: string, out: string, bin: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => join(dir, f));
  const json = execFileSync(process.execPath, [bin, 'analyze', '--json', ...files], {
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  writeFileSync(out, json);
  console.log(`${files.length} analyses by ${bin} in ${out}`);
}

/** Every leaf that differs (timingsMs and the file's folder aside), with the largest numeric change. */
function diff(a: string, b: string): number {
  const differences: string[] = [];
  let maxAbs = 0;
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (path.endsWith('.timingsMs')) return;
    if (typeof x === 'number' && typeof y === 'number') {
      if (!Object.is(x, y)) {
        differences.push(`${path}: ${x} → ${y}`);
        maxAbs = Math.max(maxAbs, Math.abs(x - y));
      }
      return;
    }
    if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object') {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y))
      differences.push(`${path}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  };
  const read = (p: string): { files: { file: string }[] } => {
    const doc = JSON.parse(readFileSync(p, 'utf8')) as { files: { file: string }[] };
    for (const f of doc.files) f.file = basename(f.file);
    return doc;
  };
  const da = read(a);
  const db = read(b);
  walk(da, db, '');
  for (const d of differences.slice(0, 40)) console.log(`  ${d}`);
  if (differences.length > 40) console.log(`  … and ${differences.length - 40} more`);
  console.log(
    differences.length === 0
      ? `identical: ${da.files.length} analyses, every value equal (timings aside)`
      : `${differences.length} values differ (largest numeric change ${maxAbs})`,
  );
  return differences.length === 0 ? 0 : 1;
}

const [cmd, p1, p2, p3] = process.argv.slice(2);
if (cmd === 'build' && p1) await build(resolve(p1));
else if (cmd === 'run' && p1 && p2)
  run(resolve(p1), resolve(p2), resolve(p3 ?? join(PROJECT_ROOT, 'bin', 'auscult.js')));
else if (cmd === 'diff' && p1 && p2) process.exitCode = diff(p1, p2);
else {
  console.error(
    'usage: node dist/bench/_analysis-identity.js build <dir> | run <dir> <out.json> [<bin/auscult.js>] | diff <a.json> <b.json>',
  );
  process.exitCode = 2;
}
