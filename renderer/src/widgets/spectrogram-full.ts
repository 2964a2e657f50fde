/**
 * A whole recording's mel spectrogram as an audio tool shows it: the visible stretch of a shared
 * TimeWindow (zoom with Ctrl + wheel or a pinch, pan with Shift + wheel or a sideways swipe),
 * a playback cursor, click to seek, drag to select (for the loop), and a readout of the time,
 * frequency (Hz, read on the same mel axis as the labels) and level under the pointer.
 * Keyboard: the plot is a slider over the playhead — ← → move it by 1/20 of the view, Home/End,
 * PageUp/PageDown scroll the view, + − zoom around it, 0 shows the whole recording, [ and ] mark
 * the selection's start and end at the playhead, Esc clears the selection.
 */
import type { SpectrogramData } from '../../../src/service/api';
import { DB_PER_LOG_UNIT, VIRIDIS, colorIndex } from './colormap';
import { hzToMel, melToHz } from './mel-scale';
import { PLOT_HEIGHT, spectrogramFrame } from './spectrogram-axes';
import type { SpectrogramFrame } from './spectrogram-axes';
import { h } from '../ui/dom';
import { ZOOM_STEP, timeTicks } from './time-window';
import type { TimeWindow } from './time-window';
import type { TimeRange } from './player';

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

/** A pointer movement shorter than this is a click (seek), longer a drag (select). */
const DRAG_PX = 4;

export interface SpectrogramHooks {
  onSeek(sec: number): void;
  onSelect(range: TimeRange | null): void;
}

function hzText(hz: number): string {
  return hz >= 1000 ? `${(hz / 1000).toFixed(2)} kHz` : `${Math.round(hz)} Hz`;
}

export class FullSpectrogram {
  /** The frame and the readout under it. */
  readonly element: HTMLElement;
  readonly frame: SpectrogramFrame;
  private readonly image: HTMLCanvasElement;
  private readonly cursor: HTMLElement;
  private readonly selectionBox: HTMLElement;
  private readonly readout: HTMLElement;
  /** Crosshair lines at the point the readout describes. */
  private readonly hoverX: HTMLElement;
  private readonly hoverY: HTMLElement;
  private readonly values: Float32Array;
  private readonly lowHz: number;
  private readonly highHz: number;
  private cursorSec = 0;
  private selection: TimeRange | null = null;
  /** A `[` mark waiting for its `]`. */
  private markedStart: number | null = null;
  private readonly disposers: Array<() => void> = [];

  constructor(
    private readonly data: SpectrogramData,
    private readonly view: TimeWindow,
    private readonly hooks: SpectrogramHooks,
  ) {
    const edges = data.bandEdgesHz;
    this.lowHz = edges[1] ?? edges[0] ?? 125;
    this.highHz = edges[edges.length - 2] ?? edges[edges.length - 1] ?? 7500;
    this.frame = spectrogramFrame(
      'Mel spectrogram of the recording: time left to right, low to high pitch bottom to top',
      { lowHz: this.lowHz, highHz: this.highHz },
      () => this.draw(),
    );
    this.values = decodeFrames(data);
    const [minDb, maxDb] = dbRange(this.values);
    this.image = document.createElement('canvas');
    this.image.width = Math.max(1, data.frames);
    this.image.height = data.bands;
    const ctx = this.image.getContext('2d') as CanvasRenderingContext2D;
    const img = ctx.createImageData(this.image.width, data.bands);
    for (let f = 0; f < data.frames; f++) {
      for (let b = 0; b < data.bands; b++) {
        const c = colorIndex(this.values[f * data.bands + b] as number, minDb, maxDb) * 4;
        const o = ((data.bands - 1 - b) * this.image.width + f) * 4;
        img.data[o] = VIRIDIS[c] as number;
        img.data[o + 1] = VIRIDIS[c + 1] as number;
        img.data[o + 2] = VIRIDIS[c + 2] as number;
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    this.frame.drawLegend(minDb, maxDb);
    this.selectionBox = h('div', { class: 'spec-selection', hidden: true, 'data-testid': 'spec-selection' });
    this.cursor = h('div', { class: 'spec-cursor' });
    this.hoverX = h('div', { class: 'spec-hover spec-hover-x', hidden: true });
    this.hoverY = h('div', { class: 'spec-hover spec-hover-y', hidden: true });
    this.frame.overlay.append(this.selectionBox, this.hoverX, this.hoverY, this.cursor);
    this.readout = h('p', { class: 'spec-readout', 'data-testid': 'spec-readout' });
    this.clearReadout();
    this.element = h('div', { class: 'spectrogram-full' }, this.frame.root, this.readout);

    const plot = this.frame.plot;
    plot.tabIndex = 0;
    plot.setAttribute('role', 'slider');
    plot.setAttribute(
      'aria-label',
      'Spectrogram playhead. Arrow keys move it, plus and minus zoom, 0 shows the whole recording, [ and ] mark a selection to loop',
    );
    plot.setAttribute('aria-valuemin', '0');
    plot.setAttribute('aria-valuemax', view.total.toFixed(2));
    this.pointer(plot);
    this.listen(plot, 'wheel', (ev) => this.wheel(ev as WheelEvent), { passive: false });
    this.listen(plot, 'keydown', (ev) => this.key(ev as KeyboardEvent));
    this.disposers.push(view.onChange(() => this.draw()));
    this.draw();
    this.setCursor(0);
  }

  private listen(el: HTMLElement, type: string, fn: (ev: Event) => void, opts?: AddEventListenerOptions): void {
    el.addEventListener(type, fn, opts);
    this.disposers.push(() => el.removeEventListener(type, fn, opts));
  }

  private secAt(clientX: number): number {
    const r = this.frame.plot.getBoundingClientRect();
    return Math.min(this.view.end, Math.max(this.view.start, this.view.at((clientX - r.left) / r.width)));
  }

  /** Click seeks, a drag selects; the readout follows the pointer either way. */
  private pointer(plot: HTMLCanvasElement): void {
    let drag: { x0: number; t0: number; moved: boolean; id: number } | null = null;
    this.listen(plot, 'pointerdown', (e) => {
      const ev = e as PointerEvent;
      if (ev.button !== 0) return;
      plot.setPointerCapture(ev.pointerId);
      drag = { x0: ev.clientX, t0: this.secAt(ev.clientX), moved: false, id: ev.pointerId };
    });
    this.listen(plot, 'pointermove', (e) => {
      const ev = e as PointerEvent;
      this.showReadout(ev);
      if (!drag || drag.id !== ev.pointerId) return;
      if (Math.abs(ev.clientX - drag.x0) > DRAG_PX) drag.moved = true;
      if (drag.moved) {
        const t = this.secAt(ev.clientX);
        this.setSelection({ startSec: Math.min(drag.t0, t), endSec: Math.max(drag.t0, t) });
      }
    });
    this.listen(plot, 'pointerup', (e) => {
      const ev = e as PointerEvent;
      if (!drag || drag.id !== ev.pointerId) return;
      const d = drag;
      drag = null;
      if (d.moved) {
        this.markedStart = null;
        this.hooks.onSelect(this.selection);
      } else this.hooks.onSeek(d.t0);
    });
    this.listen(plot, 'pointercancel', () => (drag = null));
    this.listen(plot, 'pointerleave', () => {
      if (!drag) this.clearReadout();
    });
  }

  private wheel(ev: WheelEvent): void {
    const px = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? this.frame.plotWidth() : 1;
    if (ev.ctrlKey || ev.metaKey) {
      // Ctrl + wheel, and a trackpad pinch (which Chromium sends as Ctrl + wheel).
      ev.preventDefault();
      const factor = Math.min(4, Math.max(0.25, 2 ** ((-ev.deltaY * px) / 100)));
      this.view.zoom(factor, this.secAt(ev.clientX));
      return;
    }
    const sideways = ev.shiftKey ? ev.deltaY || ev.deltaX : Math.abs(ev.deltaX) > Math.abs(ev.deltaY) ? ev.deltaX : 0;
    if (sideways === 0 || !this.view.zoomed) return; // an ordinary scroll of the page
    ev.preventDefault();
    this.view.pan(((sideways * px) / this.frame.plotWidth()) * this.view.span);
  }

  private key(ev: KeyboardEvent): void {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = this.cursorSec;
    const view = this.view;
    const step = view.span / 20;
    const seek = (sec: number): void => {
      const s = Math.min(view.total, Math.max(0, sec));
      view.reveal(s);
      this.hooks.onSeek(s);
      this.readout.textContent = `Playhead ${s.toFixed(2)} s`;
    };
    switch (ev.key) {
      case 'ArrowLeft':
      case 'ArrowDown':
        seek(t - step);
        break;
      case 'ArrowRight':
      case 'ArrowUp':
        seek(t + step);
        break;
      case 'Home':
        seek(0);
        break;
      case 'End':
        seek(view.total);
        break;
      case 'PageUp':
        view.pan(-view.span);
        break;
      case 'PageDown':
        view.pan(view.span);
        break;
      case '+':
      case '=':
        view.zoom(ZOOM_STEP, t >= view.start && t <= view.end ? t : undefined);
        break;
      case '-':
        view.zoom(1 / ZOOM_STEP, t >= view.start && t <= view.end ? t : undefined);
        break;
      case '0':
        view.reset();
        break;
      case '[':
        this.markedStart = t;
        if (this.selection && t < this.selection.endSec) this.select({ startSec: t, endSec: this.selection.endSec });
        else this.readout.textContent = `Selection starts at ${t.toFixed(2)} s: move the playhead and press ]`;
        break;
      case ']': {
        const from = this.markedStart ?? this.selection?.startSec;
        if (from !== undefined && t > from) this.select({ startSec: from, endSec: t });
        else this.readout.textContent = 'Press [ at the start of the stretch first, then ] after it';
        break;
      }
      case 'Escape':
        this.markedStart = null;
        this.select(null);
        break;
      default:
        return;
    }
    ev.preventDefault();
  }

  private select(r: TimeRange | null): void {
    this.setSelection(r);
    this.hooks.onSelect(this.selection);
  }

  private showReadout(ev: PointerEvent): void {
    const r = this.frame.plot.getBoundingClientRect();
    const fx = (ev.clientX - r.left) / r.width;
    const fy = 1 - (ev.clientY - r.top) / r.height; // 0 at the bottom
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
    const sec = this.view.at(fx);
    // The same mapping as the frequency labels: equal steps in HTK mel between the outer band centres.
    const hz = melToHz(hzToMel(this.lowHz) + fy * (hzToMel(this.highHz) - hzToMel(this.lowHz)));
    const frame = Math.min(this.data.frames - 1, Math.max(0, Math.floor(sec / this.data.hopSec)));
    const band = Math.min(this.data.bands - 1, Math.max(0, Math.floor(fy * this.data.bands)));
    const level = this.values[frame * this.data.bands + band];
    this.hoverX.hidden = false;
    this.hoverY.hidden = false;
    this.hoverX.style.left = `${(fx * 100).toFixed(3)}%`;
    this.hoverY.style.top = `${((1 - fy) * 100).toFixed(3)}%`;
    this.readout.dataset['sec'] = sec.toFixed(3);
    this.readout.dataset['hz'] = hz.toFixed(1);
    this.readout.textContent = `${sec.toFixed(2)} s · ${hzText(hz)}${level === undefined ? '' : ` · ${Math.round(level * DB_PER_LOG_UNIT)} dB`}`;
  }

  private clearReadout(): void {
    this.hoverX.hidden = true;
    this.hoverY.hidden = true;
    delete this.readout.dataset['sec'];
    delete this.readout.dataset['hz'];
    this.readout.textContent = 'Point at the spectrogram to read time, frequency and level.';
  }

  private draw(): void {
    const ctx = this.frame.plot.getContext('2d') as CanvasRenderingContext2D;
    const w = this.frame.plotWidth();
    const view = this.view;
    const hop = this.data.hopSec;
    ctx.fillStyle = '#440154';
    ctx.fillRect(0, 0, w, PLOT_HEIGHT);
    // Frame f covers [f·hop, (f+1)·hop]; clip the source to the frames there are.
    const sx0 = Math.max(0, view.start / hop);
    const sx1 = Math.min(this.image.width, view.end / hop);
    if (sx1 > sx0) {
      ctx.imageSmoothingEnabled = true;
      const dx0 = view.fraction(sx0 * hop) * w;
      const dx1 = view.fraction(sx1 * hop) * w;
      ctx.drawImage(this.image, sx0, 0, sx1 - sx0, this.image.height, dx0, 0, dx1 - dx0, PLOT_HEIGHT);
    }
    this.frame.drawTimeAxis(timeTicks(view, w));
    this.frame.plot.dataset['viewStart'] = view.start.toFixed(3);
    this.frame.plot.dataset['viewEnd'] = view.end.toFixed(3);
    this.place();
  }

  /** Cursor and selection at their places in the visible window (hidden when off screen). */
  private place(): void {
    const f = this.view.fraction(this.cursorSec);
    this.cursor.hidden = f < 0 || f > 1;
    this.cursor.style.left = `${(Math.min(1, Math.max(0, f)) * 100).toFixed(3)}%`;
    const s = this.selection;
    this.selectionBox.hidden = s === null;
    if (s) {
      const a = Math.max(0, this.view.fraction(s.startSec));
      const b = Math.min(1, this.view.fraction(s.endSec));
      this.selectionBox.hidden = b <= a;
      this.selectionBox.style.left = `${(a * 100).toFixed(3)}%`;
      this.selectionBox.style.width = `${(Math.max(0, b - a) * 100).toFixed(3)}%`;
    }
  }

  /** Moves the playback cursor to `sec`. */
  setCursor(sec: number): void {
    this.cursorSec = Math.min(this.view.total, Math.max(0, sec));
    this.frame.plot.setAttribute('aria-valuenow', this.cursorSec.toFixed(2));
    this.frame.plot.setAttribute('aria-valuetext', `${this.cursorSec.toFixed(1)} s`);
    this.place();
  }

  /** Draws the selection (from the player, or during a drag). */
  setSelection(r: TimeRange | null): void {
    this.selection = r && r.endSec > r.startSec ? r : null;
    this.place();
  }

  destroy(): void {
    for (const d of this.disposers.splice(0)) d();
    this.frame.destroy();
  }
}
