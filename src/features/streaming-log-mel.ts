/**
 * The log-mel front end for live audio: push 16 kHz samples in chunks of any size, get back only the
 * frames completed by that chunk. Frame k still covers samples 160k .. 160k+399 of the whole stream, so
 * the frames equal logMelFrames() of the concatenated input, bit for bit (same FrameComputer).
 *
 * It keeps at most one window plus the latest chunk of samples, in a buffer that grows only when a
 * chunk larger than any before arrives.
 */
import { FrameComputer, type LogMelFrames } from './log-mel.js';
import { HOP, MEL_BANDS, WINDOW } from './yamnet-params.js';

export class StreamingLogMel {
  private readonly fc = new FrameComputer();
  private buf = new Float32Array(4096);
  /** Valid samples in buf; buf[0] is stream sample `bufStart`. */
  private len = 0;
  private bufStart = 0;
  private emitted = 0;

  /** Frames emitted since construction (the index of the next frame). */
  get framesEmitted(): number {
    return this.emitted;
  }

  /** Samples pushed so far. */
  samplesPushed(): number {
    return this.bufStart + this.len;
  }

  push(samples16k: Float32Array): LogMelFrames {
    if (this.len + samples16k.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, this.len + samples16k.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(samples16k, this.len);
    this.len += samples16k.length;

    // Next frame starts at stream sample emitted×HOP, i.e. at buf offset emitted×HOP − bufStart.
    let offset = this.emitted * HOP - this.bufStart;
    const n = this.len - offset < WINDOW ? 0 : Math.floor((this.len - offset - WINDOW) / HOP) + 1;
    const data = new Float32Array(n * MEL_BANDS);
    for (let f = 0; f < n; f++, offset += HOP) this.fc.compute(this.buf, offset, data, f * MEL_BANDS);
    this.emitted += n;

    // Drop samples no future frame needs (everything before the next frame's start).
    const keepFrom = this.emitted * HOP - this.bufStart;
    if (keepFrom > 0) {
      const drop = Math.min(keepFrom, this.len);
      this.buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.bufStart += drop;
    }
    return { data, frames: n };
  }
}
