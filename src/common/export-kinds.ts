/**
 * The export kinds, registered once: the service's validation and roles, the CLI's usage and
 * the UI's choices all read this table; src/export/jobs.ts writes one kind per entry.
 *
 * Who may export what (the roles that may see the data): the audit history is for auditors
 * only; analyses (CSV) and PDF reports for auditors and pulmonologists (both see every
 * recording); FHIR bundles and recordings carry the audio, which auditors may not play, so they
 * are for pulmonologists only. Nurses and admins export nothing.
 */
import type { Role } from './roles.js';

export const EXPORT_KIND_NAMES = ['audit-history', 'analyses', 'pdf', 'fhir', 'recordings'] as const;
export type ExportKind = (typeof EXPORT_KIND_NAMES)[number];

export interface ExportKindInfo {
  /** How the UI names it. */
  label: string;
  roles: readonly Role[];
  /** What one counted row is ("Exported 12 recordings"). */
  rowNoun: 'entries' | 'recordings';
  /** The button on one recording's page, or null when the kind is not offered there. */
  oneRecordingLabel: string | null;
}

export const EXPORT_KINDS: Readonly<Record<ExportKind, ExportKindInfo>> = {
  'audit-history': {
    label: 'Session history (audit log, CSV + JSON Lines + manifest)',
    roles: ['auditor'],
    rowNoun: 'entries',
    oneRecordingLabel: null,
  },
  analyses: {
    label: 'Analyses (CSV)',
    roles: ['auditor', 'pulmonologist'],
    rowNoun: 'recordings',
    oneRecordingLabel: null,
  },
  pdf: {
    label: 'PDF reports',
    roles: ['auditor', 'pulmonologist'],
    rowNoun: 'recordings',
    oneRecordingLabel: 'PDF report',
  },
  fhir: {
    label: 'FHIR R4 bundles',
    roles: ['pulmonologist'],
    rowNoun: 'recordings',
    oneRecordingLabel: 'FHIR R4 bundle',
  },
  recordings: {
    label: 'Recordings (WAV + CSV index)',
    roles: ['pulmonologist'],
    rowNoun: 'recordings',
    oneRecordingLabel: null,
  },
};
