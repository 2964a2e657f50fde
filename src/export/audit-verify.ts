/**
 * `auscult audit verify <export-folder>`: checks an audit-history export (see audit-export.ts
 * for what "complete and unaltered" means) and names the first bad line. Streams both files in
 * lockstep, so a million-entry export verifies in flat memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { auditEntryHash, canonicalJson } from '../store/audit-log.js';
import type { SignedCheckpoint, TrustedKeys } from '../store/index.js';
import { checkManifestSignature } from './manifest-signature.js';
import type { ExportAuditRow } from '../store/export-queries.js';
import {
  AUDIT_CSV,
  AUDIT_CSV_COLUMNS,
  AUDIT_FORMAT,
  AUDIT_JSONL,
  auditCsvValues,
  auditJsonLine,
  MANIFEST,
  type AuditManifest,
  type AuditExportScope,
} from './audit-export.js';
import { CsvParser, CsvSyntaxError, type CsvRecord } from '../common/csv.js';
import { fromCsvText, UTF8_BOM } from './csv.js';

/** Recomputes an entry's chain hash from its content and prevHash (the store's definition). */
export type AuditHasher = (entry: ExportAuditRow) => string;

/** The store's hash, applied to an exported entry (details as canonical JSON text, as stored). */
export const storeAuditHasher: AuditHasher = (e) => auditEntryHash(e.prevHash, e);

/** Read access to the live chain, to anchor an export to the database it came from. */
export interface AuditChainLookup {
  /** The stored hash of entry `seq`, or null when there is no such entry. */
  hashAt(seq: number): string | null;
  /** Seqs of the entries in `scope` with seq ≤ `uptoSeq`, ascending (lazily). */
  seqsInScope(scope: AuditExportScope, uptoSeq: number): Iterable<number>;
}

export interface VerifyProblem {
  file: string;
  /** 1-based line in `file`, when the problem is one line. */
  line: number | null;
  seq: number | null;
  reason: string;
}

export interface AuditExportVerification {
  ok: boolean;
  entries: number;
  manifest: AuditManifest | null;
  /** The first problem found (the earliest line where one file went wrong). */
  firstBad: VerifyProblem | null;
  /** What was checked, in plain words (for the CLI's report). */
  checked: string[];
  /** What could not be checked (no trusted key). */
  notes: string[];
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const EntrySchema = z.strictObject({
  seq: z.number().int().positive(),
  at: z.string().min(1),
  username: z.string().nullable(),
  action: z.string().min(1),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  transport: z.string().min(1),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: hex64,
});
const ManifestSchema = z.object({
  format: z.literal(AUDIT_FORMAT),
  exportedAt: z.string(),
  exportedBy: z.string(),
  scope: z.object({
    from: z.string().optional(),
    to: z.string().optional(),
    patientId: z.number().int().optional(),
    patientMrn: z.string().optional(),
  }),
  contiguous: z.boolean(),
  entries: z.number().int().nonnegative(),
  firstSeq: z.number().int().nullable(),
  lastSeq: z.number().int().nullable(),
  firstPrevHash: z.string().nullable(),
  chainHead: z.object({ seq: z.number().int().nonnegative(), hash: z.string() }),
  hashAlgorithm: z.string(),
  signature: z.unknown().optional(),
  files: z.array(
    z.object({
      name: z.string(),
      bytes: z.number().int(),
      sha256: hex64,
      rows: z.number().int(),
      bom: z.boolean().optional(),
    }),
  ),
});

class Bad extends Error {
  constructor(readonly problem: VerifyProblem) {
    super(problem.reason);
  }
}

export async function verifyAuditExport(
  folder: string,
  opts: {
    recomputeHash?: AuditHasher;
    db?: AuditChainLookup;
    /** The workstation's public keys (signing folder, --public-key); null = the signature is only self-consistent. */
    keys?: TrustedKeys | null;
  } = {},
): Promise<AuditExportVerification> {
  const checked: string[] = [];
  const notes: string[] = [];
  let manifest: AuditManifest | null = null;
  let entries = 0;
  try {
    const read = await readManifest(folder);
    manifest = read.manifest;
    checked.push(
      `manifest: ${manifest.entries} entries, seq ${manifest.firstSeq ?? '-'}..${manifest.lastSeq ?? '-'}, ${manifest.contiguous ? 'contiguous range' : 'filtered subset'}`,
    );
    const sig = checkManifestSignature(read.raw, opts.keys ?? null);
    if (!sig.ok) throw new Bad({ file: MANIFEST, line: null, seq: null, reason: sig.problem! });
    if (sig.note) notes.push(sig.note);
    if (sig.keyId)
      checked.push(
        `manifest signature valid (key ${sig.keyId}${sig.trusted ? ", the workstation's" : ', not checked against a trusted key'})` +
          (sig.checkpoint ? `; signed checkpoint at export: ${sig.checkpoint.seq} entries, ${sig.checkpoint.at}` : ''),
      );
    entries = await checkEntries(folder, manifest, opts.recomputeHash ?? storeAuditHasher, checked, sig.checkpoint);
    if (opts.db) await checkAgainstDb(manifest, folder, opts.db, checked, sig.checkpoint);
    return { ok: true, entries, manifest, firstBad: null, checked, notes };
  } catch (err) {
    if (err instanceof Bad) return { ok: false, entries, manifest, firstBad: err.problem, checked, notes };
    throw err;
  }
}

async function readManifest(folder: string): Promise<{ manifest: AuditManifest; raw: unknown }> {
  let text: string;
  try {
    text = await fsp.readFile(join(folder, MANIFEST), 'utf8');
  } catch {
    throw new Bad({
      file: MANIFEST,
      line: null,
      seq: null,
      reason: `${MANIFEST} is missing from ${folder}: this is not a complete audit export`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Bad({
      file: MANIFEST,
      line: null,
      seq: null,
      reason: `${MANIFEST} is not valid JSON (${(err as Error).message})`,
    });
  }
  const r = ManifestSchema.safeParse(parsed);
  if (!r.success)
    throw new Bad({
      file: MANIFEST,
      line: null,
      seq: null,
      reason: `${MANIFEST} is not an audit-export manifest: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`,
    });
  for (const name of [AUDIT_CSV, AUDIT_JSONL]) {
    if (!r.data.files.some((f) => f.name === name))
      throw new Bad({ file: MANIFEST, line: null, seq: null, reason: `${MANIFEST} does not list ${name}` });
  }
  return { manifest: r.data as AuditManifest, raw: parsed };
}

/** Reads a file as text chunks while hashing its bytes. */
async function* textChunks(path: string, hash: Hash, sizeOut: { bytes: number }): AsyncGenerator<string> {
  const dec = new StringDecoder('utf8');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const buf of stream as AsyncIterable<Buffer>) {
    hash.update(buf);
    sizeOut.bytes += buf.length;
    yield dec.write(buf);
  }
  const rest = dec.end();
  if (rest) yield rest;
}

async function* jsonLines(path: string, hash: Hash, size: { bytes: number }): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of textChunks(path, hash, size)) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    yield* parts;
  }
  if (carry !== '') yield carry; // a final line without '\n' is checked (and flagged) too
}

async function* csvRecords(path: string, hash: Hash, size: { bytes: number }, bom: boolean): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser();
  let first = true;
  const out: CsvRecord[] = [];
  const push = (r: CsvRecord): void => void out.push(r);
  try {
    for await (let chunk of textChunks(path, hash, size)) {
      if (first) {
        first = false;
        if (bom && !chunk.startsWith(UTF8_BOM))
          throw new Bad({
            file: AUDIT_CSV,
            line: 1,
            seq: null,
            reason: 'the UTF-8 BOM the manifest records is missing',
          });
        if (bom) chunk = chunk.slice(1);
      }
      parser.feed(chunk, push);
      yield* out.splice(0);
    }
    parser.end(push);
    yield* out.splice(0);
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      throw new Bad({ file: AUDIT_CSV, line: err.line, seq: null, reason: `not valid CSV: ${err.message}` });
    throw err;
  }
}

function entryFromJson(text: string, line: number): ExportAuditRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Bad({ file: AUDIT_JSONL, line, seq: null, reason: 'is not valid JSON' });
  }
  const r = EntrySchema.safeParse(parsed);
  if (!r.success)
    throw new Bad({
      file: AUDIT_JSONL,
      line,
      seq: null,
      reason: `malformed entry (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`,
    });
  const { details, ...rest } = r.data;
  return { ...rest, detailsJson: canonicalJson(details) };
}

/** A CSV row's fields as an entry (for naming what is wrong with a row that differs). */
function rowFromCsv(f: string[]): ExportAuditRow {
  return {
    seq: Number(f[0]),
    at: f[1]!,
    username: f[2] === '' ? null : f[2]!,
    action: f[3]!,
    objectType: f[4] === '' ? null : f[4]!,
    objectId: f[5] === '' ? null : f[5]!,
    transport: f[6]!,
    detailsJson: f[7]!,
    prevHash: f[8]!,
    hash: f[9]!,
  };
}

async function checkEntries(
  folder: string,
  m: AuditManifest,
  recompute: AuditHasher,
  checked: string[],
  checkpoint: SignedCheckpoint | null,
): Promise<number> {
  const csvMeta = m.files.find((f) => f.name === AUDIT_CSV)!;
  const jsonMeta = m.files.find((f) => f.name === AUDIT_JSONL)!;
  const jHash = createHash('sha256');
  const cHash = createHash('sha256');
  const jSize = { bytes: 0 };
  const cSize = { bytes: 0 };
  for (const name of [AUDIT_CSV, AUDIT_JSONL]) {
    if (!(await fsp.stat(join(folder, name)).catch(() => null)))
      throw new Bad({ file: name, line: null, seq: null, reason: `${name} is missing` });
  }
  const csvIt = csvRecords(join(folder, AUDIT_CSV), cHash, cSize, csvMeta.bom === true);
  const header = await csvIt.next();
  if (header.done || header.value.fields.join(',') !== AUDIT_CSV_COLUMNS.join(',')) {
    throw new Bad({
      file: AUDIT_CSV,
      line: 1,
      seq: null,
      reason: `the header row is not ${AUDIT_CSV_COLUMNS.join(',')}`,
    });
  }
  let n = 0;
  let prev: ExportAuditRow | null = null;
  for await (const text of jsonLines(join(folder, AUDIT_JSONL), jHash, jSize)) {
    const line = n + 1;
    const e = entryFromJson(text, line);
    if (recompute(e) !== e.hash)
      throw new Bad({
        file: AUDIT_JSONL,
        line,
        seq: e.seq,
        reason: `entry ${e.seq} was altered: its hash does not match its content`,
      });
    if (n === 0) {
      if (e.seq !== m.firstSeq)
        throw new Bad({
          file: AUDIT_JSONL,
          line,
          seq: e.seq,
          reason: `the first entry is seq ${e.seq} but the manifest says ${m.firstSeq}: entries are missing at the start`,
        });
      if (e.prevHash !== m.firstPrevHash)
        throw new Bad({
          file: AUDIT_JSONL,
          line,
          seq: e.seq,
          reason: `the first entry's previous hash differs from the manifest's`,
        });
    } else if (prev) {
      if (e.seq <= prev.seq)
        throw new Bad({
          file: AUDIT_JSONL,
          line,
          seq: e.seq,
          reason: `entry ${e.seq} comes after entry ${prev.seq}: entries were reordered or duplicated`,
        });
      if (m.contiguous && e.seq !== prev.seq + 1)
        throw new Bad({
          file: AUDIT_JSONL,
          line,
          seq: e.seq,
          reason: `entries ${prev.seq + 1}..${e.seq - 1} are missing before this line`,
        });
      if (e.seq === prev.seq + 1 && e.prevHash !== prev.hash)
        throw new Bad({
          file: AUDIT_JSONL,
          line,
          seq: e.seq,
          reason: `entry ${e.seq} does not link to entry ${prev.seq} (its previous hash differs): the chain was broken here`,
        });
    }
    if (checkpoint && e.seq === checkpoint.seq && e.hash !== checkpoint.hash)
      throw new Bad({
        file: AUDIT_JSONL,
        line,
        seq: e.seq,
        reason: `entry ${e.seq} is not the entry the workstation's signed checkpoint recorded: the export was regenerated from a rewritten log`,
      });
    const c = await csvIt.next();
    if (c.done)
      throw new Bad({
        file: AUDIT_CSV,
        line: null,
        seq: e.seq,
        reason: `ends before entry ${e.seq} (the JSON Lines copy has more entries)`,
      });
    // The JSON line must be exactly the canonical encoding, and the CSV row must hold the same values.
    if (auditJsonLine(e) !== text + '\n')
      throw new Bad({
        file: AUDIT_JSONL,
        line,
        seq: e.seq,
        reason: "is not in the exporter's exact encoding (the line was edited)",
      });
    const fields = c.value.fields.map(fromCsvText);
    if (fields.length !== AUDIT_CSV_COLUMNS.length)
      throw new Bad({
        file: AUDIT_CSV,
        line: c.value.line,
        seq: null,
        reason: `has ${fields.length} fields, expected ${AUDIT_CSV_COLUMNS.length}`,
      });
    const expected = auditCsvValues(e);
    if (fields.some((f, i) => f !== expected[i])) {
      const ce = rowFromCsv(fields);
      const reason =
        recompute(ce) !== ce.hash
          ? `entry ${fields[0]} was altered: its hash does not match its content`
          : `differs from line ${line} of ${AUDIT_JSONL} (seq ${e.seq})`;
      throw new Bad({ file: AUDIT_CSV, line: c.value.line, seq: Number.isInteger(ce.seq) ? ce.seq : null, reason });
    }
    prev = e;
    n++;
  }
  const extra = await csvIt.next();
  if (!extra.done)
    throw new Bad({
      file: AUDIT_CSV,
      line: extra.value.line,
      seq: null,
      reason: 'has more rows than the JSON Lines copy',
    });
  checked.push(
    `${n} entries: each hash recomputed from its content; order${m.contiguous ? ', no gaps' : ''} and chain links checked; CSV equals JSON Lines`,
  );
  if (n !== m.entries)
    throw new Bad({
      file: AUDIT_JSONL,
      line: n + 1,
      seq: null,
      reason: `has ${n} entries but the manifest says ${m.entries}: entries are missing at the end`,
    });
  if (n > 0 && prev!.seq !== m.lastSeq)
    throw new Bad({
      file: AUDIT_JSONL,
      line: n,
      seq: prev!.seq,
      reason: `the last entry is seq ${prev!.seq} but the manifest says ${m.lastSeq}`,
    });
  if (m.contiguous && prev && prev.seq === m.chainHead.seq && prev.hash !== m.chainHead.hash) {
    throw new Bad({
      file: AUDIT_JSONL,
      line: n,
      seq: prev.seq,
      reason: 'the last entry is not the chain head the manifest recorded',
    });
  }
  for (const [meta, hash, size] of [
    [csvMeta, cHash, cSize],
    [jsonMeta, jHash, jSize],
  ] as const) {
    const digest = hash.digest('hex');
    if (digest !== meta.sha256 || size.bytes !== meta.bytes)
      throw new Bad({
        file: meta.name,
        line: null,
        seq: null,
        reason: `its SHA-256/size differs from the manifest's (the file was changed after export)`,
      });
  }
  checked.push('file sizes and SHA-256 match the manifest');
  return n;
}

async function checkAgainstDb(
  m: AuditManifest,
  folder: string,
  db: AuditChainLookup,
  checked: string[],
  checkpoint: SignedCheckpoint | null,
): Promise<void> {
  if (checkpoint && db.hashAt(checkpoint.seq) !== checkpoint.hash)
    throw new Bad({
      file: MANIFEST,
      line: null,
      seq: checkpoint.seq,
      reason: `the database does not hold entry ${checkpoint.seq} as the signed checkpoint of ${checkpoint.at} in this export records it: the database was truncated, rolled back or rewritten since this export`,
    });
  const head = db.hashAt(m.chainHead.seq);
  if (m.chainHead.seq > 0 && head !== m.chainHead.hash) {
    throw new Bad({
      file: MANIFEST,
      line: null,
      seq: m.chainHead.seq,
      reason: `the database's entry ${m.chainHead.seq} does not match the chain head this export recorded: the export (or the database) was altered`,
    });
  }
  // The file is known-good by now: re-stream it against the database's entries in the scope.
  const inScope = db.seqsInScope(m.scope, m.chainHead.seq)[Symbol.iterator]();
  let line = 0;
  for await (const text of jsonLines(join(folder, AUDIT_JSONL), createHash('sha256'), { bytes: 0 })) {
    line++;
    const e = JSON.parse(text) as { seq: number; hash: string };
    const next = inScope.next();
    if (next.done || next.value > e.seq)
      throw new Bad({
        file: AUDIT_JSONL,
        line,
        seq: e.seq,
        reason: `entry ${e.seq} is not in the database's chain for this export's scope`,
      });
    if (next.value < e.seq)
      throw new Bad({
        file: AUDIT_JSONL,
        line,
        seq: next.value,
        reason: `the database holds entry ${next.value} in this export's scope, but the export left it out (before this line)`,
      });
    if (db.hashAt(e.seq) !== e.hash)
      throw new Bad({
        file: AUDIT_JSONL,
        line,
        seq: e.seq,
        reason: `entry ${e.seq} differs from the database's entry ${e.seq}`,
      });
  }
  const more = inScope.next();
  if (!more.done)
    throw new Bad({
      file: AUDIT_JSONL,
      line: line + 1,
      seq: more.value,
      reason: `the database holds entry ${more.value} in this export's scope, but the export ends before it`,
    });
  checked.push(
    `against the database: chain head ${m.chainHead.seq} present, every exported hash equals the stored one, no entry in scope left out`,
  );
}
