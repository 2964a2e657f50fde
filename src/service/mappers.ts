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
  SoundVerdict,
  Transport,
  UserInfo,
} from './api.js';
import { isAnalysisStatus } from '../common/analysis-status.js';
import { resultState, showsFigures, type ResultState } from '../common/result-state.js';
import type {
  AuditRecord,
  FindingRecord,
  PatientRecord,
  PatientSummaryRecord,
  RecordingRecord,
  RecordingSummaryRecord,
  SignOffRecord,
  SoundVerdictRecord,
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

/**
 * The summary's figures as the one result state allows: numbers only for a current 'ok' or
 * 'uncertain' analysis, never an earlier engine's (ungated) or a withheld one's.
 */
function summaryFigures(
  r: RecordingSummaryRecord,
  hasGate?: boolean,
): Pick<RecordingSummary, 'topClass' | 'pAbnormal' | 'analysisStatus' | 'result' | 'analysisEngine' | 'screenLabel'> {
  const result = resultState({ status: r.analysisStatus, engineVersion: r.analysisEngine, hasGate });
  const figures = showsFigures(result);
  return {
    topClass: figures ? (r.topClass as ClassName | null) : null,
    pAbnormal: figures ? r.pAbnormal : null,
    screenLabel:
      figures && (r.screenLabel === 'abnormal' || r.screenLabel === 'healthy' || r.screenLabel === 'uncertain')
        ? r.screenLabel
        : null,
    analysisStatus: isAnalysisStatus(r.analysisStatus) ? r.analysisStatus : null,
    result,
    analysisEngine: r.analysisEngine,
  };
}

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
  ...summaryFigures(r),
  signed: r.signed,
  signedAt: r.signedAt,
  signedBy: r.signedBy,
});

export const toFinding = (f: FindingRecord): Finding => ({
  ...f,
  authorRole: f.authorRole as Role,
  label: f.label as FindingLabel | null,
});
export const toSoundVerdict = (v: SoundVerdictRecord): SoundVerdict => ({
  id: v.id,
  recordingId: v.recordingId,
  analysisId: v.analysisId,
  type: v.soundType as SoundVerdict['type'],
  eventIndex: v.eventIndex,
  startSec: v.startSec,
  endSec: v.endSec,
  verdict: v.verdict as SoundVerdict['verdict'],
  author: v.author,
  createdAt: v.createdAt,
  isAmendment: v.isAmendment,
});
export const toSignOff = (s: SignOffRecord, seal: SignOff['seal'] = null): SignOff => ({
  ...s,
  label: s.label as FindingLabel,
  meaning: s.meaning as SignatureMeaning | null,
  seal,
});

/** `attemptedUsername` is derived from the hashed details, as the store's schema-8 column is. */
export const toAuditEntry = (a: AuditRecord): AuditEntry => ({
  ...a,
  transport: a.transport as Transport | 'system',
  attemptedUsername:
    a.action === 'auth.login.failed' && typeof a.details['username'] === 'string' ? a.details['username'] : null,
  objectLabel: null,
});

/**
 * The stored analysis as the API hands it out: only a current one (earlier engines' figures were
 * never gated), and a withheld one with every figure removed, whatever its JSON held.
 */
function currentAnalysis(result: ResultState, a: Partial<AnalysisResult> | null): AnalysisResult | null {
  if (!a || result === 'none' || result === 'earlier-engine') return null;
  const full = a as AnalysisResult;
  if (result !== 'withheld') return full;
  return { ...full, probabilities: null, topClass: null, screen: null, windows: [], sounds: null };
}

/** The full detail of a recording as the API shows it (current analysis, findings, sign-off). */
export function recordingDetail(store: Pick<Store, 'recordings' | 'sealStatus'>, r: RecordingRecord): RecordingDetail {
  const json = r.analysisId !== null ? store.recordings.analysisJson(r.analysisId) : null;
  const parsed = json ? (JSON.parse(json) as Partial<AnalysisResult>) : null;
  const recording = {
    ...toRecordingSummary(r),
    ...summaryFigures(r, parsed ? parsed.gate !== undefined : undefined),
    wavSha256: r.wavSha256,
    fileName: r.fileName,
  };
  return {
    recording,
    analysis: currentAnalysis(recording.result, parsed),
    findings: store.recordings.findings(r.id).map(toFinding),
    // Verdicts belong to the analysis they judged: only the current one's are shown with it.
    soundVerdicts: store.recordings
      .soundVerdicts(r.id)
      .filter((v) => v.analysisId === r.analysisId)
      .map(toSoundVerdict),
    signoff: ((s) => (s ? toSignOff(s, store.sealStatus(r.id)) : null))(store.recordings.signoff(r.id)),
  };
}
