/**
 * The live, scrolling mel spectrogram. Columns arrive in batches (capture.frames); each
 * animation frame writes what arrived into a ring image (one pixel column per 10 ms frame) and
 * draws the ring newest-on-the-right. It also measures itself, in the browser: animation frame
 * rate, columns lost (gaps in frame numbers), and latency from `sentAtMs` to the column being drawn.
 */
import { VIRIDIS, colorIndex } from './colormap';
import { PLOT_HEIGHT, spectrogramFrame } from './spectrogram-axes';
import type { SpectrogramFrame } from './spectrogram-axes';

const COLS = 600; // 6 s at 10 ms per column
const ROWS = 64;
export const LIVE_MIN_DB = -60;
export const LIVE_MAX_DB = 20;

export interface LiveStats {
  animationFrames: number;
  elapsedMs: number;
  fps: number;
  /** Animation frames that took longer than 1.5 × 16.7 ms. */
  longFrames: number;
  columnsDrawn: number;
  /** Columns missing from the sequence (frame-number gaps) seen by the browser. */
  droppedColumns: number;
  /** Columns the server said it dropped or coalesced (its running total). */
  serverDroppedColumns: number;
  latencyMs: number[];
  /** The part of each latency spent before the page received the batch (server + WebSocket). */
  receiveMs: number[];
}

interface Batch {
  firstFrame: number;
  frames: number[][];
  sentAtMs: number;
  receivedAtMs: number;
}

export class LiveSpectrogram {
  readonly frame: SpectrogramFrame;
  private readonly ring: HTMLCanvasElement;
  private readonly ringCtx: CanvasRenderingContext2D;
  private readonly column = new ImageData(1, ROWS);
  private pending: Batch[] = [];
  private total = 0;
  private expectedNext: number | null = null;
  private raf = 0;
  private lastT = 0;
  private t0 = 0;
  private dirty = true;
  private readonly emptyNote = document.createElement('p');
  readonly stats: LiveStats = {
    animationFrames: 0,
    elapsedMs: 0,
    fps: 0,
    longFrames: 0,
    columnsDrawn: 0,
    droppedColumns: 0,
    serverDroppedColumns: 0,
    latencyMs: [],
    receiveMs: [],
  };

  constructor() {
    this.frame = spectrogramFrame(
      'Live mel spectrogram of the recording: time runs left to right, low to high pitch bottom to top',
      {},
      () => {
        this.dirty = true;
      },
    );
    this.ring = document.createElement('canvas');
    this.ring.width = COLS;
    this.ring.height = ROWS;
    this.ringCtx = this.ring.getContext('2d') as CanvasRenderingContext2D;
    this.emptyNote.className = 'spec-empty';
    this.emptyNote.textContent = 'The sound appears here while recording (press R).';
    this.frame.overlay.append(this.emptyNote);
    this.reset();
    this.frame.drawLegend(LIVE_MIN_DB, LIVE_MAX_DB);
    const ticks = [];
    for (let s = 0; s <= 6; s++) ticks.push({ at: s / 6, label: s === 6 ? 'now' : `−${6 - s} s` });
    this.frame.drawTimeAxis(ticks);
  }

  /** Clears the picture and the measurements for a new recording. */
  reset(): void {
    this.ringCtx.fillStyle = `rgb(${VIRIDIS[0]},${VIRIDIS[1]},${VIRIDIS[2]})`;
    this.ringCtx.fillRect(0, 0, COLS, ROWS);
    this.pending = [];
    this.total = 0;
    this.expectedNext = null;
    this.t0 = 0;
    Object.assign(this.stats, {
      animationFrames: 0,
      elapsedMs: 0,
      fps: 0,
      longFrames: 0,
      columnsDrawn: 0,
      droppedColumns: 0,
      serverDroppedColumns: 0,
      latencyMs: [],
      receiveMs: [],
    });
    this.dirty = true;
  }

  push(firstFrame: number, frames: number[][], sentAtMs: number, serverDropped: number): void {
    if (this.expectedNext !== null && firstFrame > this.expectedNext)
      this.stats.droppedColumns += firstFrame - this.expectedNext;
    this.expectedNext = firstFrame + frames.length;
    // The pipeline reports a running total for the capture, not a per-batch count.
    this.stats.serverDroppedColumns = Math.max(this.stats.serverDroppedColumns, serverDropped);
    this.emptyNote.hidden = true;
    this.pending.push({ firstFrame, frames, sentAtMs, receivedAtMs: performance.timeOrigin + performance.now() });
  }

  start(): void {
    if (this.raf) return;
    const tick = (t: number): void => {
      this.raf = requestAnimationFrame(tick);
      this.draw(t);
    };
    this.raf = requestAnimationFrame(tick);
  }

  stop(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  private draw(t: number): void {
    if (this.t0 === 0) this.t0 = t;
    else {
      this.stats.animationFrames++;
      if (t - this.lastT > 25) this.stats.longFrames++;
      this.stats.elapsedMs = t - this.t0;
      this.stats.fps = this.stats.elapsedMs > 0 ? (this.stats.animationFrames * 1000) / this.stats.elapsedMs : 0;
    }
    this.lastT = t;
    if (this.pending.length === 0 && !this.dirty) return;
    const batches = this.pending;
    this.pending = [];
    const px = this.column.data;
    for (const b of batches) {
      for (const col of b.frames) {
        for (let band = 0; band < ROWS; band++) {
          const c = colorIndex(col[band] ?? -10, LIVE_MIN_DB, LIVE_MAX_DB) * 4;
          const o = (ROWS - 1 - band) * 4;
          px[o] = VIRIDIS[c] as number;
          px[o + 1] = VIRIDIS[c + 1] as number;
          px[o + 2] = VIRIDIS[c + 2] as number;
          px[o + 3] = 255;
        }
        this.ringCtx.putImageData(this.column, this.total % COLS, 0);
        this.total++;
      }
    }
    this.blit();
    this.dirty = false;
    if (batches.length) {
      const now = performance.timeOrigin + performance.now();
      for (const b of batches) {
        this.stats.columnsDrawn += b.frames.length;
        this.stats.latencyMs.push(now - b.sentAtMs);
        this.stats.receiveMs.push(b.receivedAtMs - b.sentAtMs);
      }
      if (this.stats.latencyMs.length > 5000) {
        this.stats.latencyMs.splice(0, this.stats.latencyMs.length - 5000);
        this.stats.receiveMs.splice(0, this.stats.receiveMs.length - 5000);
      }
    }
  }

  /** Ring → screen, oldest column on the left. */
  private blit(): void {
    const ctx = this.frame.plot.getContext('2d') as CanvasRenderingContext2D;
    const w = this.frame.plotWidth();
    const head = this.total % COLS;
    const scale = w / COLS;
    ctx.imageSmoothingEnabled = false;
    const leftCols = COLS - head;
    ctx.drawImage(this.ring, head, 0, leftCols, ROWS, 0, 0, leftCols * scale, PLOT_HEIGHT);
    if (head > 0) ctx.drawImage(this.ring, 0, 0, head, ROWS, leftCols * scale, 0, head * scale, PLOT_HEIGHT);
  }

  destroy(): void {
    this.stop();
    this.frame.destroy();
  }
}
