/**
 * chart.js charts: class probabilities (bars, numbers in the labels), the per-patch timeline and
 * a patient's trend. Colours are the Okabe–Ito colour-blind-safe set; lines also differ in dash
 * and point shape, and every value is also written as a number, so colour never carries meaning alone.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ChartDataset } from 'chart.js';
import { CLASS_COLORS, CLASS_LABELS, CLASS_ORDER } from '../../../src/common/classes';
import type { ClassName, ClassProbabilities } from '../../../src/service/api';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);
Chart.defaults.font.size = 14;
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#1d2733';
Chart.defaults.animation = false;

const DASH: Record<ClassName, number[]> = {
  asthma: [],
  copd: [6, 3],
  pneumonia: [2, 3],
  healthy: [10, 4],
  bronchial: [6, 2, 2, 2],
};
const POINT: Record<ClassName, 'circle' | 'rect' | 'triangle' | 'rectRot' | 'star'> = {
  asthma: 'circle',
  copd: 'rect',
  pneumonia: 'triangle',
  healthy: 'rectRot',
  bronchial: 'star',
};

function labelsWithNumbers(p: ClassProbabilities | null, classes: readonly ClassName[]): string[] {
  return classes.map((c) => `${CLASS_LABELS[c]}  ${p ? `${Math.round(p[c] * 100)} %` : '—'}`);
}

/** Name and number on two lines, for narrow columns (chart.js gives the axis at most half the width). */
function twoLineLabels(p: ClassProbabilities | null, classes: readonly ClassName[]): string[][] {
  return classes.map((c) => [CLASS_LABELS[c], p ? `${Math.round(p[c] * 100)} %` : '—']);
}

/** Horizontal bars, one per class shown (default all five), 0–100 %. */
export class ProbabilityBars {
  readonly canvas = document.createElement('canvas');
  private readonly chart: Chart<'bar', number[], string | string[]>;
  /** The same numbers as text, for screen readers and for tests (the canvas is only pixels). */
  private readonly numbers = document.createElement('p');
  constructor(
    label: string,
    height = 220,
    private readonly compact = false,
    private readonly classes: readonly ClassName[] = CLASS_ORDER,
  ) {
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    const wrap = document.createElement('div');
    wrap.className = 'chart-wrap';
    wrap.style.height = `${height}px`;
    this.numbers.className = 'sr-only';
    this.numbers.dataset['testid'] = 'probabilities';
    wrap.append(this.canvas, this.numbers);
    this.chart = new Chart<'bar', number[], string | string[]>(this.canvas, {
      type: 'bar',
      data: {
        labels: compact ? twoLineLabels(null, classes) : labelsWithNumbers(null, classes),
        datasets: [
          { data: classes.map(() => 0), backgroundColor: classes.map((c) => CLASS_COLORS[c]), borderWidth: 0 },
        ],
      },
      options: {
        indexAxis: 'y',
        maintainAspectRatio: false,
        responsive: true,
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: {
          x: { min: 0, max: 100, ticks: { maxRotation: 0, stepSize: 25, callback: (v) => `${v} %` } },
          y: { ticks: { autoSkip: false, font: { size: 15, weight: 'bold' } } },
        },
      },
    });
  }
  get element(): HTMLElement {
    return this.canvas.parentElement as HTMLElement;
  }
  update(p: ClassProbabilities | null): void {
    this.chart.data.labels = this.compact ? twoLineLabels(p, this.classes) : labelsWithNumbers(p, this.classes);
    this.numbers.textContent = p ? labelsWithNumbers(p, this.classes).join('; ') : 'No probabilities yet.';
    (this.chart.data.datasets[0] as ChartDataset<'bar', number[]>).data = this.classes.map((c) => (p ? p[c] * 100 : 0));
    this.chart.update('none');
  }
  destroy(): void {
    this.chart.destroy();
  }
}

/** One line per class over x (seconds in a recording, or a date index for trends). */
export function classLines(
  label: string,
  points: Array<{ x: number; p: Partial<ClassProbabilities> }>,
  opts: {
    xTitle: string;
    xTick?: (x: number) => string;
    height?: number;
    classes?: readonly ClassName[];
    xMin?: number;
    xMax?: number;
  },
): { element: HTMLElement; chart: Chart<'line'> } {
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  const wrap = document.createElement('div');
  wrap.className = 'chart-wrap';
  wrap.style.height = `${opts.height ?? 220}px`;
  wrap.append(canvas);
  const classes = opts.classes ?? CLASS_ORDER;
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      datasets: classes.map((c) => ({
        label: CLASS_LABELS[c],
        data: points.filter((pt) => pt.p[c] !== undefined).map((pt) => ({ x: pt.x, y: (pt.p[c] as number) * 100 })),
        borderColor: CLASS_COLORS[c],
        backgroundColor: CLASS_COLORS[c],
        borderDash: DASH[c],
        pointStyle: POINT[c],
        pointRadius: points.length > 60 ? 0 : 4,
        borderWidth: 2,
        tension: 0,
      })),
    },
    options: {
      maintainAspectRatio: false,
      responsive: true,
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        legend: { position: 'right', labels: { usePointStyle: true, pointStyleWidth: 14, boxHeight: 9 } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${Number(item.parsed.y).toFixed(0)} %` } },
      },
      scales: {
        x: {
          type: 'linear',
          min: opts.xMin,
          max: opts.xMax,
          title: { display: true, text: opts.xTitle },
          ticks: opts.xTick
            ? { maxTicksLimit: 8, callback: (v) => (opts.xTick as (x: number) => string)(Number(v)) }
            : {},
        },
        y: { min: 0, max: 100, title: { display: true, text: 'probability' }, ticks: { callback: (v) => `${v} %` } },
      },
    },
  });
  return { element: wrap, chart };
}

/**
 * The screen probability over time, one line per chest site (points of the same site joined,
 * null = a gap: withheld, earlier engine or not analysed), with the threshold and the
 * uncertainty band drawn across.
 */
export function screenTrend(
  label: string,
  series: Array<{ label: string; points: Array<{ x: number; y: number | null }> }>,
  opts: { threshold: number | null; margin: number | null; xTick: (x: number) => string; height?: number },
): { element: HTMLElement; chart: { destroy(): void } } {
  type Pt = { x: number; y: number | null };
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  const wrap = document.createElement('div');
  wrap.className = 'chart-wrap';
  wrap.style.height = `${opts.height ?? 260}px`;
  wrap.append(canvas);
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const colours = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
  const shapes = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot'] as const;
  const across = (y: number, name: string, dash: number[]): ChartDataset<'line', Pt[]> => ({
    label: name,
    data: [
      { x: xMin, y },
      { x: xMax, y },
    ],
    borderColor: '#8a5a00',
    borderDash: dash,
    borderWidth: 1.5,
    pointRadius: 0,
  });
  const datasets: ChartDataset<'line', Pt[]>[] = series.map((s, i) => ({
    label: s.label,
    data: s.points.map((p) => ({ x: p.x, y: p.y === null ? null : p.y * 100 })),
    borderColor: colours[i % colours.length],
    backgroundColor: colours[i % colours.length],
    pointStyle: shapes[i % shapes.length],
    pointRadius: 5,
    borderWidth: 2,
    spanGaps: false,
  }));
  if (opts.threshold !== null) {
    datasets.push(across(opts.threshold * 100, 'threshold', [6, 3]));
    if (opts.margin !== null) {
      datasets.push(across((opts.threshold - opts.margin) * 100, 'uncertain band', [2, 3]));
      datasets.push(across((opts.threshold + opts.margin) * 100, '', [2, 3]));
    }
  }
  const chart = new Chart<'line', Pt[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      maintainAspectRatio: false,
      responsive: true,
      plugins: {
        legend: {
          position: 'right',
          labels: { usePointStyle: true, filter: (item) => item.text !== '' },
        },
        tooltip: {
          callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${Number(item.parsed.y).toFixed(0)} %` },
        },
      },
      scales: {
        x: {
          type: 'linear',
          ticks: { maxTicksLimit: 6, callback: (v) => opts.xTick(Number(v)) },
          title: { display: true, text: 'date recorded' },
        },
        y: {
          min: 0,
          max: 100,
          title: { display: true, text: 'p(abnormal)' },
          ticks: { callback: (v) => `${v} %` },
        },
      },
    },
  });
  return { element: wrap, chart };
}
