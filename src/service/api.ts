/**
 * The workstation API: one typed surface of commands and events, used by every client.
 * Transports (Electron IPC via the preload bridge, loopback HTTP + WebSocket) carry exactly
 * these shapes; the service validates every command's params at runtime (src/service/schemas.ts).
 *
 * This file is types plus the command and event name lists, with no Node imports: the renderer
 * imports it (and src/common/ for the vocabulary's runtime lists).
 */
import type { SignatureMeaning } from '../common/signature-meanings.js';
import type {
  AnalysisResult,
  LiveAnalysis,
  PatchExclusion,
  QualityReport,
  ScreenResult,
  SoundEvent,
} from '../inference/analysis-types.js';
import type { ModelCard } from '../inference/model-card.js';
import type { ChestSite } from '../common/chest-sites.js';
import type { ClassName, ClassProbabilities } from '../common/classes.js';
import type { ExportKind } from '../common/export-kinds.js';
import type { RecordingLength } from '../common/recording-lengths.js';
import type { Role } from '../common/roles.js';
import type { SiteSettings } from '../common/site-settings.js';
import type { AnalysisStatus } from '../common/analysis-status.js';
import type { ResultState } from '../common/result-state.js';
import type { SoundType } from '../inference/sounds/types.js';
import type { FigureInterval, ModelFacts, SoundTypeFacts } from '../common/model-facts.js';

export type { AnalysisResult, LiveAnalysis, PatchExclusion, QualityReport, ScreenResult, SoundEvent, ModelCard };
// The shared vocabulary, re-exported as types so a client of the API needs this one file.
export type { ChestSite, ClassName, ClassProbabilities, ExportKind, RecordingLength, Role };
export type { AnalysisStatus, ResultState, SoundType, FigureInterval, ModelFacts, SoundTypeFacts };

export type Sex = 'female' | 'male' | 'other' | 'unknown';
export type RecordingStatus = 'recorded' | 'interrupted' | 'recovered' | 'imported';
export type FindingLabel = ClassName | 'other' | 'inconclusive';
export type Transport = 'ipc' | 'http' | 'cli';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
export interface PageParams {
  limit?: number;
  offset?: number;
}

export interface UserInfo {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  active: boolean;
}
/** What the admin's Users page shows beside each account. */
export interface UserAdminInfo extends UserInfo {
  /** The latest successful sign-in (from the audit log), or null if never. */
  lastSignInAt: string | null;
  /** Locked after too many wrong passwords until then (any transport), or null. */
  lockedUntil: string | null;
}
export interface SessionInfo {
  token: string;
  user: UserInfo;
  expiresAt: string;
}

export interface Patient {
  id: number;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string | null; // YYYY-MM-DD
  sex: Sex;
  notes: string;
  createdAt: string;
  updatedAt: string;
}
export interface PatientSummary extends Patient {
  recordingCount: number;
  lastRecordedAt: string | null;
}

export interface RecordingSummary {
  id: number;
  patientId: number;
  patientMrn: string;
  patientName: string;
  site: ChestSite;
  recordedAt: string; // ISO 8601
  recordedBy: string; // username
  durationSec: number;
  sampleRate: number;
  deviceName: string;
  status: RecordingStatus;
  quality: QualityReport['verdict'] | null;
  topClass: ClassName | null;
  pAbnormal: number | null;
  analysisStatus: AnalysisStatus | null;
  /**
   * What the current analysis may say (src/common/result-state.ts), the one status every view and
   * export reads. `topClass` and `pAbnormal` are null unless it is 'ok' or 'uncertain'.
   */
  result: ResultState;
  /** The engine of the current analysis (null: none). */
  analysisEngine: string | null;
  /** The screen's label, null unless `result` is 'ok' or 'uncertain'. */
  screenLabel: ScreenResult['label'] | null;
  signed: boolean;
  signedAt: string | null;
  signedBy: string | null;
}
export interface Finding {
  id: number;
  recordingId: number;
  author: string;
  authorRole: Role;
  text: string;
  label: FindingLabel | null;
  createdAt: string;
  /** True when written after sign-off: an amendment, the only change a signed recording takes. */
  isAmendment: boolean;
}
export interface SignOff {
  recordingId: number;
  /** The signer's username. */
  signedBy: string;
  signedAt: string;
  label: FindingLabel;
  statement: string;
  /** The meaning chosen at signing (null: signed before electronic signatures, schema < 4). */
  meaning: SignatureMeaning | null;
  /** The signer's printed full name and role at signing (null before schema 4). */
  signerName: string | null;
  signerRole: string | null;
  /** The record's seal checked now: valid, or what is wrong (null: signed before seals existed). */
  seal: { valid: boolean; problem: string | null } | null;
}
/** A pulmonologist's verdict on one detected sound (the last one per event counts). */
export interface SoundVerdict {
  id: number;
  recordingId: number;
  analysisId: number;
  type: SoundType;
  /** Index into the analysis's `sounds.events`. */
  eventIndex: number;
  startSec: number;
  endSec: number;
  verdict: 'confirmed' | 'rejected';
  author: string;
  createdAt: string;
  isAmendment: boolean;
}

export interface RecordingDetail {
  recording: RecordingSummary & { wavSha256: string; fileName: string };
  /**
   * The current analysis when `recording.result` is 'ok', 'uncertain' or 'withheld' (withheld: no
   * probabilities, screen, class, windows or sounds); null for 'none' and 'earlier-engine' (an
   * ungated analysis is never handed out as if current: re-analyse).
   */
  analysis: AnalysisResult | null;
  findings: Finding[];
  /** Verdicts on the current analysis's detected sounds, oldest first. */
  soundVerdicts: SoundVerdict[];
  signoff: SignOff | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  username: string | null;
  action: string; // e.g. 'recording.view', 'patient.create', 'auth.login.failed'
  objectType: string | null;
  objectId: string | null;
  transport: Transport | 'system';
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** The user name a failed sign-in tried (no one was signed in, so `username` is null). */
  attemptedUsername: string | null;
  /** The object as people read it (MRN and name, user name); null when there is none to name. */
  objectLabel: string | null;
}
export interface ChainVerification {
  ok: boolean;
  entries: number;
  head: string;
  firstBadSeq: number | null;
  reason: string | null;
}

export interface DeviceInfo {
  id: number;
  name: string;
  hostApi: string;
  maxInputChannels: number;
  defaultSampleRate: number;
  likelyStethoscope: boolean;
  pinned: boolean;
}
/** What a user last recorded with on this workstation; durationSec null = until stopped. */
export interface CapturePreferences {
  device: string | null;
  durationSec: RecordingLength | null;
}
/** The review queue's filter by the current analysis's screen result. */
export const REVIEW_SCREENS = ['abnormal', 'healthy', 'uncertain', 'withheld', 'none'] as const;
export type ReviewScreen = (typeof REVIEW_SCREENS)[number];
/**
 * The details of patients.create's CONFLICT: the identifier is taken ('mrn'), or a patient with the
 * same name and birth date exists ('similar'; create again with confirmSimilar to go on).
 */
export interface PatientConflictDetails {
  reason: 'mrn' | 'similar';
  patients: { id: number; mrn: string; name: string; birthDate: string | null }[];
}
export type CaptureStateName =
  'idle' | 'countdown' | 'recording' | 'stopping' | 'analyzing' | 'done' | 'interrupted' | 'cancelled' | 'error';
export interface CaptureState {
  captureId: string | null;
  state: CaptureStateName;
  patientId: number | null;
  site: ChestSite | null;
  deviceName: string | null;
  sampleRate: number | null;
  elapsedSec: number;
  targetSec: number | null; // null = free-running until stop
  message: string | null;
  recordingId: number | null;
}
export interface PendingRecovery {
  path: string;
  bytes: number;
  durationSec: number;
  startedAt: string;
  patientId: number | null;
  site: ChestSite | null;
}

export interface ExportScope {
  patientId?: number;
  /** The patient by MRN, as people know them (the id is for machines). */
  patientMrn?: string;
  recordingId?: number;
  from?: string;
  to?: string;
}
export interface ExportFile {
  name: string;
  bytes: number;
  sha256: string;
}
export interface ExportJob {
  id: string;
  kind: ExportKind;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  progress: number; // 0..1
  rows: number;
  destination: string;
  files: ExportFile[];
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface ModelInfo {
  card: ModelCard | null;
  /** The figures shown beside every result; null when no head is loaded. */
  facts: ModelFacts | null;
  /** Set when the engine cannot run (missing model, failed self-test): what to do about it. */
  error: string | null;
  yamnet: { file: string; sha256: string; sourceSha256: string } | null;
  engineVersion: string;
  disclaimer: string;
}
/**
 * `system.status`: without sign-in only the version (what the sign-in page may show: no paths,
 * no model or database details); `detail` for a signed-in caller.
 */
export interface SystemStatus {
  version: string;
  detail: SystemDetail | null;
  /**
   * Only while the database is a restored older copy waiting for an administrator's acceptance
   * (nobody can sign in until then: a sign-in is an audit entry). Said to everyone, signed in or
   * not: what would be given up, and whom to call. No path, no user names.
   */
  rollback?: PendingRollbackInfo;
}
/** A restored older copy: the history ends at `keptSeq`; the signed checkpoint log records `lostToSeq` entries. */
export interface PendingRollbackInfo {
  keptSeq: number;
  /**
   * The entries given up on acceptance, lostFromSeq .. lostToSeq: on a single workstation keptSeq+1
   * on; on a site, after the last entry this workstation checkpointed that the site still holds,
   * numbered as the old history was (it may be at or below keptSeq: see `site`).
   */
  lostFromSeq: number;
  lostToSeq: number;
  /** When the latest signed checkpoint (the last state known to the signed log) was written. */
  lostCheckpointAt: string;
  /** An earlier acceptance that was interrupted (its record is in the log, its entry is not). */
  interruptedAcceptance: { by: string; at: string } | null;
  /** Refused attempts recorded so far (signed lines in the signing folder). */
  refusedAttempts: number;
  /** The active administrators' full names: whom a nurse or doctor calls. */
  administrators: string[];
  /**
   * A site database restored from an older backup (null: this workstation's own database file).
   * The site numbered on from the backup, and other workstations may have written on it since, so
   * entry numbers from `lostFromSeq` on may name other entries now. `lostCheckpoints`: how many of
   * this workstation's checkpoints (each at least one entry it wrote) the site no longer holds.
   * Each workstation that wrote after the backup accepts for itself, by its own checkpoint log.
   */
  site: { lostCheckpoints: number } | null;
}
export interface SystemDetail {
  engineReady: boolean;
  modelError: string | null;
  schemaVersion: number;
  /** Whether the database and recordings are encrypted at rest. */
  encryptedAtRest: boolean;
  /**
   * Site mode: recordings saved on this workstation while the site database could not be reached,
   * waiting to upload, and those refused (their WAV changed or missing: an administrator checks
   * them). Null on a single workstation.
   */
  outbox: { waiting: number; refused: number } | null;
}

export type SpectrogramData = {
  /** Log-mel frames, row-major [frames × 64], little-endian float32, base64. */
  framesBase64: string;
  frames: number;
  bands: 64;
  hopSec: 0.01;
  /** Edges of the 64 mel bands in Hz (65 values) for the axis labels. */
  bandEdgesHz: number[];
};

/** Every command: name → params and result. */
export interface ApiCommands {
  'auth.signIn': { params: { username: string; password: string }; result: SessionInfo };
  'auth.signOut': { params: Record<string, never>; result: { ok: true } };
  'auth.whoami': { params: Record<string, never>; result: { user: UserInfo | null } };

  'users.list': { params: Record<string, never>; result: UserAdminInfo[] };
  'users.create': { params: { username: string; displayName: string; role: Role; password: string }; result: UserInfo };
  /** `currentPassword` is required when changing one's own password. Ends the user's other sessions. */
  'users.setPassword': {
    params: { username: string; password: string; currentPassword?: string };
    result: { ok: true };
  };
  'users.setActive': { params: { username: string; active: boolean }; result: UserInfo };
  'users.unlock': { params: { username: string }; result: UserAdminInfo };
  'users.setRole': { params: { username: string; role: Role }; result: UserInfo };

  'patients.create': {
    params: {
      mrn: string;
      givenName: string;
      familyName: string;
      birthDate?: string | null;
      sex?: Sex;
      /** The nurse confirmed that this is not the patient with the same name and birth date. */
      confirmSimilar?: boolean;
      notes?: string;
    };
    result: Patient;
  };
  'patients.update': {
    params: {
      id: number;
      givenName?: string;
      familyName?: string;
      birthDate?: string | null;
      sex?: Sex;
      notes?: string;
    };
    result: Patient;
  };
  'patients.search': { params: PageParams & { query?: string }; result: Page<PatientSummary> };
  /** `allRecordingsShown: false`: a nurse sees only her own recordings of this patient (break the glass for the rest). */
  'patients.get': {
    params: { id: number };
    result: {
      patient: Patient;
      recordings: RecordingSummary[];
      allRecordingsShown: boolean;
      /** Recordings of this patient the caller may not see (a nurse, before breaking the glass); 0 otherwise. */
      hiddenRecordings: number;
      /** The caller's live break-the-glass grant for this patient, shown as a banner. */
      breakGlass: { reason: string; grantedAt: string; expiresAt: string } | null;
    };
  };
  /** Break the glass: a nurse opens all of one patient's recordings, for a reason she writes; audited, expires. */
  'patients.breakGlass': { params: { patientId: number; reason: string }; result: { expiresAt: string } };

  'recordings.list': {
    params: PageParams & {
      patientId?: number;
      query?: string;
      from?: string;
      to?: string;
      site?: ChestSite;
      signed?: boolean;
      topClass?: ClassName;
    };
    result: Page<RecordingSummary>;
  };
  /** By priority (abnormal screen, uncertain, the rest; oldest first within each); `screen` filters. */
  'recordings.reviewQueue': { params: PageParams & { screen?: ReviewScreen }; result: Page<RecordingSummary> };
  'recordings.get': { params: { id: number }; result: RecordingDetail };
  'recordings.audio': { params: { id: number }; result: { mimeType: 'audio/wav'; base64: string } };
  'recordings.spectrogram': { params: { id: number }; result: SpectrogramData };
  /** `patientAsShown`: see PatientAsShown (site mode needs it to keep a recording while the site is away). */
  'recordings.import': {
    params: {
      patientId: number;
      site: ChestSite;
      fileName: string;
      wavBase64: string;
      patientAsShown?: PatientAsShown;
    };
    result: RecordingDetail;
  };
  'recordings.reanalyze': { params: { id: number }; result: RecordingDetail };
  'recordings.pendingRecovery': { params: Record<string, never>; result: PendingRecovery[] };
  'recordings.recover': { params: { path: string; patientId: number; site: ChestSite }; result: RecordingDetail };
  'recordings.discardRecovery': { params: { path: string }; result: { ok: true } };

  'findings.add': { params: { recordingId: number; text: string; label?: FindingLabel | null }; result: Finding };
  /** Confirm or reject one detected sound of the recording's current analysis (pulmonologists; audited). */
  'findings.soundVerdict': {
    params: { recordingId: number; eventIndex: number; verdict: 'confirmed' | 'rejected' };
    result: SoundVerdict;
  };
  /** An electronic signature: the signer's own statement, a chosen meaning, and their password again. */
  'recordings.sign': {
    params: {
      recordingId: number;
      label: FindingLabel;
      statement: string;
      meaning: SignatureMeaning;
      password: string;
    };
    result: SignOff;
  };

  'capture.devices': { params: Record<string, never>; result: DeviceInfo[] };
  'capture.pinDevice': { params: { name: string | null }; result: DeviceInfo[] };
  'capture.start': {
    params: {
      patientId: number;
      site: ChestSite;
      durationSec: RecordingLength | null;
      device?: string;
      patientAsShown?: PatientAsShown;
    };
    result: CaptureState;
  };
  'capture.stop': { params: { captureId: string }; result: RecordingDetail };
  'capture.cancel': { params: { captureId: string }; result: CaptureState };
  'capture.status': { params: Record<string, never>; result: CaptureState };
  /** The caller's last device and length on this workstation (20 s before the first recording). */
  'capture.preferences': { params: Record<string, never>; result: CapturePreferences };

  'audit.list': {
    params: PageParams & {
      from?: string;
      to?: string;
      username?: string;
      action?: string;
      objectType?: string;
      objectId?: string;
      /** Words anywhere in the details. */
      text?: string;
    };
    result: Page<AuditEntry>;
  };
  'audit.verify': { params: Record<string, never>; result: ChainVerification };

  'exports.start': {
    params: {
      kind: ExportKind;
      scope: ExportScope;
      options?: { csvBom?: boolean; zip?: boolean };
      /** Command line only (transport 'cli'); refused from a window or the loopback server. */
      destinationDir?: string;
    };
    result: ExportJob;
  };
  'exports.cancel': { params: { jobId: string }; result: ExportJob };
  'exports.status': { params: { jobId: string }; result: ExportJob };
  'exports.list': { params: Record<string, never>; result: ExportJob[] };
  'exports.download': {
    params: { jobId: string; file: string };
    result: { name: string; mimeType: string; base64: string };
  };

  'model.info': { params: Record<string, never>; result: ModelInfo };
  'system.status': { params: Record<string, never>; result: SystemStatus };
  /**
   * An administrator accepts the restored older copy in the app (no session: nobody can sign in
   * before it is accepted): their password and reason; the same signed record as
   * `auscult restore accept`. A refusal is recorded as a signed line (src/store/README.md).
   */
  'system.acceptRollback': {
    params: { username: string; password: string; reason: string };
    result: { keptSeq: number; lostFromSeq: number; lostToSeq: number; acceptedBy: string };
  };
  /** The site settings every signed-in workstation obeys (e.g. the inactivity lock). */
  'settings.get': { params: Record<string, never>; result: SiteSettings };
  /** Admins only, audited (old and new value). */
  'settings.set': { params: Partial<SiteSettings>; result: SiteSettings };
}
export type CommandName = keyof ApiCommands;
export type ParamsOf<K extends CommandName> = ApiCommands[K]['params'];
export type ResultOf<K extends CommandName> = ApiCommands[K]['result'];

/** Every event the service pushes to signed-in clients. */
export interface ApiEvents {
  'capture.state': CaptureState;
  'capture.level': { captureId: string; rmsDbfs: number; peakDbfs: number };
  /** New log-mel columns (each 64 values, dB-like log units) for the live spectrogram. */
  'capture.frames': {
    captureId: string;
    firstFrame: number;
    frames: number[][];
    droppedFrames: number;
    sentAtMs: number;
  };
  'capture.quality': { captureId: string; quality: QualityReport };
  /** Provisional, from what has been heard so far (null figures unless the competence gate passes). */
  'capture.live': LiveAnalysis & { captureId: string; patchStartSec: number };
  'capture.error': { captureId: string | null; code: string; message: string };
  'devices.changed': { devices: DeviceInfo[]; added: string[]; removed: string[] };
  'export.progress': ExportJob;
  'session.ended': { reason: 'signed-out' | 'expired' | 'locked' | 'password-changed' | 'role-changed' };
  /** A site database: a recording was added or signed on some workstation (refresh the queue, the patient). */
  'recordings.changed': RecordingChange;
}

/**
 * What another workstation changed; `missed-changes` after the site database's live connection was
 * lost and is back (changes made meanwhile were not announced: reload whatever is shown).
 */
export type RecordingChange =
  { kind: 'recording.added' | 'recording.signed'; recordingId: number; patientId: number } | { kind: 'missed-changes' };
export type EventName = keyof ApiEvents;

/**
 * The patient as the screen showed them when the nurse chose to record (MRN and names). Refused
 * when the history's patient with that id is someone else now; in site mode, a recording kept on
 * the workstation while the site is away carries it and is uploaded only to that person.
 */
export interface PatientAsShown {
  mrn: string;
  familyName: string;
  givenName: string;
}

/**
 * The details of the CONFLICT refusing a capture or import because the patient is no longer as the
 * screen showed them: the client re-reads that patient and shows them as they are now.
 */
export interface PatientChangedDetails {
  patientChanged: true;
  patientId: number;
}

export type ApiErrorCode =
  | 'INVALID_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SIGNED'
  | 'DEVICE'
  | 'MODEL'
  | 'STORAGE'
  | 'AUDIO'
  | 'BUSY'
  | 'INTERNAL';
export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  details?: unknown;
}

/** The wire shapes both transports use. */
export interface WireRequest {
  id: number;
  method: string;
  params: unknown;
}
export type WireResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiErrorBody };
export interface WireEvent {
  event: EventName;
  payload: unknown;
}

/** What the renderer is given: a transport-independent client. */
export interface ApiClient {
  call<K extends CommandName>(method: K, params: ParamsOf<K>): Promise<ResultOf<K>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** Runtime lists, kept in step with the interfaces by compile-time checks in schemas.ts. */
export const COMMAND_NAMES = [
  'auth.signIn',
  'auth.signOut',
  'auth.whoami',
  'users.list',
  'users.create',
  'users.setPassword',
  'users.setActive',
  'users.unlock',
  'users.setRole',
  'patients.create',
  'patients.update',
  'patients.search',
  'patients.get',
  'patients.breakGlass',
  'recordings.list',
  'recordings.reviewQueue',
  'recordings.get',
  'recordings.audio',
  'recordings.spectrogram',
  'recordings.import',
  'recordings.reanalyze',
  'recordings.pendingRecovery',
  'recordings.recover',
  'recordings.discardRecovery',
  'findings.add',
  'findings.soundVerdict',
  'recordings.sign',
  'capture.devices',
  'capture.pinDevice',
  'capture.start',
  'capture.stop',
  'capture.cancel',
  'capture.status',
  'capture.preferences',
  'audit.list',
  'audit.verify',
  'exports.start',
  'exports.cancel',
  'exports.status',
  'exports.list',
  'exports.download',
  'model.info',
  'system.status',
  'system.acceptRollback',
  'settings.get',
  'settings.set',
] as const satisfies readonly CommandName[];

export const EVENT_NAMES = [
  'capture.state',
  'capture.level',
  'capture.frames',
  'capture.quality',
  'capture.live',
  'capture.error',
  'devices.changed',
  'export.progress',
  'session.ended',
  'recordings.changed',
] as const satisfies readonly EventName[];

export const DISCLAIMER =
  'Decision support only, not a diagnosis. Probabilities come from a model with measured, limited accuracy; a clinician must interpret every recording.';
