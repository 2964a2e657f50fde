/**
 * Recordings: lists, the review queue, detail, audio, spectrogram, import, re-analysis and crash
 * recovery of interrupted captures. Every read of a recording's content is audited.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { isChestSite, type ChestSite } from '../../common/chest-sites.js';
import type { PendingRecovery } from '../api.js';
import {
  findPendingRecoveries,
  readRecoveryMeta,
  removeInProgress,
  repairInterrupted,
} from '../../capture/recovery.js';
import { ApiError } from '../errors.js';
import { audit, type CommandTable, type Deps, type UserCall } from '../handler.js';
import { recordingDetail, toRecordingSummary } from '../mappers.js';
import {
  CLINICAL_READERS,
  mayRecover,
  RECORDERS,
  RECOVERERS,
  requirePatient,
  requireRecording,
  seesAllRecordings,
} from '../access.js';
import { analyze, intakeRecording, toNewAnalysis } from '../recording-intake.js';
import { decodeIncomingRecording, decodeWavBytes } from '../wav-source.js';
import { spectrogramOf } from '../spectrogram.js';
import { readStoredRecording, siteAudioOf } from '../recording-files.js';

const DEFAULT_LIMIT = 50;

/** An in-progress WAV path from a client, accepted only if it is directly inside our folder. */
function inProgressPath(deps: Deps, path: string): string {
  const full = resolve(deps.inProgressDir, path);
  if (dirname(full) !== resolve(deps.inProgressDir) || !full.endsWith('.wav')) {
    throw new ApiError(
      'INVALID_INPUT',
      'That file is not an interrupted recording of this workstation; pick one from the recovery list.',
    );
  }
  const active = activeCapturePath(deps);
  if (active && resolve(active) === full) {
    throw new ApiError('BUSY', 'That recording is being made right now; stop it first.');
  }
  return full;
}

/** The WAV capture is writing now: never offered for recovery (capture may not have started). */
function activeCapturePath(deps: Deps): string | null {
  return deps.captureIfStarted?.activeWavPath ?? null;
}

function chestSite(site: string | null): ChestSite | null {
  return site !== null && isChestSite(site) ? site : null;
}

export const recordingsCommands: CommandTable<
  | 'recordings.list'
  | 'recordings.reviewQueue'
  | 'recordings.get'
  | 'recordings.audio'
  | 'recordings.spectrogram'
  | 'recordings.import'
  | 'recordings.reanalyze'
  | 'recordings.pendingRecovery'
  | 'recordings.recover'
  | 'recordings.discardRecovery'
> = {
  'recordings.list': {
    access: 'user',
    roles: CLINICAL_READERS,
    audit: ['recording.list'],
    run(deps, call, p) {
      const limit = p.limit ?? DEFAULT_LIMIT;
      const offset = p.offset ?? 0;
      const { limit: _l, offset: _o, ...filter } = p;
      return deps.store.readTx(() => {
        const page = deps.store.recordings.list(
          seesAllRecordings(call.user.role) ? filter : { ...filter, ownedBy: call.user.id },
          limit,
          offset,
        );
        audit(deps, call, 'recording.list', 'recording', null, {
          filter,
          results: page.items.length,
          total: page.total,
        });
        return { items: page.items.map(toRecordingSummary), total: page.total, limit, offset };
      });
    },
  },
  'recordings.reviewQueue': {
    access: 'user',
    roles: ['pulmonologist'],
    audit: ['recording.list'],
    run(deps, call, p) {
      const limit = p.limit ?? DEFAULT_LIMIT;
      const offset = p.offset ?? 0;
      return deps.store.readTx(() => {
        const page = deps.store.recordings.reviewQueue(limit, offset, p.screen);
        audit(deps, call, 'recording.list', 'recording', null, {
          reviewQueue: true,
          ...(p.screen ? { screen: p.screen } : {}),
          results: page.items.length,
          total: page.total,
        });
        return { items: page.items.map(toRecordingSummary), total: page.total, limit, offset };
      });
    },
  },
  'recordings.get': {
    access: 'user',
    roles: CLINICAL_READERS,
    audit: ['recording.view'],
    run(deps, call, p) {
      return deps.store.readTx(() => {
        const r = requireRecording(deps, call, p.id);
        audit(deps, call, 'recording.view', 'recording', r.id, { patientId: r.patientId });
        return recordingDetail(deps.store, r);
      });
    },
  },
  'recordings.audio': {
    access: 'user',
    roles: RECORDERS,
    audit: ['recording.audio'],
    async run(deps, call, p) {
      const r = requireRecording(deps, call, p.id);
      const bytes = await readStoredWav(deps, r.id, r.fileName, r.wavSha256);
      deps.store.readTx(() => audit(deps, call, 'recording.audio', 'recording', r.id, { patientId: r.patientId }));
      return { mimeType: 'audio/wav' as const, base64: bytes.toString('base64') };
    },
  },
  'recordings.spectrogram': {
    access: 'user',
    roles: RECORDERS,
    audit: ['recording.spectrogram'],
    async run(deps, call, p) {
      const r = requireRecording(deps, call, p.id);
      const audio = decodeWavBytes(await readStoredWav(deps, r.id, r.fileName, r.wavSha256), `Recording ${r.id}`);
      const spec = await spectrogramOf(audio);
      deps.store.readTx(() =>
        audit(deps, call, 'recording.spectrogram', 'recording', r.id, { patientId: r.patientId }),
      );
      return spec;
    },
  },
  'recordings.import': {
    access: 'user',
    roles: RECORDERS,
    audit: ['recording.create'],
    async run(deps, call, p) {
      // The patient is checked by the intake, against what the screen showed (site away: at upload).
      const bytes = Buffer.from(p.wavBase64, 'base64');
      await decodeIncomingRecording(bytes, `'${p.fileName}'`); // refuse what is not WAV or FLAC before writing anything
      // Straight from memory into the recordings folder: no staged copy to leave behind.
      const { detail } = await intakeRecording(deps, call, {
        patientId: p.patientId,
        site: p.site,
        sourceBytes: bytes,
        move: false,
        deviceName: 'imported file',
        status: 'imported',
        auditDetails: { originalName: basename(p.fileName) },
        patientAsShown: p.patientAsShown ?? null,
      });
      return detail;
    },
  },
  'recordings.reanalyze': {
    access: 'user',
    roles: RECORDERS,
    audit: ['recording.reanalyze'],
    async run(deps, call, p) {
      const r = requireRecording(deps, call, p.id);
      if (r.signed)
        throw new ApiError(
          'SIGNED',
          `Recording ${r.id} is signed; its analysis cannot change. Add an amendment instead.`,
        );
      if (!deps.engine)
        throw new ApiError('MODEL', deps.engineError ?? 'The analysis engine is not loaded; nothing was changed.');
      const audio = decodeWavBytes(await readStoredWav(deps, r.id, r.fileName, r.wavSha256), `Recording ${r.id}`);
      const { analysis, error } = await analyze(deps, audio);
      if (!analysis)
        throw new ApiError(
          'MODEL',
          `Re-analysis of recording ${r.id} failed; the previous analysis is kept. ${error ?? ''}`.trim(),
        );
      return deps.store.tx(() => {
        const analysisId = deps.store.recordings.addAnalysis(r.id, toNewAnalysis(analysis));
        audit(deps, call, 'recording.reanalyze', 'recording', r.id, { analysisId, head: analysis.models.head.version });
        return recordingDetail(deps.store, deps.store.recordings.get(r.id)!);
      });
    },
  },
  // Recovery is offered to the user who made the recording, or an admin (access.ts).
  'recordings.pendingRecovery': {
    access: 'user',
    roles: RECOVERERS,
    run(deps, call) {
      const active = activeCapturePath(deps);
      return findPendingRecoveries(deps.inProgressDir, new Set(active ? [resolve(active)] : []))
        .filter((r) => mayRecover(call, readRecoveryMeta(r.path)?.startedBy ?? null))
        .map((r): PendingRecovery => ({
          path: basename(r.path),
          bytes: r.bytes,
          durationSec: r.durationSec,
          startedAt: r.startedAt,
          patientId: r.patientId,
          site: chestSite(r.site),
        }));
    },
  },
  'recordings.recover': {
    access: 'user',
    roles: RECOVERERS,
    audit: ['recording.create'],
    async run(deps, call, p) {
      const path = inProgressPath(deps, p.path);
      const made = readRecoveryMeta(path);
      requireRecoverable(call, made);
      if (made?.patientId != null && made.patientId !== p.patientId)
        throw new ApiError(
          'INVALID_INPUT',
          `This recording was made for patient ${made.patientId}; it can only be recovered into that patient.`,
        );
      requirePatient(deps, p.patientId);
      // An admin recovers on the maker's behalf: the recording stays the maker's.
      const maker = made?.startedBy ? deps.store.users.byUsername(made.startedBy) : null;
      // Make the header match every sample on disk (a crash leaves it at the last flush).
      await repairInterrupted(path).catch((err: unknown) => {
        throw new ApiError('STORAGE', err instanceof Error ? err.message : String(err));
      });
      const meta = readRecoveryMeta(path);
      const { detail } = await intakeRecording(deps, call, {
        patientId: p.patientId,
        site: p.site,
        sourcePath: path,
        move: true,
        deviceName: meta?.deviceName ?? 'unknown device',
        status: 'recovered',
        interrupted: true,
        ...(meta?.startedAt ? { startedAt: meta.startedAt } : {}),
        auditDetails: { recoveredFrom: basename(path), ...(made?.startedBy ? { madeBy: made.startedBy } : {}) },
        ...(maker && maker.id !== call.user.id ? { recordedBy: maker.id } : {}),
      });
      removeInProgress(path);
      return detail;
    },
  },
  'recordings.discardRecovery': {
    access: 'user',
    roles: RECOVERERS,
    audit: ['recording.discard'],
    async run(deps, call, p) {
      const path = inProgressPath(deps, p.path);
      requireRecoverable(call, readRecoveryMeta(path));
      const st = await stat(path).catch(() => null);
      if (!st)
        throw new ApiError(
          'NOT_FOUND',
          'That interrupted recording is no longer there (already recovered or discarded).',
        );
      deps.store.tx(() => audit(deps, call, 'recording.discard', 'file', basename(path), { bytes: st.size }));
      removeInProgress(path);
      return { ok: true as const };
    },
  },
};

function requireRecoverable(call: UserCall, meta: { startedBy: string | null } | null): void {
  if (!mayRecover(call, meta?.startedBy ?? null))
    throw new ApiError(
      'FORBIDDEN',
      'This interrupted recording was made by another user; only they or an administrator can recover or discard it.',
    );
}

/** A stored WAV, checked against its recorded SHA-256 (a changed file is reported, never served). */
function readStoredWav(deps: Deps, id: number, fileName: string, sha256: string): Promise<Buffer> {
  return readStoredRecording(deps.recordingsDir, deps.atRest, fileName, sha256, siteAudioOf(deps.store, id));
}
