/**
 * The ONE way a WAV (or a FLAC, stored as the WAV it decodes to) becomes a stored recording (import, capture, crash recovery): copy or move
 * the file into the recordings folder under a generated name, hash it, analyse it with the
 * engine, then insert recording + analysis + audit entry in one transaction.
 *
 * Order matters for crash safety: the file is in place (written under a temporary name, then
 * renamed) before the transaction commits, so every committed row has its WAV. A crash between
 * the two leaves at worst an unreferenced file, never a row without audio. Analysis runs before
 * the transaction, so the write lock is held for milliseconds, not seconds.
 *
 * Site mode (PostgreSQL): the same, and the WAV is uploaded into the site database in the same
 * transaction (read back and verified by SHA-256), so no workstation ever sees a recording whose
 * audio the site lacks; only after the commit is the local copy released. When the site cannot be
 * reached, nothing of it is half-written there: the recording waits in this workstation's outbox
 * (src/store/outbox.ts) with its audit entry, and the caller is told "saved on this workstation, waiting to
 * upload" (a STORAGE error whose details say `waitingToUpload`: there is no site id to return yet).
 *
 * The patient: a recording is filed under the history's patient with the given id only if that is
 * the person the nurse was shown (`patientAsShown`, when given: same MRN, same names folded as the
 * search folds them); an outbox item carries that person (from the site when it answered, else as
 * shown) and is uploaded only to them (outbox-forwarder.ts).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisResult, ChestSite, PatientChangedDetails, RecordingDetail, RecordingStatus } from './api.js';
import type { NewAnalysis, NewRecording } from '../store/index.js';
import { ApiError, notFound } from './errors.js';
import { audit, type Deps, type UserCall } from './handler.js';
import { recordingDetail } from './mappers.js';
import { decodeIncomingRecording, type DecodedWav } from './wav-source.js';
import { diskFullError, isDiskFull, wavFromFileBytes, writeRecordingFile } from './recording-files.js';
import { outboxPatientOf, patientMismatch, type Outbox, type OutboxAudit, type OutboxPatient } from '../store/index.js';
import { appendHeld, forwardOutbox, heldEntry, isUnreachable } from './outbox-forwarder.js';

export interface IntakeOptions {
  patientId: number;
  site: ChestSite;
  /** The WAV to store: a file (plain, or sealed by this workstation's capture) ... */
  sourcePath?: string;
  /** ... or its bytes, already in memory (an upload: nothing is staged on disk). */
  sourceBytes?: Buffer;
  /** Move (capture, recovery: the source is ours) or copy (import: the user's file stays). */
  move: boolean;
  /** The source is an interrupted capture: a sealed one may lack its final record (every complete chunk is kept). */
  interrupted?: boolean;
  deviceName: string;
  status: RecordingStatus;
  /** When recording began (ISO 8601); defaults to now. */
  startedAt?: string;
  /** An analysis already computed (capture's final analysis); skips re-analysis. */
  analysis?: AnalysisResult | null;
  /** Extra details for the audit entry (e.g. the imported file's original name). */
  auditDetails?: Record<string, unknown>;
  /** Whose recording it is, when not the caller's (an admin recovering a nurse's interrupted capture). */
  recordedBy?: number;
  /**
   * Site mode: audit entries of this recording made while the site was away (a capture started
   * then): appended before its `recording.create`, in the same transaction or outbox item.
   */
  heldAudit?: OutboxAudit[];
  /**
   * The patient as the nurse was shown them (a capture: as known when it started; an import: as the
   * client sent). Checked against the history's patient; in site mode, needed when the site is away.
   */
  patientAsShown?: OutboxPatient | null;
}

export interface IntakeResult {
  detail: RecordingDetail;
  /** Why there is no analysis (engine unavailable or failed), or null. */
  analysisError: string | null;
}

/** Analyse decoded audio with the engine; never throws (no analysis is a state, not a failure). */
export async function analyze(
  deps: Deps,
  audio: DecodedWav,
): Promise<{ analysis: AnalysisResult | null; error: string | null }> {
  if (!deps.engine) return { analysis: null, error: deps.engineError ?? 'the analysis engine is not loaded' };
  try {
    return { analysis: await deps.engine.analyzeRecording(audio.samples, audio.sampleRate), error: null };
  } catch (err) {
    return { analysis: null, error: `analysis failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function toNewAnalysis(a: AnalysisResult): NewAnalysis {
  return {
    engineVersion: a.models.engineVersion,
    headName: a.models.head.name,
    headVersion: a.models.head.version,
    probabilities: a.probabilities,
    pAbnormal: a.screen?.pAbnormal ?? null,
    topClass: a.topClass,
    status: a.status,
    quality: a.quality.verdict,
    resultJson: JSON.stringify(a),
  };
}

function generatedName(startedAt: string): string {
  // Never derived from patient data: a file name must not leak who the recording is of.
  const stamp = startedAt
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');
  return `${stamp}-${randomBytes(6).toString('hex')}.wav`;
}

/** What the nurse is told when the recording waits in the outbox. */
export const WAITING_TO_UPLOAD =
  'Saved on this workstation, waiting to upload: the site database cannot be reached just now. It is uploaded by itself, in order, when the site is back; keep this workstation running and connected.';

/** The intake's answer for a recording kept in the outbox (see WAITING_TO_UPLOAD). */
export function isWaitingToUpload(err: unknown): err is ApiError {
  const d = err instanceof ApiError ? (err.details as { waitingToUpload?: unknown } | undefined) : undefined;
  return d?.waitingToUpload === true;
}

/** Said when the history's patient with the id is not the person the screen showed. */
function patientChanged(why: string, nothing: string, patientId: number): ApiError {
  return new ApiError(
    'CONFLICT',
    `This is not the patient you were shown: ${why}. Open the patient again from the patient list, check it is the person in front of you, and try again; ${nothing}.`,
    // the record view re-reads the patient and shows them as they are now (PatientChangedDetails)
    { patientChanged: true, patientId } satisfies PatientChangedDetails,
  );
}

/**
 * Who a recording of `patientId` is filed under: the history's patient, refused (CONFLICT) if not
 * the person shown; null when a site workstation cannot ask the site (unreachable), and the caller
 * falls back on what was shown. `nothing` ends the refusal ("nothing was recorded", …).
 */
export function filedPatient(
  deps: Deps,
  patientId: number,
  shown: OutboxPatient | null,
  nothing: string,
): OutboxPatient | null {
  let found;
  try {
    found = deps.store.patients.get(patientId);
  } catch (err) {
    if (deps.outbox && deps.store.engine === 'postgresql' && isUnreachable(err)) return null;
    throw err;
  }
  if (!found) throw notFound('Patient', patientId);
  const where = deps.store.engine === 'postgresql' ? "the site's" : "this workstation's";
  const other = shown && patientMismatch(shown, found, where);
  if (other) throw patientChanged(other, nothing, patientId);
  return outboxPatientOf(found);
}

/** Refused when the site is away and the patient cannot be confirmed (nothing to check the upload by). */
export function unconfirmedPatient(patientId: number, nothing: string): ApiError {
  return new ApiError(
    'STORAGE',
    `The site database cannot be reached, and patient ${patientId} was not given as the screen shows them (MRN and names), so this workstation cannot keep the recording safely until the site is back; ${nothing}. Open the patient again and retry, or wait until the site is back.`,
  );
}

/** The site outbox, when this is a site workstation. */
function siteOutbox(deps: Deps): Outbox | null {
  return deps.store.engine === 'postgresql' ? (deps.outbox ?? null) : null;
}

export async function intakeRecording(deps: Deps, call: UserCall, o: IntakeOptions): Promise<IntakeResult> {
  const outbox = siteOutbox(deps);
  // Waiting recordings go first, so the site's history keeps the order they were made in.
  if (outbox && outbox.counts().waiting > 0) forwardOutbox(deps, outbox);
  let offline = outbox !== null && outbox.counts().waiting > 0;
  const shown = o.patientAsShown ? outboxPatientOf(o.patientAsShown) : null;
  const nothing = o.move ? 'it was not stored' : 'nothing was stored';
  // The site is away (or items wait before this one): the patient as shown goes with the recording
  // and is checked when it is uploaded; without it the upload could not tell who it is for.
  let patient = offline && shown ? shown : filedPatient(deps, o.patientId, shown, nothing);
  if (patient === null) {
    offline = true;
    patient = shown;
  }
  if (patient === null) throw unconfirmedPatient(o.patientId, nothing);
  let raw: Buffer;
  if (o.sourceBytes) raw = o.sourceBytes;
  else if (o.sourcePath) {
    try {
      raw = await readFile(o.sourcePath);
    } catch (err) {
      throw new ApiError(
        'AUDIO',
        `The recording file could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): ${o.sourcePath}`,
      );
    }
  } else throw new ApiError('INVALID_INPUT', 'No recording was given.');
  // A sealed capture is decrypted to the WAV it is; a FLAC is stored as the WAV it decodes to
  // (lossless): the record, player, exports and seal are WAV, and its hash is the one on record.
  const plain = wavFromFileBytes(raw, deps.atRest, 'The recording', { allowUnfinished: o.interrupted ?? false });
  const incoming = await decodeIncomingRecording(plain, 'The recording');
  const { audio } = incoming;
  const bytes = Buffer.from(incoming.wav.buffer, incoming.wav.byteOffset, incoming.wav.byteLength);
  const converted = incoming.container !== 'wav';
  if (audio.samples.length === 0)
    throw new ApiError('AUDIO', 'The recording holds no audio samples; nothing was stored.');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const startedAt = o.startedAt ?? new Date().toISOString();

  const { analysis, error } = o.analysis ? { analysis: o.analysis, error: null } : await analyze(deps, audio);

  await mkdir(deps.recordingsDir, { recursive: true, mode: 0o700 });
  const fileName = generatedName(startedAt);
  const target = join(deps.recordingsDir, fileName);
  let movedByRename = false;
  // A plain WAV file of ours is moved as it is; anything sealed or converted is written as a new stored file.
  if (o.move && o.sourcePath && raw === plain && !converted && !deps.atRest) {
    try {
      await rename(o.sourcePath, target);
      movedByRename = true;
    } catch {
      /* another filesystem: copy below, remove the source after commit */
    }
  }
  // Write the very bytes that were hashed (sealed when encrypted at rest), on disk before the row commits.
  if (!movedByRename) await writeRecordingFile(target, bytes, deps.atRest);

  const recording: NewRecording = {
    patientId: o.patientId,
    site: o.site,
    deviceName: o.deviceName,
    sampleRate: audio.sampleRate,
    durationSec: audio.samples.length / audio.sampleRate,
    fileName,
    wavSha256: sha256,
    status: o.status,
    recordedBy: o.recordedBy ?? call.user.id,
    recordedAt: startedAt,
  };
  const newAnalysis = analysis ? toNewAnalysis(analysis) : null;
  // Site mode: a random id in the intake entry finds this recording again if a commit's answer is lost.
  const intakeId = outbox ? randomUUID() : null;
  const createDetails: Record<string, unknown> = {
    patientId: o.patientId,
    site: o.site,
    status: o.status,
    fileName,
    sha256,
    analysed: analysis !== null,
    ...(error ? { analysisError: error } : {}),
    ...(converted
      ? {
          originalFormat: incoming.container,
          originalSha256: createHash('sha256').update(plain).digest('hex'),
        }
      : {}),
    ...(o.auditDetails ?? {}),
    ...(intakeId ? { intakeId } : {}),
  };

  let recordingId: number | null = null;
  let afterSeq: number | null = null;
  try {
    if (!offline) {
      try {
        if (outbox) afterSeq = deps.store.audit.head().seq;
        recordingId = deps.store.tx(() => {
          const id = deps.store.recordings.insert(recording, newAnalysis);
          appendHeld(deps, o.heldAudit ?? [], id, { heldWhileSiteAway: true });
          audit(deps, call, 'recording.create', 'recording', id, createDetails);
          // read back and checked against the hash above before the commit
          if (outbox) deps.store.uploadRecordingAudio(id, bytes);
          return id;
        });
      } catch (err) {
        if (!outbox || !isUnreachable(err)) throw err;
      }
    }
    if (recordingId === null && outbox && intakeId) {
      const signing = deps.store.signing;
      if (!signing)
        throw new ApiError(
          'STORAGE',
          'The site database cannot be reached, and this workstation holds no signing key to keep the recording safely until it is back; nothing was stored. Try again when the site is back.',
        );
      outbox.add(
        {
          intakeId,
          savedAt: new Date().toISOString(),
          recording,
          patient,
          analysis: newAnalysis,
          audit: [...(o.heldAudit ?? []), heldEntry(call, 'recording.create', 'recording', null, createDetails)],
          afterSeq,
        },
        signing.signer,
        signing.dbId,
      );
    }
  } catch (err) {
    // Put things back as they were: the stored copy goes, a moved source returns.
    if (movedByRename && o.sourcePath) await rename(target, o.sourcePath).catch(() => undefined);
    else await unlink(target).catch(() => undefined);
    if (isDiskFull(err)) throw diskFullError('the recording');
    throw err;
  }
  if (o.move && !movedByRename && o.sourcePath) await unlink(o.sourcePath).catch(() => undefined);
  if (recordingId === null)
    throw new ApiError('STORAGE', WAITING_TO_UPLOAD, { waitingToUpload: true, intakeId, analysed: analysis !== null });
  // The site holds the WAV, verified: the local copy is released.
  if (outbox) await unlink(target).catch(() => undefined);
  return { detail: recordingDetail(deps.store, deps.store.recordings.get(recordingId)!), analysisError: error };
}
