/**
 * Store records → API shapes. The store keeps enums as checked TEXT (CHECK constraints in the
 * schema, zod at the door), so narrowing here is a statement of that invariant, not a guess.
 */
import type { SignatureMeaning } from '../common/signature-meanings.js';
import type {
  AnalysisResult,
  AuditEntry,
  ChestSite,
  ClassName,
  Finding,
  FindingLabel,
  Patient,
  PatientSummary,
  RecordingDetail,
  RecordingStatus,
  RecordingSummary,
  Role,
  Sex,
  SignOff,
  Transport,
  UserInfo,
} from './api.js';
import type {
  AuditRecord,
  FindingRecord,
  PatientRecord,
  PatientSummaryRecord,
  RecordingRecord,
  RecordingSummaryRecord,
  SignOffRecord,
  Store,
  UserRecord,
} from '../store/index.js';

export const toUserInfo = (u: UserRecord): UserInfo => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role as Role,
  active: u.active,
});

export const toPatient = (p: PatientRecord): Patient => ({ ...p, sex: p.sex as Sex });
export const toPatientSummary = (p: PatientSummaryRecord): PatientSummary => ({ ...p, sex: p.sex as Sex });

export const toRecordingSummary = (r: RecordingSummaryRecord): RecordingSummary => ({
  id: r.id,
  patientId: r.patientId,
  patientMrn: r.patientMrn,
  patientName: r.patientName,
  site: r.site as ChestSite,
  recordedAt: r.recordedAt,
  recordedBy: r.recordedBy,
  durationSec: r.durationSec,
  sampleRate: r.sampleRate,
  deviceName: r.deviceName,
  status: r.status as RecordingStatus,
  quality: r.quality as RecordingSummary['quality'],
  topClass: r.topClass as ClassName | null,
  pAbnormal: r.pAbnormal,
  analysisStatus: r.analysisStatus as RecordingSummary['analysisStatus'],
  signed: r.signed,
  signedAt: r.signedAt,
  signedBy: r.signedBy,
});

export const toFinding = (f: FindingRecord): Finding => ({
  ...f,
  authorRole: f.authorRole as Role,
  label: f.label as FindingLabel | null,
});
export const toSignOff = (s: SignOffRecord, seal: SignOff['seal'] = null): SignOff => ({
  ...s,
  label: s.label as FindingLabel,
  meaning: s.meaning as SignatureMeaning | null,
  seal,
});

export const toAuditEntry = (a: AuditRecord): AuditEntry => ({ ...a, transport: a.transport as Transport | 'system' });

/** The full detail of a recording as the API shows it (current analysis, findings, sign-off). */
export function recordingDetail(store: Pick<Store, 'recordings' | 'sealStatus'>, r: RecordingRecord): RecordingDetail {
  const json = r.analysisId !== null ? store.recordings.analysisJson(r.analysisId) : null;
  return {
    recording: { ...toRecordingSummary(r), wavSha256: r.wavSha256, fileName: r.fileName },
    analysis: json ? (JSON.parse(json) as AnalysisResult) : null,
    findings: store.recordings.findings(r.id).map(toFinding),
    signoff: ((s) => (s ? toSignOff(s, store.sealStatus(r.id)) : null))(store.recordings.signoff(r.id)),
  };
}
