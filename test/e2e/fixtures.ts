/** Audio for the browser tests: a real lung recording when ../shared has one, else a synthetic breath. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { KAUH_DIR, kauhMissing, scratchDir } from '../support/paths.js';

/** 16-bit mono PCM WAV bytes (exact: each int16 maps to itself through encodeWav16). */
export function wavBytes(samples: Int16Array, rate: number): Buffer {
  return Buffer.from(
    encodeWav16(
      Float32Array.from(samples, (s) => s / 32768),
      rate,
    ),
  );
}

/** Low-passed noise swelling with a 4 s breathing rhythm: looks and sounds like breath, deterministic. */
export function syntheticBreath(rate: number, seconds: number): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  let s = 12345;
  let lp = 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const white = s / 4294967296 - 0.5;
    lp += 0.08 * (white - lp);
    const t = i / rate;
    const breath = 0.25 + 0.75 * Math.max(0, Math.sin((2 * Math.PI * t) / 4));
    out[i] = Math.round(Math.max(-1, Math.min(1, lp * 6 * breath)) * 20000);
  }
  return out;
}

/** Path of a WAV to import: the first KAUH recording of `diagnosis`, or a synthetic one. */
export function lungWav(diagnosis = 'healthy'): { path: string; name: string; real: boolean } {
  if (!kauhMissing()) {
    const index = readFileSync(join(KAUH_DIR, 'kauh_index.csv'), 'utf8').split(/\r?\n/);
    const line = index.find((l) => l.includes(`,${diagnosis},`) && l.endsWith(',0'));
    const m = line ? /^"([^"]+)"|^([^,]+)/.exec(line) : null;
    const file = m ? (m[1] ?? m[2]) : undefined;
    const path = file ? join(KAUH_DIR, 'audio', file) : '';
    if (file && existsSync(path)) return { path, name: file, real: true };
  }
  const path = join(scratchDir('auscult-e2e-wav-'), 'synthetic-breath.wav');
  writeFileSync(path, wavBytes(syntheticBreath(8000, 6), 8000));
  return { path, name: 'synthetic-breath.wav', real: false };
}
