/** An audit entry's details as one readable line (the raw JSON stays in the exports). */
import type { AuditEntry } from '../../../src/service/api';
import { dateTime } from '../ui/format';

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

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const rec = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};

/** The fields an action's own sentence already says, so they are not repeated after it. */
const SAID: Partial<Record<string, ReadonlySet<string>>> = {
  'patient.break-glass': new Set(['reason', 'expiresAt']),
  'auth.login.failed': new Set(['reason', 'purpose']),
  'audit.rollback-accepted': new Set(['base', 'lost', 'held', 'reason', 'refusedAttempts', 'acceptedBy', 'acceptedAt']),
};

/** The sentence an auditor reads an entry for, first: a break-glass reason, a failed sign-in, a rollback given up. */
function lead(e: AuditEntry): string[] {
  const d = e.details;
  if (e.action === 'patient.break-glass') {
    const until = str(d['expiresAt']);
    return [`Reason: “${str(d['reason']) ?? '—'}”`, ...(until ? [`access until ${dateTime(until)}`] : [])];
  }
  if (e.action === 'auth.login.failed' && str(d['reason'])) {
    const purpose = d['purpose'] === 'password-change' ? ' (current password, changing own password)' : '';
    return [`Failed: ${str(d['reason'])!.replace(/-/g, ' ')}${purpose}`];
  }
  if (e.action === 'audit.rollback-accepted') {
    const base = num(rec(d['base'])['seq']);
    const lost = rec(d['lost']);
    const attempts = (Array.isArray(d['refusedAttempts']) ? (d['refusedAttempts'] as unknown[]) : []).map(rec);
    const refused = attempts.length;
    const tried = attempts
      .map(
        (a) =>
          `${str(a['username']) ?? '?'} (${(str(a['reason']) ?? '?').replace(/-/g, ' ')}, ${dateTime(str(a['at']))})`,
      )
      .join('; ');
    // A site's acceptance (`held` present) is one workstation's: entry numbers after `held` are the
    // old history's, which the site's entries now reuse, so "entries N–M given up" would misname them.
    const held = d['held'] === undefined ? null : rec(d['held']);
    const checkpoints = held ? num(held['lostCheckpoints']) : null;
    const given = held
      ? `Restored site copy accepted for the workstation that signed it: what it wrote after entry ${num(held['seq']) ?? '?'} of the old history (${checkpoints === 1 ? '1 checkpoint' : `${checkpoints ?? '?'} checkpoints`}, up to entry ${num(lost['toSeq']) ?? '?'}, the last ${dateTime(str(lost['checkpointAt']))}) given up; the site's history goes on from entry ${base ?? '?'}`
      : `Restored older copy accepted: entries ${num(lost['fromSeq']) ?? '?'}–${num(lost['toSeq']) ?? '?'} given up (last checkpoint ${dateTime(str(lost['checkpointAt']))}); history goes on from entry ${base ?? '?'}`;
    return [
      given,
      ...(str(d['reason']) ? [`Reason: “${str(d['reason'])}”`] : []),
      ...(refused ? [`${refused} refused attempt${refused === 1 ? '' : 's'} before: ${tried}`] : []),
    ];
  }
  return [];
}

export function auditSummary(e: AuditEntry): string {
  const said = SAID[e.action];
  const parts = lead(e);
  for (const [k, v] of Object.entries(e.details)) {
    if (HIDDEN.has(k) || said?.has(k)) continue;
    parts.push(`${k}: ${value(v)}`);
  }
  return parts.join(' · ') || '—';
}
