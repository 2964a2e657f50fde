/** The FLAC stream marker, apart from the decoder so that telling WAV from FLAC loads no decoder. */

/** True when the bytes start like a FLAC stream. */
export function isFlac(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x66 && head[1] === 0x4c && head[2] === 0x61 && head[3] === 0x43; // fLaC
}
