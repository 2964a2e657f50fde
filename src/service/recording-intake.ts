/**
 * The ONE way a WAV (or a FLAC, stored as the WAV it decodes to) becomes a stored recording (import, capture, crash recovery): copy or move
 * the file into the recordings folder under a generated name, hash it, analyse it with the
 * engine, then insert recording + analysis + audit entry in one transaction.
 *
 * Order matters for crash safety: the file is in place (written under a temporary name, then
 * renamed) before the transaction commits, so every committed row has its WAV. A crash between
 * the two leaves at worst an unreferenced file, never a row without audio. Analysis runs before
 * the transaction, so the write lock is held for milliseconds, not seconds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisResult, ChestSite, RecordingDetail, RecordingStatus } from './api.js';
import type { NewAnalysis } from '../store/index.js';
import { ApiError, notFound } from './errors.js';
import { audit, type Deps, type UserCall } from './handler.js';
import { recordingDetail } from './mappers.js';
import { decodeIncomingRecording, type DecodedWav } from './wav-source.js';
import { diskFullError, isDiskFull, wavFromFileBytes, writeRecordingFile } from './recording-files.js';

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

export async function intakeRecording(deps: Deps, call: UserCall, o: IntakeOptions): Promise<IntakeResult> {
  if (!deps.store.patients.get(o.patientId)) throw notFound('Patient', o.patientId);
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

  let recordingId: number;
  try {
    recordingId = deps.store.tx(() => {
      const id = deps.store.recordings.insert(
        {
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
        },
        analysis ? toNewAnalysis(analysis) : null,
      );
      audit(deps, call, 'recording.create', 'recording', id, {
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
      });
      return id;
    });
  } catch (err) {
    // Put things back as they were: the stored copy goes, a moved source returns.
    if (movedByRename && o.sourcePath) await rename(target, o.sourcePath).catch(() => undefined);
    else await unlink(target).catch(() => undefined);
    if (isDiskFull(err)) throw diskFullError('the recording');
    throw err;
  }
  if (o.move && !movedByRename && o.sourcePath) await unlink(o.sourcePath).catch(() => undefined);
  return { detail: recordingDetail(deps.store, deps.store.recordings.get(recordingId)!), analysisError: error };
}
