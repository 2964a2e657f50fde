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

/**
 * Encodes integer PCM (one Int32Array per channel, values of `bits` significant bits) as a canonical
 * WAV in the smallest whole-byte container (12-bit → 16-bit words, left-justified as WAV requires, so
 * the WAV reader's integer / 2^(container−1) equals integer / 2^(bits−1)). 8-bit WAV is unsigned.
 */
export function encodePcmWav(channels: Int32Array[], sampleRate: number, bits: number): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const ch = channels.length;
  if (ch < 1 || ch > 64 || channels.some((c) => c.length !== n)) throw new RangeError('encodePcmWav: bad channels');
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError(`encodePcmWav: invalid bits ${bits}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`encodePcmWav: invalid rate ${sampleRate}`);
  const bytesPer = Math.ceil(bits / 8);
  const shift = bytesPer * 8 - bits;
  const dataBytes = n * ch * bytesPer;
  if (dataBytes > 0xffffffff - 36) throw new RangeError('encodePcmWav: too many samples for a RIFF WAV file');
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(ch, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * ch * bytesPer, 28);
  out.writeUInt16LE(ch * bytesPer, 32);
  out.writeUInt16LE(bytesPer * 8, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  let p = 44;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++, p += bytesPer) {
      const v = channels[c]![i]! * 2 ** shift;
      if (bytesPer === 1) out.writeUInt8(v + 128, p);
      else out.writeIntLE(v, p, bytesPer);
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
