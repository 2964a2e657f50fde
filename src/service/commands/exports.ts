/**
 * Export commands (owned by the export room's engineer): the service side of src/export/jobs.ts.
 *
 * Who may export what is in the export-kind registry (src/common/export-kinds.ts). A job is visible (status, cancel, download, list) only to the
 * user who started it. Each export is audited: 'export.start' (before any file is written, in its
 * own transaction), then 'export.done' with every file's SHA-256 (and, for an audit history, the
 * manifest's SHA-256 and the chain head: the anchor `auscult audit verify` relies on), or
 * 'export.failed' / 'export.cancelled'; 'export.download' when a file is fetched through the API.
 */
import type { ManifestSigning } from '../../export/manifest-signature.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import { DISCLAIMER, type ExportJob, type ModelCard } from '../api.js';
import type { AuditAction } from '../../common/audit-actions.js';
import { EXPORT_KINDS } from '../../common/export-kinds.js';
import { ApiError, notFound } from '../errors.js';
import { audit, type CommandTable, type Deps, type UserCall } from '../handler.js';
import { ExportError } from '../../export/errors.js';
import { assertWritableDir } from '../../export/file-sink.js';
import { ExportJobs } from '../../export/jobs.js';
import type { ModelSummary } from '../../export/pdf-report.js';
import type { SoundsCard } from '../../inference/sounds/card.js';
import { modelFacts } from '../model-facts.js';
import { framesFromBase64 } from '../../export/spectrogram-png.js';
import type { ExportRecordingRow } from '../../store/export-queries.js';
import { spectrogramOf } from '../spectrogram.js';
import { decodeWavBytes } from '../wav-source.js';
import { readStoredRecording, siteAudioOf } from '../recording-files.js';

/** The audit action of a job that has ended ('running' never reaches `finished`). */
const FINISHED_ACTION: Record<ExportJob['state'], AuditAction> = {
  running: 'export.failed',
  done: 'export.done',
  failed: 'export.failed',
  cancelled: 'export.cancelled',
};

/** Largest file `exports.download` returns inline (base64 over IPC/HTTP); bigger ones stay on disk. */
const MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024;

const MIME: Record<string, string> = {
  '.csv': 'text/csv',
  '.jsonl': 'application/jsonl',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.wav': 'audio/wav',
  '.zip': 'application/zip',
};

/** The model card as the report's plain summary (measured figures, as measured). */
export function modelSummary(card: ModelCard | null, soundsCard: SoundsCard | null = null): ModelSummary | null {
  if (!card) return null;
  const ci = (x: { value: number; lo: number; hi: number }) =>
    `${x.value.toFixed(2)} (95 % CI ${x.lo.toFixed(2)}–${x.hi.toFixed(2)})`;
  const s = card.evaluation.screen;
  const f = card.evaluation.fiveClass;
  return {
    name: card.name,
    version: card.version,
    intendedUse: card.intendedUse,
    figures: [
      `Healthy-vs-abnormal screen: AUROC ${ci(s.auroc)}, sensitivity ${ci(s.sensitivity)}, specificity ${ci(s.specificity)} (${s.patients.healthy} healthy, ${s.patients.abnormal} abnormal patients).`,
      `Five classes: macro-F1 ${ci(f.macroF1)}, balanced accuracy ${ci(f.balancedAccuracy)}.`,
      `Evaluation: ${card.evaluation.protocol}`,
    ],
    limitations: card.limitations,
    facts: modelFacts(card, soundsCard),
  };
}

async function readVerifiedWav(deps: Deps, row: ExportRecordingRow): Promise<Buffer> {
  try {
    return await readStoredRecording(
      deps.recordingsDir,
      deps.atRest,
      row.fileName,
      row.wavSha256,
      siteAudioOf(deps.store, row.id),
    );
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ExportError(
      /missing/.test(why) ? 'NOT_FOUND' : 'INVALID',
      `Recording ${row.id}: ${why} It was not exported.`,
    );
  }
}

/** One per workstation (`deps.exports`): the jobs, and who started each (for its audit entries). */
export interface ExportJobsSlot {
  jobs: ExportJobs;
  calls: Map<string, UserCall>;
}

function jobsOf(deps: Deps): ExportJobsSlot {
  return deps.exports;
}

/** Creates the export jobs of a workstation (Workstation.open wires it lazily as deps.exports). */
/** The store's key, as the export room signs manifests with it (null: a history without a signing folder). */
function manifestSigning(deps: Deps): ManifestSigning | null {
  const s = deps.store.signing;
  if (!s) return null;
  return {
    keyId: s.signer.keyId,
    publicKey: s.signer.publicKey,
    latestCheckpoint: () => s.latestCheckpoint(),
    signDocument: (prefix, canonical) => s.signDocument(prefix, canonical),
  };
}

export function openExportJobs(deps: Deps): ExportJobsSlot {
  const calls = new Map<string, UserCall>();
  const jobs = new ExportJobs(
    {
      db: deps.store.db,
      readWav: (row) => readVerifiedWav(deps, row),
      async spectrogram(row) {
        try {
          const spec = await spectrogramOf(decodeWavBytes(await readVerifiedWav(deps, row), `Recording ${row.id}`));
          const f = framesFromBase64(spec.framesBase64, spec.frames, spec.bands);
          return {
            ...f,
            hopSec: spec.hopSec,
            lowHz: spec.bandEdgesHz[0],
            highHz: spec.bandEdgesHz[spec.bandEdgesHz.length - 1],
          };
        } catch {
          return null; // the report says "not available" rather than failing the export
        }
      },
      model: modelSummary(deps.engine?.card ?? null, deps.engine?.soundsCard ?? null),
      disclaimer: DISCLAIMER,
      signing: manifestSigning(deps),
    },
    {
      progress(job) {
        const call = calls.get(job.id);
        deps.events.emit('export.progress', job, call?.sessionToken ?? null);
      },
      finished(job, detail) {
        const call = calls.get(job.id);
        if (!call) return;
        deps.store.tx(() =>
          audit(deps, call, FINISHED_ACTION[job.state], 'export', job.id, {
            kind: job.kind,
            destination: job.destination,
            rows: job.rows,
            error: job.error,
            files: job.files.map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.bytes })),
            ...(detail.manifestSha256 ? { manifestSha256: detail.manifestSha256 } : {}),
            ...(detail.chainHead ? { chainHead: detail.chainHead } : {}),
          }),
        );
      },
    },
  );
  deps.onClose(() => jobs.closeAll());
  return { jobs, calls };
}

function ownJob(deps: Deps, call: UserCall, jobId: string): ExportJobs {
  const { jobs } = jobsOf(deps);
  if (jobs.owner(jobId) !== call.user.username) throw notFound('Export job', jobId);
  return jobs;
}

export const exportsCommands: CommandTable<
  'exports.start' | 'exports.cancel' | 'exports.status' | 'exports.list' | 'exports.download'
> = {
  'exports.start': {
    access: 'user',
    roles: ['auditor', 'pulmonologist'],
    audit: ['export.start', 'export.done', 'export.failed', 'export.cancelled'],
    async run(deps, call, p) {
      if (!EXPORT_KINDS[p.kind].roles.includes(call.user.role)) {
        throw new ApiError(
          'FORBIDDEN',
          `Your role (${call.user.role}) may not export ${p.kind}; ${EXPORT_KINDS[p.kind].roles.join(' or ')} may.`,
        );
      }
      // An MRN (what people know) becomes the patient's id (what the exporters read).
      const { patientMrn, ...given } = p.scope;
      const scope = { ...given };
      if (patientMrn !== undefined) {
        const byMrn = deps.store.patients.byMrn(patientMrn);
        if (!byMrn)
          throw new ApiError(
            'NOT_FOUND',
            `No patient has the MRN '${patientMrn}'. Check it, or leave the field empty to export every patient.`,
          );
        if (scope.patientId !== undefined && scope.patientId !== byMrn.id)
          throw new ApiError('INVALID_INPUT', 'The MRN and the patient id name different patients; give one of them.');
        scope.patientId = byMrn.id;
      }
      if (scope.from && scope.to && scope.from > scope.to)
        throw new ApiError('INVALID_INPUT', 'The date range ends before it starts; swap "from" and "to".');
      let patientId = scope.patientId;
      if (scope.recordingId !== undefined) {
        const r = deps.store.recordings.get(scope.recordingId);
        if (!r) throw notFound('Recording', scope.recordingId);
        if (patientId !== undefined && r.patientId !== patientId)
          throw new ApiError(
            'INVALID_INPUT',
            `Recording ${scope.recordingId} does not belong to patient ${patientId}.`,
          );
        patientId = r.patientId;
      }
      if (scope.patientId !== undefined && !deps.store.patients.get(scope.patientId))
        throw notFound('Patient', scope.patientId);
      // Only the command line may name a folder (its user chose it with --out and owns the files
      // anyway); a window or a browser tab always writes into this workstation's export folder, so
      // a hostile page or a stolen session cannot make the service write into /etc.
      if (p.destinationDir !== undefined && call.transport !== 'cli') {
        throw new ApiError(
          'INVALID_INPUT',
          "Exports from the app are written to this workstation's export folder; a destination folder can be named only with `auscult export --out`.",
        );
      }
      if (p.destinationDir !== undefined && !isAbsolute(p.destinationDir)) {
        throw new ApiError(
          'INVALID_INPUT',
          'Choose the export folder as a full path (for example /home/me/exports); a relative path is ambiguous.',
        );
      }
      const destinationDir = p.destinationDir !== undefined ? resolve(p.destinationDir) : deps.exportsDir;
      if (p.destinationDir === undefined) await mkdir(destinationDir, { recursive: true, mode: 0o700 });
      await assertWritableDir(destinationDir);
      const slot = jobsOf(deps);
      const id = randomUUID();
      deps.store.tx(() =>
        audit(deps, call, 'export.start', 'export', id, {
          kind: p.kind,
          scope,
          ...(patientMrn !== undefined ? { patientMrn } : {}),
          destinationDir,
          options: p.options ?? {},
          ...(patientId !== undefined ? { patientId } : {}),
        }),
      );
      slot.calls.set(id, call);
      return slot.jobs.start({
        id,
        kind: p.kind,
        scope,
        csvBom: p.options?.csvBom,
        zip: p.options?.zip,
        destinationDir,
        username: call.user.username,
      });
    },
  },
  'exports.cancel': {
    access: 'user',
    roles: ['auditor', 'pulmonologist'],
    run(deps, call, p) {
      return ownJob(deps, call, p.jobId).cancel(p.jobId) as ExportJob;
    },
  },
  'exports.status': {
    access: 'user',
    roles: ['auditor', 'pulmonologist'],
    run(deps, call, p) {
      return ownJob(deps, call, p.jobId).get(p.jobId) as ExportJob;
    },
  },
  'exports.list': {
    access: 'user',
    roles: ['auditor', 'pulmonologist'],
    run(deps, call) {
      return jobsOf(deps).jobs.list(call.user.username);
    },
  },
  'exports.download': {
    access: 'user',
    roles: ['auditor', 'pulmonologist'],
    audit: ['export.download'],
    async run(deps, call, p) {
      const jobs = ownJob(deps, call, p.jobId);
      const path = jobs.filePath(p.jobId, p.file);
      const st = await stat(path).catch(() => null);
      if (!st)
        throw new ApiError(
          'NOT_FOUND',
          `The exported file ${p.file} is no longer in ${jobs.get(p.jobId)?.destination}; it was moved or deleted. Export again.`,
        );
      if (st.size > MAX_DOWNLOAD_BYTES)
        throw new ApiError(
          'INVALID_INPUT',
          `${p.file} is ${Math.round(st.size / 1048576)} MB; open it from the export folder instead.`,
        );
      const bytes = await readFile(path);
      deps.store.tx(() =>
        audit(deps, call, 'export.download', 'export', p.jobId, { file: p.file, bytes: bytes.length }),
      );
      return {
        name: p.file.split('/').pop()!,
        mimeType: MIME[extname(p.file).toLowerCase()] ?? 'application/octet-stream',
        base64: bytes.toString('base64'),
      };
    },
  },
};
