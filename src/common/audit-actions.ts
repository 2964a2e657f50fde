/**
 * Every action the audit log records. Each command declares the ones it writes (its `audit`
 * list in src/service/commands/*, typed by this union) and a test checks that what a command
 * actually appends is among them.
 */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login.failed',
  'auth.logout',
  'auth.session.expired',
  'user.create',
  'user.password',
  'user.activate',
  'user.deactivate',
  'patient.create',
  'patient.update',
  'patient.search',
  'patient.view',
  'patient.break-glass',
  'capture.start',
  'capture.stop',
  'capture.cancel',
  'recording.create',
  'recording.list',
  'recording.view',
  'recording.audio',
  'recording.spectrogram',
  'recording.reanalyze',
  'recording.sign',
  'recording.sign.refused',
  'recording.discard',
  'finding.add',
  'finding.amend',
  'capture.pin',
  'audit.verify',
  'audit.signing.started',
  'export.start',
  'export.done',
  'export.failed',
  'export.cancelled',
  'export.download',
  'system.backup',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
