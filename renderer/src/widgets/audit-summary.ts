/** An audit entry's details as one readable line (the raw JSON stays in the exports). */
import type { AuditEntry } from '../../../src/service/api';

const HIDDEN = new Set(['peer']);

function value(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(value).join(', ');
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k} ${value(x)}`)
    .join(', ');
}

/** "Reason: …" first for a break-glass entry (the reason is what an auditor reads it for). */
export function auditSummary(e: AuditEntry): string {
  const d = e.details;
  const parts: string[] = [];
  if (e.action === 'patient.break-glass' && typeof d['reason'] === 'string') parts.push(`Reason: “${d['reason']}”`);
  if (e.action === 'auth.login.failed' && typeof d['reason'] === 'string')
    parts.push(`Failed: ${d['reason'].replace(/-/g, ' ')}`);
  for (const [k, v] of Object.entries(d)) {
    if (HIDDEN.has(k)) continue;
    if (k === 'reason' && (e.action === 'patient.break-glass' || e.action === 'auth.login.failed')) continue;
    parts.push(`${k}: ${value(v)}`);
  }
  return parts.join(' · ') || '—';
}
