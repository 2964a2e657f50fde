/**
 * The visible stretch of a recording, shared by the spectrogram, its time axis and the evidence
 * lanes so a zoom or pan moves all of them at once (a second is the same pixel in each). Zoom
 * keeps the anchor (the pointer or the playhead) where it is on screen; the window never leaves
 * the recording and never gets shorter than MIN_SPAN_SEC (a few YAMNet frames would be unreadable).
 */
import { h } from '../ui/dom';

export const MIN_SPAN_SEC = 0.5;
/** Each + / − step halves or doubles the visible time. */
export const ZOOM_STEP = 2;

export class TimeWindow {
  private startSec = 0;
  private endSec: number;
  private readonly listeners = new Set<() => void>();

  constructor(readonly durationSec: number) {
    this.endSec = Math.max(durationSec, 1e-3);
  }

  get start(): number {
    return this.startSec;
  }
  get end(): number {
    return this.endSec;
  }
  get span(): number {
    return this.endSec - this.startSec;
  }
  get total(): number {
    return Math.max(this.durationSec, 1e-3);
  }
  get zoomed(): boolean {
    return this.span < this.total - 1e-6;
  }
  /** Whether another zoom-in step would change anything. */
  get canZoomIn(): boolean {
    return this.span > Math.min(MIN_SPAN_SEC, this.total) + 1e-6;
  }

  /** 0..1 across the visible window (outside that range when `sec` is off screen). */
  fraction(sec: number): number {
    return (sec - this.startSec) / this.span;
  }
  /** The second at `fraction` (0..1) of the visible window. */
  at(fraction: number): number {
    return this.startSec + fraction * this.span;
  }

  /** Shows [start, end], clamped into the recording, at least MIN_SPAN_SEC long. */
  show(start: number, end: number): void {
    const total = this.total;
    let span = Math.min(total, Math.max(Math.min(MIN_SPAN_SEC, total), end - start));
    if (!Number.isFinite(span)) span = total;
    let s = Number.isFinite(start) ? start : 0;
    s = Math.min(Math.max(0, s), total - span);
    if (Math.abs(s - this.startSec) < 1e-9 && Math.abs(s + span - this.endSec) < 1e-9) return;
    this.startSec = s;
    this.endSec = s + span;
    for (const l of this.listeners) l();
  }

  /** factor > 1 zooms in (shows 1/factor of the time), keeping `anchorSec` at the same place on screen. */
  zoom(factor: number, anchorSec = (this.startSec + this.endSec) / 2): void {
    const f = this.fraction(anchorSec);
    const span = this.span / factor;
    const start = anchorSec - Math.min(1, Math.max(0, f)) * span;
    this.show(start, start + span);
  }

  pan(deltaSec: number): void {
    this.show(this.startSec + deltaSec, this.endSec + deltaSec);
  }

  reset(): void {
    this.show(0, this.total);
  }

  /** Scrolls so `sec` is visible (a page at a time, as audio editors do while playing). */
  reveal(sec: number): void {
    if (sec >= this.startSec && sec <= this.endSec) return;
    this.show(sec, sec + this.span);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** Time axis ticks for the visible window: a round step giving at most one label per ~80 px. */
export function timeTicks(view: TimeWindow, widthPx: number): Array<{ at: number; label: string }> {
  const steps = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120];
  const most = Math.max(2, Math.floor(widthPx / 80));
  const step = steps.find((s) => view.span / s <= most) ?? view.span / most;
  const decimals = step < 0.1 ? 2 : step < 1 ? 1 : 0;
  const ticks: Array<{ at: number; label: string }> = [];
  for (let s = Math.ceil(view.start / step - 1e-9) * step; s <= view.end + 1e-9; s += step) {
    ticks.push({ at: view.fraction(s), label: `${s.toFixed(decimals)} s` });
  }
  return ticks;
}

/** −, +, Fit and a pan slider for a TimeWindow, with the visible range in words. */
export function zoomControls(view: TimeWindow): { element: HTMLElement; dispose: () => void } {
  const out = h('button', { type: 'button', class: 'secondary small', 'aria-label': 'Zoom out' }, '−');
  const inn = h('button', { type: 'button', class: 'secondary small', 'aria-label': 'Zoom in' }, '+');
  const fit = h('button', { type: 'button', class: 'secondary small' }, 'Whole recording');
  const pan = h('input', {
    type: 'range',
    min: '0',
    max: '1000',
    step: '1',
    value: '0',
    class: 'zoom-pan',
    'aria-label': 'Scroll the zoomed view through the recording',
  });
  const text = h('span', { class: 'zoom-range', 'data-testid': 'zoom-range', 'aria-live': 'polite' });
  out.addEventListener('click', () => view.zoom(1 / ZOOM_STEP));
  inn.addEventListener('click', () => view.zoom(ZOOM_STEP));
  fit.addEventListener('click', () => view.reset());
  pan.addEventListener('input', () => {
    const room = view.total - view.span;
    const start = (Number(pan.value) / 1000) * room;
    view.show(start, start + view.span);
  });
  const update = (): void => {
    const room = view.total - view.span;
    pan.value = String(room > 0 ? Math.round((view.start / room) * 1000) : 0);
    pan.disabled = !view.zoomed;
    out.disabled = !view.zoomed;
    fit.disabled = !view.zoomed;
    inn.disabled = !view.canZoomIn;
    text.dataset['start'] = view.start.toFixed(3);
    text.dataset['end'] = view.end.toFixed(3);
    const digits = view.span < 10 ? 2 : 1;
    text.textContent = view.zoomed
      ? `${view.start.toFixed(digits)}–${view.end.toFixed(digits)} s of ${view.total.toFixed(1)} s`
      : `whole recording, ${view.total.toFixed(1)} s`;
  };
  const off = view.onChange(update);
  update();
  const element = h(
    'div',
    { class: 'zoom-controls', role: 'group', 'aria-label': 'Zoom in time' },
    h('span', { class: 'toolbar-label' }, 'Zoom'),
    out,
    inn,
    fit,
    pan,
    text,
  );
  return { element, dispose: off };
}
