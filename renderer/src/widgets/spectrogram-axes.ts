/**
 * The frame around a spectrogram plot: frequency labels (Hz, from the mel axis) on the left, a
 * dB colour legend on the right, time labels underneath. Canvases sized for the device pixel ratio.
 */
import { h } from '../ui/dom';
import { VIRIDIS } from './colormap';
import { HZ_TICKS, bandPosition, hzLabel, MEL_HIGH_HZ, MEL_LOW_HZ } from './mel-scale';

export const PLOT_HEIGHT = 240;
const Y_AXIS_W = 70;
const LEGEND_W = 78;
const X_AXIS_H = 26;
const FONT = '13px system-ui, sans-serif';
const INK = '#1d2733';

export interface SpectrogramFrame {
  root: HTMLElement;
  plot: HTMLCanvasElement;
  overlay: HTMLElement;
  /** Redraws the time axis: ticks at `ticks` seconds mapped by `toX` (0..1 of the plot width). */
  drawTimeAxis(ticks: Array<{ at: number; label: string }>): void;
  drawLegend(minDb: number, maxDb: number): void;
  plotWidth(): number;
  destroy(): void;
}

function sized(canvas: HTMLCanvasElement, cssW: number, cssH: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(cssW * dpr));
  canvas.height = Math.max(1, Math.round(cssH * dpr));
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export function spectrogramFrame(
  label: string,
  range: { lowHz?: number; highHz?: number } = {},
  onResize?: () => void,
): SpectrogramFrame {
  const lowHz = range.lowHz ?? MEL_LOW_HZ;
  const highHz = range.highHz ?? MEL_HIGH_HZ;
  const yAxis = h('canvas', { class: 'spec-yaxis', 'aria-hidden': 'true' });
  const plot = h('canvas', { class: 'spec-plot', role: 'img', 'aria-label': label });
  const overlay = h('div', { class: 'spec-overlay' });
  const plotWrap = h('div', { class: 'spec-plot-wrap' }, plot, overlay);
  const legend = h('canvas', { class: 'spec-legend', 'aria-hidden': 'true' });
  const xAxis = h('canvas', { class: 'spec-xaxis', 'aria-hidden': 'true' });
  const root = h('div', { class: 'spectrogram' }, yAxis, plotWrap, legend, h('div', {}), xAxis, h('div', {}));
  let lastTicks: Array<{ at: number; label: string }> = [];
  let lastLegend: [number, number] | null = null;
  let width = 600;

  const drawY = (): void => {
    const ctx = sized(yAxis, Y_AXIS_W, PLOT_HEIGHT);
    ctx.font = FONT;
    ctx.fillStyle = INK;
    ctx.strokeStyle = INK;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    let lastY = Infinity;
    for (const hz of HZ_TICKS) {
      if (hz < lowHz || hz > highHz) continue;
      const y = PLOT_HEIGHT - bandPosition(hz, lowHz, highHz) * PLOT_HEIGHT;
      if (lastY - y < 16) continue; // labels would overlap: the low end of the mel axis is crowded
      lastY = y;
      const yy = Math.min(PLOT_HEIGHT - 7, Math.max(7, y));
      ctx.fillText(hzLabel(hz), Y_AXIS_W - 10, yy);
      ctx.beginPath();
      ctx.moveTo(Y_AXIS_W - 6, y);
      ctx.lineTo(Y_AXIS_W, y);
      ctx.stroke();
    }
  };

  const frame: SpectrogramFrame = {
    root,
    plot,
    overlay,
    plotWidth: () => width,
    drawTimeAxis(ticks) {
      lastTicks = ticks;
      const ctx = sized(xAxis, width, X_AXIS_H);
      ctx.font = FONT;
      ctx.fillStyle = INK;
      ctx.textBaseline = 'top';
      for (const t of ticks) {
        const x = t.at * width;
        ctx.textAlign = t.at < 0.02 ? 'left' : t.at > 0.98 ? 'right' : 'center';
        ctx.fillRect(Math.min(width - 1, x), 0, 1, 5);
        ctx.fillText(t.label, x, 7);
      }
    },
    drawLegend(minDb, maxDb) {
      lastLegend = [minDb, maxDb];
      const ctx = sized(legend, LEGEND_W, PLOT_HEIGHT);
      const barX = 8;
      const barW = 16;
      for (let y = 0; y < PLOT_HEIGHT; y++) {
        const i = Math.round((1 - y / (PLOT_HEIGHT - 1)) * 255) * 4;
        ctx.fillStyle = `rgb(${VIRIDIS[i]},${VIRIDIS[i + 1]},${VIRIDIS[i + 2]})`;
        ctx.fillRect(barX, y, barW, 1);
      }
      ctx.font = FONT;
      ctx.fillStyle = INK;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      const steps = 4;
      for (let s = 0; s <= steps; s++) {
        const db = maxDb - ((maxDb - minDb) * s) / steps;
        const y = Math.min(PLOT_HEIGHT - 7, Math.max(7, (s / steps) * PLOT_HEIGHT));
        ctx.fillText(`${Math.round(db)} dB`, barX + barW + 5, y);
      }
    },
    destroy() {
      ro.disconnect();
    },
  };

  const ro = new ResizeObserver(() => {
    const w = Math.floor(plotWrap.clientWidth);
    if (w > 0 && w !== width) {
      width = w;
      sized(plot, width, PLOT_HEIGHT);
      frame.drawTimeAxis(lastTicks);
      onResize?.();
    }
  });
  ro.observe(plotWrap);
  drawY();
  sized(plot, width, PLOT_HEIGHT);
  queueMicrotask(() => {
    if (lastLegend) frame.drawLegend(...lastLegend);
  });
  return frame;
}
