/**
 * The auditor's session-history export: one pass over the audit log writes the same entries
 * as CSV (RFC 4180) and JSON Lines, then a manifest.json that makes the folder verifiable.
 *
 * What "complete and unaltered" means (checked by `verifyAuditExport`):
 * - every exported entry carries its chain `prevHash` and `hash`; the verifier recomputes each
 *   entry's hash from its content, so an edited line is found;
 * - a *contiguous* export (everything, or a date range: every entry with seq in
 *   [firstSeq, lastSeq]) must have consecutive seqs whose links match (entry.prevHash =
 *   previous entry's hash), so a deleted, inserted or reordered line is found; the first
 *   entry's prevHash is pinned in the manifest;
 * - a *filtered* export (one patient) is a subset: seqs must increase and each entry's hash must
 *   recompute, and links are checked wherever two exported seqs are adjacent;
 * - the manifest pins counts, first/last seq, the SHA-256 and size of each file and the chain
 *   head (seq, hash) at export time. A rewritten manifest is caught against the live database
 *   (`--db`): the head must still be in the chain, every exported hash must equal the stored
 *   one, and the database must hold no other entry in the export's scope up to that head.
 */
import type { ExportAuditRow } from '../store/export-queries.js';
import { csvRow, UTF8_BOM } from './csv.js';
import { throwIfCancelled } from './errors.js';
import type { StagingFolder, WrittenFile } from './file-sink.js';
import { signManifest, type ManifestSignature, type ManifestSigning } from './manifest-signature.js';

export const AUDIT_FORMAT = 'auscult.audit-export/1';
export const AUDIT_CSV = 'audit-history.csv';
export const AUDIT_JSONL = 'audit-history.jsonl';
export const MANIFEST = 'manifest.json';

export const AUDIT_CSV_COLUMNS = [
  'seq',
  'at',
  'username',
  'action',
  'object_type',
  'object_id',
  'transport',
  'details',
  'prev_hash',
  'hash',
] as const;

export interface AuditExportScope {
  from?: string;
  to?: string;
  patientId?: number;
  /** Shown to the reader; not used for verification. */
  patientMrn?: string;
}

export interface AuditManifest {
  format: typeof AUDIT_FORMAT;
  exportedAt: string;
  exportedBy: string;
  scope: AuditExportScope;
  /** True when every entry with seq in [firstSeq, lastSeq] is in the export. */
  contiguous: boolean;
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** prevHash of the first exported entry (pins where a contiguous export starts). */
  firstPrevHash: string | null;
  chainHead: { seq: number; hash: string };
  hashAlgorithm: string;
  files: { name: string; bytes: number; sha256: string; rows: number; bom?: boolean }[];
  /** The workstation's signature over the whole manifest, with the latest signed checkpoint. */
  signature?: ManifestSignature;
}

export interface AuditExportMeta {
  exportedAt: string;
  exportedBy: string;
  scope: AuditExportScope;
  /** Claim contiguity (not a patient filter); dropped if the entries turn out to have gaps. */
  contiguous: boolean;
  chainHead: { seq: number; hash: string };
  hashAlgorithm: string;
}

export interface WriterOptions {
  bom?: boolean;
  signal?: AbortSignal;
  /** Called every few thousand rows with the rows written so far. */
  onProgress?: (rows: number) => void;
  /** Sign the manifest (the service always does; tests of the format may not). */
  signing?: ManifestSigning | null;
}

/**
 * One entry as a JSON Lines record: fixed key order, and `details` as the stored canonical JSON
 * text (the exact bytes its hash covers), so the line is reproducible from the entry.
 */
export function auditJsonLine(e: ExportAuditRow): string {
  return (
    `{"seq":${e.seq},"at":${JSON.stringify(e.at)},"username":${JSON.stringify(e.username)},"action":${JSON.stringify(e.action)},` +
    `"objectType":${JSON.stringify(e.objectType)},"objectId":${JSON.stringify(e.objectId)},"transport":${JSON.stringify(e.transport)},` +
    `"details":${e.detailsJson},"prevHash":${JSON.stringify(e.prevHash)},"hash":${JSON.stringify(e.hash)}}\n`
  );
}

/** The CSV columns' text for an entry (null as empty), before CSV quoting. */
export function auditCsvValues(e: ExportAuditRow): string[] {
  return [
    String(e.seq),
    e.at,
    e.username ?? '',
    e.action,
    e.objectType ?? '',
    e.objectId ?? '',
    e.transport,
    e.detailsJson,
    e.prevHash,
    e.hash,
  ];
}

export function auditCsvRow(e: ExportAuditRow): string {
  return csvRow(auditCsvValues(e));
}

const PROGRESS_EVERY = 5000;

/**
 * Writes audit-history.csv, audit-history.jsonl and manifest.json into `folder` (a staging
 * folder: the caller commits or aborts it). `entries` must be in seq order; it is read once,
 * lazily (pass a store iterator: memory stays flat).
 */
export async function writeAuditExport(
  folder: StagingFolder,
  entries: Iterable<ExportAuditRow>,
  meta: AuditExportMeta,
  opts: WriterOptions = {},
): Promise<{ files: WrittenFile[]; manifest: AuditManifest }> {
  const csv = await folder.open(AUDIT_CSV);
  const jsonl = await folder.open(AUDIT_JSONL);
  try {
    if (opts.bom) await csv.write(UTF8_BOM);
    await csv.write(csvRow(AUDIT_CSV_COLUMNS));
    let rows = 0;
    let firstSeq: number | null = null;
    let lastSeq: number | null = null;
    let firstPrevHash: string | null = null;
    let gapless = true; // a date range is contiguous in seq unless the clock went backwards
    for (const e of entries) {
      if (lastSeq !== null && e.seq !== lastSeq + 1) gapless = false;
      if (firstSeq === null) {
        firstSeq = e.seq;
        firstPrevHash = e.prevHash;
      }
      lastSeq = e.seq;
      const a = csv.write(auditCsvRow(e));
      const b = jsonl.write(auditJsonLine(e));
      if (a) await a;
      if (b) await b;
      if (++rows % PROGRESS_EVERY === 0) {
        throwIfCancelled(opts.signal);
        opts.onProgress?.(rows);
        // Let cancel requests and progress events through even when writes are buffered.
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    throwIfCancelled(opts.signal);
    const csvFile = await csv.commit();
    const jsonlFile = await jsonl.commit();
    const unsigned: AuditManifest = {
      format: AUDIT_FORMAT,
      exportedAt: meta.exportedAt,
      exportedBy: meta.exportedBy,
      scope: meta.scope,
      contiguous: meta.contiguous && gapless,
      entries: rows,
      firstSeq,
      lastSeq,
      firstPrevHash,
      chainHead: meta.chainHead,
      hashAlgorithm: meta.hashAlgorithm,
      files: [
        { name: csvFile.name, bytes: csvFile.bytes, sha256: csvFile.sha256, rows, bom: opts.bom === true },
        { name: jsonlFile.name, bytes: jsonlFile.bytes, sha256: jsonlFile.sha256, rows },
      ],
    };
    const manifest: AuditManifest = opts.signing ? signManifest(unsigned, opts.signing) : unsigned;
    const man = await folder.open(MANIFEST);
    await man.write(JSON.stringify(manifest, null, 2) + '\n');
    const manFile = await man.commit().catch(async (err: unknown) => {
      await man.abort();
      throw err;
    });
    opts.onProgress?.(rows);
    return { files: [csvFile, jsonlFile, manFile], manifest };
  } catch (err) {
    await csv.abort();
    await jsonl.abort();
    throw err;
  }
}
