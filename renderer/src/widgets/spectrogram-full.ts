/** A whole recording's mel spectrogram, with a playback cursor and click-to-seek. */
import type { SpectrogramData } from '../../../src/service/api';
import { DB_PER_LOG_UNIT, VIRIDIS, colorIndex } from './colormap';
import { PLOT_HEIGHT, spectrogramFrame } from './spectrogram-axes';
import type { SpectrogramFrame } from './spectrogram-axes';

export function decodeFrames(data: SpectrogramData): Float32Array {
  const bin = atob(data.framesBase64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float32Array(bin.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** The colour range: from the 2nd to the 99.8th percentile of the recording's levels, in dB. */
function dbRange(values: Float32Array): [number, number] {
  if (values.length === 0) return [-60, 20];
  const step = Math.max(1, Math.floor(values.length / 20000));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) sample.push((values[i] as number) * DB_PER_LOG_UNIT);
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(sample.length * 0.02)] as number;
  const hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.998))] as number;
  return hi - lo < 10 ? [lo - 5, lo + 15] : [Math.floor(lo), Math.ceil(hi)];
}

export class FullSpectrogram {
  readonly frame: SpectrogramFrame;
  private readonly image: HTMLCanvasElement;
  private readonly cursor: HTMLElement;
  readonly durationSec: number;

  constructor(data: SpectrogramData, onSeek?: (sec: number) => void) {
    const edges = data.bandEdgesHz;
    this.frame = spectrogramFrame(
      'Mel spectrogram of the whole recording: time left to right, low to high pitch bottom to top',
      { lowHz: edges[1] ?? edges[0], highHz: edges[edges.length - 2] ?? edges[edges.length - 1] },
      () => this.draw(),
    );
    this.durationSec = data.frames * data.hopSec;
    const values = decodeFrames(data);
    const [minDb, maxDb] = dbRange(values);
    this.image = document.createElement('canvas');
    this.image.width = Math.max(1, data.frames);
    this.image.height = data.bands;
    const ctx = this.image.getContext('2d') as CanvasRenderingContext2D;
    const img = ctx.createImageData(this.image.width, data.bands);
    for (let f = 0; f < data.frames; f++) {
      for (let b = 0; b < data.bands; b++) {
        const c = colorIndex(values[f * data.bands + b] as number, minDb, maxDb) * 4;
        const o = ((data.bands - 1 - b) * this.image.width + f) * 4;
        img.data[o] = VIRIDIS[c] as number;
        img.data[o + 1] = VIRIDIS[c + 1] as number;
        img.data[o + 2] = VIRIDIS[c + 2] as number;
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    this.frame.drawLegend(minDb, maxDb);
    this.cursor = document.createElement('div');
    this.cursor.className = 'spec-cursor';
    this.frame.overlay.append(this.cursor);
    this.frame.plot.addEventListener('click', (ev) => {
      const r = this.frame.plot.getBoundingClientRect();
      onSeek?.(((ev.clientX - r.left) / r.width) * this.durationSec);
    });
    this.draw();
    this.setCursor(0);
  }

  private draw(): void {
    const ctx = this.frame.plot.getContext('2d') as CanvasRenderingContext2D;
    const w = this.frame.plotWidth();
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.image, 0, 0, this.image.width, this.image.height, 0, 0, w, PLOT_HEIGHT);
    const ticks = [];
    const d = this.durationSec;
    const step = d <= 4 ? 0.5 : d <= 12 ? 1 : d <= 40 ? 5 : 10;
    for (let s = 0; s <= d + 1e-9; s += step) ticks.push({ at: d > 0 ? s / d : 0, label: `${Number(s.toFixed(1))} s` });
    this.frame.drawTimeAxis(ticks);
  }

  /** Moves the playback cursor to `sec`. */
  setCursor(sec: number): void {
    const f = this.durationSec > 0 ? Math.min(1, Math.max(0, sec / this.durationSec)) : 0;
    this.cursor.style.left = `${(f * 100).toFixed(3)}%`;
  }

  destroy(): void {
    this.frame.destroy();
  }
}
