/** The store's public surface. */
export {
  Store,
  type IntegrityReport,
  type PendingRollback,
  type RolledBackMode,
  type StoreOpenOptions,
  type StoreSigning,
} from './store.js';
export {
  keyIdOf,
  publicKeyFrom,
  signatureValid,
  documentMessage,
  trustedKeys,
  checkpointProblem,
  type AuditSigner,
  type SignedCheckpoint,
  type TrustedKeys,
} from './audit-signing.js';
export { openSigningFolder, readPublicKey, type KeyCustody } from './signing-key.js';
export { checkpointLogPath } from './checkpoint-log.js';
export { refusalLogPath, type RefusalReason, type RollbackRefusal } from './rollback-refusals.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { fingerprintOf, type WorkstationKey } from './workstation-keys.js';
export type { SqlDatabase, SqlStatement, SqlRunResult } from './sql-database.js';
export { isSiteUrl, parseSiteUrl } from './pg/pg-url.js';
export { openDatabase, migrate, schemaVersion, type OpenOptions } from './database.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index.js';
export {
  AuditLog,
  GENESIS_HASH,
  auditEntryHash,
  hashAuditEntry,
  canonicalJson,
  type AuditAppend,
  type AuditRecord,
  type AuditFilter,
  type ChainCheck,
  type HashedFields,
} from './audit-log.js';
export { hashPassword, verifyPassword, needsRehash, DUMMY_HASH } from './passwords.js';
export type { UserRecord, UserWithHash } from './users.js';
export {
  credentialStatus,
  credentialMismatches,
  CREDENTIAL_ACTIONS,
  type CredentialStatus,
  type SealTrust,
} from './user-credential.js';
export type { PatientRecord, PatientSummaryRecord, NewPatient, PatientChanges } from './patients.js';
export type {
  NewRecording,
  NewAnalysis,
  RecordingRecord,
  RecordingSummaryRecord,
  FindingRecord,
  SignOffRecord,
  SoundVerdictRecord,
  RecordingFilter,
  ReanalysisState,
  ReviewScreenFilter,
} from './recordings.js';
export { normalizeForSearch } from './search-normalize.js';
export { writeBackupArchive, type BackupOptions, type BackupResult } from './backup-write.js';
export { restoreBackupArchive, verifyBackupArchive, type RestoreResult } from './backup-restore.js';
export { BackupError, type BackupErrorCode, type BackupManifest, MANIFEST_NAME } from './backup-format.js';
export {
  Outbox,
  outboxPath,
  outboxItemProblem,
  outboxPatientOf,
  patientMismatch,
  type OutboxPatient,
  type OutboxItem,
  type UnreadableOutboxItem,
  type OutboxAudit,
  type NewOutboxItem,
} from './outbox.js';
