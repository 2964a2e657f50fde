/**
 * Streaming polyphase conversion (polyphase-design.ts for the filters and the plan, polyphase-kernel.ts
 * for the sums): PolyphaseChain runs a plan's stages one into the next; each PolyphaseStage is one
 * rational conversion. The input is treated as a stream preceded by D zeros, so output k's window [q_k, q_k + T) of
 * that padded stream — q_k = ⌊k·M/L⌋ — puts the filter's centre on input time k·M/L: output sample k
 * is the input at time k / toRate, with no delay. An output is computed as soon as the last sample of
 * its window has arrived; at the end, zeros stand in for the samples after the input and the total is
 * trimmed to ⌊n·L/M⌋. Every output is one fixed sum over the same window samples however the input was
 * cut into pushes, so streaming equals batch bit for bit.
 *
 * Memory (one buffer per converter, in the kernel's memory): the table, then at most T + BLOCK input
 * samples, then the outputs of one block.
 */
import { createKernel, type KernelKind, type PolyphaseKernel } from './polyphase-kernel.js';
import { polyphasePlan, polyphaseTable, type PolyphaseTable, type Stage } from './polyphase-design.js';

/** Input samples taken per kernel call. */
const BLOCK = 1 << 14;

const align4 = (n: number): number => Math.ceil(n / 4) * 4;

export type OutputSink = (out: Float32Array) => void;

export class PolyphaseStage {
  private readonly k: PolyphaseKernel;
  private readonly t: PolyphaseTable;
  private readonly tapsAt = 0;
  private readonly stepsAt: number;
  private readonly inAt: number;
  private readonly inCap: number;
  private readonly outAt: number;
  private readonly outCap: number;
  /** Padded-stream index of the first buffered sample, and how many are buffered. */
  private base = 0;
  private have: number;
  /** Outputs made so far (k of the next one), its window start and its row. */
  private produced = 0;
  private next = 0;
  private row = 0;
  private received = 0;

  constructor(stage: Stage, kernel: KernelKind) {
    const t = (this.t = polyphaseTable(stage.fromRate, stage.toRate, stage.spec));
    this.stepsAt = align4(t.taps.length);
    this.inAt = align4(this.stepsAt + t.up);
    this.inCap = t.tapsPerRow + BLOCK;
    this.outAt = align4(this.inAt + this.inCap);
    this.outCap = Math.ceil((BLOCK * t.up) / t.down) + 16;
    this.k = createKernel(kernel, (this.outAt + this.outCap) * 4);
    this.k.f32.set(t.taps, this.tapsAt);
    this.k.i32.set(t.steps, this.stepsAt);
    this.have = t.reach; // the leading zeros (the memory starts zeroed)
  }

  get fromRate(): number {
    return this.t.fromRate;
  }
  get toRate(): number {
    return this.t.toRate;
  }

  /** Outputs owed for the input so far, once the stream ends: ⌊n·L/M⌋. */
  expectedTotal(): number {
    return Math.floor((this.received * this.t.up) / this.t.down);
  }

  /** Takes a chunk; hands `sink` every output it completes (views into scratch memory: copy them). */
  push(chunk: Float32Array, sink: OutputSink): void {
    this.received += chunk.length;
    this.feed(chunk, chunk.length, sink, Infinity);
  }

  /** Output sample k's last window sample, as an input index (the zeros after the input count on). */
  lastInputFor(k: number): number {
    return Math.floor((k * this.t.down) / this.t.up) + this.t.tapsPerRow - this.t.reach - 1;
  }

  /** Ends the stream: zeros after the input until `total` outputs (default ⌊n·L/M⌋) are made. */
  flush(sink: OutputSink, total = this.expectedTotal()): void {
    if (this.produced >= total) return;
    const lastWindowEnd = Math.floor(((total - 1) * this.t.down) / this.t.up) + this.t.tapsPerRow;
    const zeros = Math.max(0, lastWindowEnd - (this.base + this.have));
    this.feed(null, zeros, sink, total);
  }

  /** Appends n samples of `src` (or zeros) block by block, making outputs up to `limit` as they complete. */
  private feed(src: Float32Array | null, n: number, sink: OutputSink, limit: number): void {
    const f32 = this.k.f32;
    let used = 0;
    do {
      const take = Math.min(n - used, this.inCap - this.have);
      const at = this.inAt + this.have;
      if (src) f32.set(src.subarray(used, used + take), at);
      else f32.fill(0, at, at + take);
      this.have += take;
      used += take;
      this.drain(sink, limit);
    } while (used < n);
  }

  private drain(sink: OutputSink, limit: number): void {
    const { up, down, tapsPerRow } = this.t;
    const end = this.base + this.have;
    // Output k is ready when q_k + T ≤ end, i.e. k ≤ ((end − T + 1)·L − 1) / M.
    const ready = end - tapsPerRow + 1 <= 0 ? 0 : Math.floor(((end - tapsPerRow + 1) * up - 1) / down) + 1;
    const until = Math.min(ready, limit);
    while (this.produced < until) {
      const count = Math.min(until - this.produced, this.outCap);
      const moved = this.k.run(
        this.tapsAt,
        tapsPerRow,
        this.stepsAt,
        up,
        this.row,
        this.inAt + (this.next - this.base),
        this.outAt,
        count,
      );
      this.next += moved;
      this.row = (this.row + count) % up;
      this.produced += count;
      sink(this.k.f32.subarray(this.outAt, this.outAt + count));
    }
    // Keep only what later windows need: from the next output's window start on.
    const drop = Math.min(this.next - this.base, this.have);
    if (drop > 0) {
      this.k.f32.copyWithin(this.inAt, this.inAt + drop, this.inAt + this.have);
      this.base += drop;
      this.have -= drop;
    }
  }
}

/** A plan's stages, each feeding the next; the output is trimmed to ⌊n × toRate / fromRate⌋. */
export class PolyphaseChain {
  private readonly stages: PolyphaseStage[];
  private received = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    kernel: KernelKind,
    bandLimitHz?: number,
  ) {
    this.stages = polyphasePlan(fromRate, toRate, bandLimitHz).map((s) => new PolyphaseStage(s, kernel));
  }

  expectedTotal(): number {
    return Math.floor((this.received * this.toRate) / this.fromRate);
  }

  push(chunk: Float32Array, sink: OutputSink): void {
    this.received += chunk.length;
    this.stages[0]!.push(chunk, this.into(0, sink));
  }

  /** Each stage makes exactly the outputs the next one's windows reach, so only the last stage pads with zeros. */
  flush(sink: OutputSink): void {
    const total = this.expectedTotal();
    const needs: number[] = [];
    for (let i = this.stages.length - 1, want = total; i >= 0; i--) {
      needs[i] = want;
      want = want > 0 ? this.stages[i]!.lastInputFor(want - 1) + 1 : 0;
    }
    for (let i = 0; i < this.stages.length; i++) this.stages[i]!.flush(this.into(i, sink), needs[i]);
  }

  private into(i: number, sink: OutputSink): OutputSink {
    if (i === this.stages.length - 1) return sink;
    const next = this.stages[i + 1]!;
    return (o) => next.push(o, this.into(i + 1, sink));
  }
}
