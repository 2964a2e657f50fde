import { CLASS_LABELS } from '../../../src/common/classes';
import type { ClassName, QualityReport } from '../../../src/service/api';

export function pct(p: number | null | undefined, digits = 0): string {
  return p === null || p === undefined || !Number.isFinite(p) ? '—' : `${(p * 100).toFixed(digits)} %`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function dateOnly(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: '2-digit' });
}

export function seconds(s: number): string {
  return `${s.toFixed(1)} s`;
}

export function className(c: ClassName | null | undefined): string {
  return c ? CLASS_LABELS[c] : '—';
}

/** "posterior-left-lower" → "Posterior left lower". */
export function siteName(site: string | null | undefined): string {
  if (!site) return '—';
  const s = site.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function qualityText(q: QualityReport | null | undefined): string {
  if (!q) return 'No quality measurement yet';
  const word =
    q.verdict === 'good' ? 'Good sound quality' : q.verdict === 'fair' ? 'Fair sound quality' : 'Poor sound quality';
  return q.reasons.length ? `${word}: ${q.reasons.join('; ')}` : word;
}

export function verdictSymbol(v: QualityReport['verdict'] | null | undefined): string {
  return v === 'good' ? '✓' : v === 'fair' ? '!' : v === 'poor' ? '✗' : '·';
}
