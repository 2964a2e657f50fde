/**
 * Writing mono 16-bit PCM WAV (test fixtures, exports). The 44-byte canonical header is written directly:
 * it is fixed, and writing it here keeps memory at one output buffer (no per-sample arrays).
 */

/** Encodes mono samples in [-1, 1] (clamped, rounded to nearest) as a 16-bit PCM WAV file. */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff / 2) {
    throw new RangeError(`encodeWav16: invalid sample rate ${sampleRate}`);
  }
  const dataBytes = samples.length * 2;
  if (dataBytes > 0xffffffff - 36) throw new RangeError('encodeWav16: too many samples for a RIFF WAV file');
  const out = new Uint8Array(44 + dataBytes);
  const dv = new DataView(out.buffer);
  const tag = (pos: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[pos + i] = s.charCodeAt(i);
  };
  tag(0, 'RIFF');
  dv.setUint32(4, 36 + dataBytes, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true); // PCM
  dv.setUint16(22, 1, true); // mono
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * 2, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  tag(36, 'data');
  dv.setUint32(40, dataBytes, true);
  for (let i = 0, p = 44; i < samples.length; i++, p += 2) {
    const v = samples[i]!;
    const s = v >= 1 ? 32767 : v <= -1 ? -32768 : Math.round(v * 32768);
    dv.setInt16(p, s > 32767 ? 32767 : s, true);
  }
  return out;
}
