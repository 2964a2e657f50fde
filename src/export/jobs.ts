/**
 * Export jobs: start one, watch its progress, cancel it, list and fetch its files. The service
 * owns one `ExportJobs` per workstation and passes in everything outside the store as plain data
 * or callbacks (WAV bytes, spectrogram frames, the model card summary, the disclaimer), so this
 * room imports only the store.
 *
 * Every job writes under one final name in the destination folder: a folder (built as a hidden
 * temp folder and renamed at the end) or, for a zipped recordings export, one .zip (temp file,
 * renamed). A cancelled or failed job leaves nothing under that name.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlDatabase } from '../store/index.js';
import {
  auditEntriesForExport,
  auditHeadForExport,
  countAuditForExport,
  countRecordingsForExport,
  findingsForExport,
  patientIdsForExport,
  patientMrn,
  recordingsForExport,
  type ExportRecordingRow,
  type ExportRecordingScope,
} from '../store/export-queries.js';
import { writeAnalysesCsv } from './analyses-csv.js';
import { writeAuditExport } from './audit-export.js';
import { ExportError } from './errors.js';
import { buildFhirBundle, type DetectedSound } from './fhir.js';
import { FileSink, StagingFolder, assertWritableDir, type WrittenFile } from './file-sink.js';
import { writeManifest } from './manifest.js';
import type { ManifestSigning } from './manifest-signature.js';
import {
  renderPdfReport,
  reportAnalysisFromJson,
  type ModelSummary,
  type ReportAnalysis,
  type ReportRecording,
} from './pdf-report.js';

/** The sound types a report's analysis detected, each with its events (what FHIR reports). */
function detectedSounds(a: ReportAnalysis): DetectedSound[] {
  const s = a.sounds;
  if (!s) return [];
  return (['wheeze', 'crackle'] as const)
    .filter((t) => s[t])
    .map((t) => {
      const events = s.events.filter((e) => e.type === t);
      return { type: t, probability: s.probability[t], events };
    });
}
import { writeRecordingsFolder, writeRecordingsZip } from './recordings-export.js';
import { NameAllocator, safeFileName } from './safe-names.js';

import type { ExportKind } from '../common/export-kinds.js';
export type { ExportKind };
export interface ExportScope {
  patientId?: number;
  recordingId?: number;
  from?: string;
  to?: string;
}

/** Structurally the API's ExportJob. `files[].name` is relative to `destination` ('/'-separated). */
export interface ExportJobState {
  id: string;
  kind: ExportKind;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  progress: number;
  rows: number;
  destination: string;
  files: { name: string; bytes: number; sha256: string }[];
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface ExportRequest {
  kind: ExportKind;
  scope: ExportScope;
  csvBom?: boolean;
  zip?: boolean;
  /** An existing folder the user chose (or the workstation's exports folder). */
  destinationDir: string;
  username: string;
  /** A job id chosen by the caller (so its audit entry can name it before the job starts). */
  id?: string;
}

export interface ExportSources {
  db: SqlDatabase;
  /** The stored WAV's bytes, checked against its SHA-256 (the service's reader). */
  readWav(row: ExportRecordingRow): Promise<Buffer>;
  /** Log-mel frames for the report's image, or null when unavailable. */
  spectrogram(row: ExportRecordingRow): Promise<ReportRecording['spectrogram']>;
  model: ModelSummary | null;
  disclaimer: string;
  /** FHIR identifier system for MRNs (the hospital's), default urn:auscult:mrn. */
  mrnSystem?: string;
  /** The workstation's signing: every manifest is signed and carries the latest checkpoint. */
  signing?: ManifestSigning | null;
}

export interface ExportHooks {
  /** Throttled progress (and the final state): the service emits 'export.progress'. */
  progress(job: ExportJobState): void;
  /** Once, when the job ends in any state: the service writes its audit entry. */
  finished(
    job: ExportJobState,
    detail: { manifestSha256: string | null; chainHead: { seq: number; hash: string } | null },
  ): void;
}

interface Running {
  job: ExportJobState;
  request: ExportRequest;
  abort: AbortController;
  done: Promise<ExportJobState>;
}

const PROGRESS_MS = 200;

export class ExportJobs {
  private readonly jobs = new Map<string, Running>();

  constructor(
    private readonly sources: ExportSources,
    private readonly hooks: ExportHooks,
  ) {}

  /** Starts a job and returns its first state; the work continues in the background. */
  async start(req: ExportRequest): Promise<ExportJobState> {
    await assertWritableDir(req.destinationDir);
    if (req.id && this.jobs.has(req.id)) throw new ExportError('INVALID', `Export job ${req.id} exists already.`);
    const job: ExportJobState = {
      id: req.id ?? randomUUID(),
      kind: req.kind,
      state: 'running',
      progress: 0,
      rows: 0,
      destination: '',
      files: [],
      error: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
    };
    const abort = new AbortController();
    const running: Running = { job, request: req, abort, done: Promise.resolve(job) };
    this.jobs.set(job.id, running);
    running.done = this.run(running);
    return { ...job };
  }

  get(id: string): ExportJobState | null {
    const r = this.jobs.get(id);
    return r ? { ...r.job, files: [...r.job.files] } : null;
  }

  /** Jobs, newest first; `username` limits them to the ones that user started. */
  list(username?: string): ExportJobState[] {
    return [...this.jobs.values()]
      .filter((r) => !username || r.request.username === username)
      .map((r) => this.get(r.job.id)!)
      .reverse();
  }

  owner(id: string): string | null {
    return this.jobs.get(id)?.request.username ?? null;
  }

  cancel(id: string): ExportJobState | null {
    const r = this.jobs.get(id);
    if (!r) return null;
    if (r.job.state === 'running') r.abort.abort();
    return this.get(id);
  }

  /** Resolves when the job has ended (tests and the CLI wait on this). */
  async wait(id: string): Promise<ExportJobState> {
    const r = this.jobs.get(id);
    if (!r) throw new ExportError('NOT_FOUND', `There is no export job ${id}.`);
    await r.done;
    return this.get(id)!;
  }

  /** Absolute path of one of a finished job's files (only names the job lists). */
  filePath(id: string, name: string): string {
    const r = this.jobs.get(id);
    if (!r || r.job.state !== 'done') throw new ExportError('NOT_FOUND', `Export ${id} has no finished files.`);
    if (!r.job.files.some((f) => f.name === name))
      throw new ExportError('NOT_FOUND', `Export ${id} has no file named "${name}".`);
    return r.job.files.length === 1 && r.job.destination.endsWith(name)
      ? r.job.destination
      : `${r.job.destination}/${name}`;
  }

  /** Cancels running jobs and waits for their clean-up (workstation shutdown). */
  async closeAll(): Promise<void> {
    for (const r of this.jobs.values()) if (r.job.state === 'running') r.abort.abort();
    await Promise.all([...this.jobs.values()].map((r) => r.done));
  }

  private async run(r: Running): Promise<ExportJobState> {
    const { job, request: req, abort } = r;
    let last = 0;
    const progress = (rows: number, total: number): void => {
      job.rows = rows;
      job.progress = total > 0 ? Math.min(0.99, rows / total) : 0;
      const now = Date.now();
      if (now - last >= PROGRESS_MS) {
        last = now;
        this.hooks.progress({ ...job });
      }
    };
    let detail: { manifestSha256: string | null; chainHead: { seq: number; hash: string } | null } = {
      manifestSha256: null,
      chainHead: null,
    };
    try {
      const out = await this.dispatch(req, abort.signal, progress);
      job.destination = out.destination;
      job.files = out.files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 }));
      job.rows = out.rows;
      job.progress = 1;
      job.state = 'done';
      detail = {
        manifestSha256: out.files.find((f) => f.name === 'manifest.json')?.sha256 ?? null,
        chainHead: out.chainHead,
      };
    } catch (err) {
      if (abort.signal.aborted || (err instanceof ExportError && err.code === 'CANCELLED')) {
        job.state = 'cancelled';
        job.error = 'Cancelled; nothing was left in the destination folder.';
      } else {
        job.state = 'failed';
        job.error =
          err instanceof ExportError
            ? err.message
            : `The export failed and nothing was saved: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    job.finishedAt = new Date().toISOString();
    this.hooks.progress({ ...job });
    try {
      this.hooks.finished({ ...job }, detail);
    } catch {
      // The audit hook failing must not turn a written export into a lost one; the service logs it.
    }
    return job;
  }

  private folderName(req: ExportRequest): string {
    const s = req.scope;
    const parts = ['auscult', req.kind];
    if (s.recordingId !== undefined) parts.push(`recording-${s.recordingId}`);
    else if (s.patientId !== undefined)
      parts.push(patientMrn(this.sources.db, s.patientId) ?? `patient-${s.patientId}`);
    if (s.from) parts.push(`from-${s.from.slice(0, 10)}`);
    if (s.to) parts.push(`to-${s.to.slice(0, 10)}`);
    if (s.recordingId === undefined && s.patientId === undefined && !s.from && !s.to) parts.push('all');
    parts.push(new Date().toISOString().slice(0, 19).replace(/[:]/g, '').replace('T', '-'));
    const base = safeFileName(parts.join('_'), 'auscult-export');
    const ext = req.kind === 'recordings' && req.zip ? '.zip' : '';
    // Two exports of the same scope in the same second get -2, -3 ...: never a clash, never an overwrite.
    for (let i = 1; ; i++) {
      const name = i === 1 ? base : `${base}-${i}`;
      if (!existsSync(join(req.destinationDir, name + ext))) return name;
    }
  }

  private async dispatch(
    req: ExportRequest,
    signal: AbortSignal,
    progress: (rows: number, total: number) => void,
  ): Promise<{
    destination: string;
    files: WrittenFile[];
    rows: number;
    chainHead: { seq: number; hash: string } | null;
  }> {
    const db = this.sources.db;
    const name = this.folderName(req);
    const exportedAt = new Date().toISOString();
    const recScope: ExportRecordingScope = { ...req.scope };

    if (req.kind === 'recordings' && req.zip) {
      const total = countRecordingsForExport(db, recScope);
      const sink = await FileSink.open(req.destinationDir, `${name}.zip`);
      try {
        const rows = await writeRecordingsZip(
          sink,
          recordingsForExport(db, recScope),
          (row) => this.sources.readWav(row),
          {
            bom: req.csvBom,
            signal,
            onProgress: (n) => progress(n, total),
          },
        );
        const f = await sink.commit();
        return { destination: f.path, files: [f], rows, chainHead: null };
      } catch (err) {
        await sink.abort();
        throw err;
      }
    }

    const folder = await StagingFolder.create(req.destinationDir, name);
    try {
      let files: WrittenFile[] = [];
      let rows = 0;
      let chainHead: { seq: number; hash: string } | null = null;
      const notes: string[] = [];
      switch (req.kind) {
        case 'audit-history': {
          if (req.scope.recordingId !== undefined)
            throw new ExportError(
              'INVALID',
              'An audit-history export takes a date range and/or a patient, not a recording.',
            );
          const head = auditHeadForExport(db);
          chainHead = head;
          const scope = { from: req.scope.from, to: req.scope.to, patientId: req.scope.patientId };
          // Unscoped, seqs run 1..head with no gaps: no need to count a million rows.
          const unscoped = !scope.from && !scope.to && scope.patientId === undefined;
          const total = unscoped ? head.seq : countAuditForExport(db, scope, head.seq);
          const mrn = req.scope.patientId !== undefined ? patientMrn(db, req.scope.patientId) : null;
          const out = await writeAuditExport(
            folder,
            auditEntriesForExport(db, scope, head.seq),
            {
              exportedAt,
              exportedBy: req.username,
              scope: { ...dropUndefined(scope), ...(mrn ? { patientMrn: mrn } : {}) },
              contiguous: req.scope.patientId === undefined,
              chainHead: head,
              hashAlgorithm:
                'SHA-256(prevHash + "\\n" + JSON [seq, at, username, action, objectType, objectId, transport, canonical details JSON]); genesis prevHash = 64 zeros',
            },
            { bom: req.csvBom, signal, onProgress: (n) => progress(n, total), signing: this.sources.signing ?? null },
          );
          files = out.files;
          rows = out.manifest.entries;
          break;
        }
        case 'analyses': {
          const total = countRecordingsForExport(db, recScope);
          const sink = await folder.open('analyses.csv');
          try {
            rows = await writeAnalysesCsv(sink, recordingsForExport(db, recScope), {
              bom: req.csvBom,
              signal,
              onProgress: (n) => progress(n, total),
            });
            files.push(await sink.commit());
          } catch (err) {
            await sink.abort();
            throw err;
          }
          break;
        }
        case 'recordings': {
          const total = countRecordingsForExport(db, recScope);
          const out = await writeRecordingsFolder(
            folder,
            recordingsForExport(db, recScope),
            (row) => this.sources.readWav(row),
            {
              bom: req.csvBom,
              signal,
              onProgress: (n) => progress(n, total),
            },
          );
          files = out.files;
          rows = out.rows;
          break;
        }
        case 'fhir': {
          const total = countRecordingsForExport(db, recScope);
          const names = new NameAllocator();
          for (const pid of patientIdsForExport(db, recScope)) {
            const recs = [];
            for (const row of recordingsForExport(db, { ...recScope, patientId: pid }, { withResultJson: true })) {
              if (signal.aborted) break;
              const report = row.analysis ? reportAnalysisFromJson(row.analysis.resultJson, row.analysis.result) : null;
              recs.push({
                row,
                findings: findingsForExport(db, row.id),
                wav: await this.sources.readWav(row),
                wavUrl: null,
                screenLabel: report?.screen?.label ?? null,
                sounds: report ? detectedSounds(report) : [],
              });
              progress(++rows, total);
            }
            if (signal.aborted) break;
            const first = recs[0]!.row;
            const stem = req.scope.recordingId !== undefined ? `${first.mrn}_recording-${first.id}` : first.mrn;
            const sink = await folder.open(names.take(stem, 'json'));
            try {
              await sink.write(
                JSON.stringify(buildFhirBundle(recs, { exportedAt, mrnSystem: this.sources.mrnSystem }), null, 1),
              );
              files.push(await sink.commit());
            } catch (err) {
              await sink.abort();
              throw err;
            }
          }
          notes.push(
            'One FHIR R4 Bundle (type collection) per patient; WAVs embedded as Media attachments with their SHA-1.',
          );
          break;
        }
        case 'pdf': {
          const total = countRecordingsForExport(db, recScope);
          const names = new NameAllocator();
          for (const pid of patientIdsForExport(db, recScope)) {
            // A visit = one patient's recordings on one calendar day (UTC).
            const visits = new Map<string, ExportRecordingRow[]>();
            for (const row of recordingsForExport(db, { ...recScope, patientId: pid }, { withResultJson: true })) {
              const day = row.recordedAt.slice(0, 10);
              visits.set(day, [...(visits.get(day) ?? []), row]);
            }
            for (const [day, list] of visits) {
              if (signal.aborted) break;
              const recs: ReportRecording[] = [];
              for (const row of list) {
                recs.push({
                  row,
                  findings: findingsForExport(db, row.id),
                  analysis: row.analysis ? reportAnalysisFromJson(row.analysis.resultJson, row.analysis.result) : null,
                  spectrogram: await this.sources.spectrogram(row).catch(() => null),
                });
                progress(++rows, total);
              }
              const pdf = await renderPdfReport({
                kind: req.scope.recordingId !== undefined ? 'recording' : 'visit',
                recordings: recs,
                model: this.sources.model,
                disclaimer: this.sources.disclaimer,
                generatedAt: exportedAt,
                generatedBy: req.username,
              });
              const first = list[0]!;
              const stem =
                req.scope.recordingId !== undefined
                  ? `${first.mrn}_${first.site}_${day}_recording-${first.id}`
                  : `${first.mrn}_visit_${day}`;
              const sink = await folder.open(names.take(stem, 'pdf'));
              try {
                await sink.write(pdf);
                files.push(await sink.commit());
              } catch (err) {
                await sink.abort();
                throw err;
              }
            }
          }
          break;
        }
      }
      if (signal.aborted)
        throw new ExportError('CANCELLED', 'The export was cancelled; no file was left under its final name.');
      if (req.kind !== 'audit-history') {
        if (rows === 0) notes.push('No recordings matched the scope.');
        files.push(
          await writeManifest(
            folder,
            {
              kind: req.kind,
              scope: dropUndefined(req.scope),
              exportedAt,
              exportedBy: req.username,
              files: files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 })),
              notes,
            },
            this.sources.signing ?? null,
          ),
        );
      }
      const destination = await folder.commit();
      return { destination, files, rows, chainHead };
    } catch (err) {
      await folder.abort();
      throw err;
    }
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
