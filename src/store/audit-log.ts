/**
 * The audit log: append-only (triggers refuse UPDATE/DELETE) and hash-chained. Each entry's hash is
 * SHA-256 over its previous entry's hash and a canonical encoding of the entry itself, seq
 * included, so an edited, deleted, inserted or reordered entry breaks the chain at that point.
 *
 * The encoding is public (`auditEntryHash`) so exports can be verified without the database.
 * Appends must run inside the caller's write transaction, so an entry and the change it records
 * commit together or not at all.
 */
import type { SqlDatabase, SqlStatement } from './sql-database.js';
import { createHash } from 'node:crypto';
import { entryMessage, type AuditSigner } from './audit-signing.js';
import { StoreError } from './errors.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditAppend {
  username: string | null;
  action: string;
  objectType?: string | null;
  objectId?: string | number | null;
  transport: string;
  details?: Record<string, unknown>;
  /** Defaults to now. */
  at?: string;
}

export interface AuditRecord {
  seq: number;
  at: string;
  username: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  transport: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** The fields that are hashed, exactly as stored (details as its canonical JSON text). */
export interface HashedFields {
  seq: number;
  at: string;
  username: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  transport: string;
  detailsJson: string;
}

export interface ChainCheck {
  ok: boolean;
  entries: number;
  head: string;
  firstBadSeq: number | null;
  reason: string | null;
  /** Entries carrying a signature, and how many of those signatures were checked against a trusted key. */
  signed?: number;
  signaturesChecked?: number;
  /** The latest signed checkpoint the database was checked against (outside the database). */
  checkpoint?: { seq: number; at: string } | null;
  /** What could not be checked, in words (no trusted key, no checkpoint log). */
  notes?: string[];
  /**
   * Set when the only damage is that the database ends before the latest signed checkpoint (an
   * older copy, or the newest entries deleted): what `auscult restore accept` would give up.
   */
  behind?: { seq: number; hash: string; at: string };
  /** Rollbacks an administrator accepted (signed records in the checkpoint log), oldest first. */
  acceptedRollbacks?: AcceptedRollback[];
  /**
   * A site: the first entry signed by a registered key the site database's owner has not approved
   * (the chain is otherwise intact; `ok` is false: those entries are not verified until then).
   */
  awaitingApproval?: { seq: number; keyId: string; workstation: string };
}

/** A restored older copy an administrator accepted: entries base+1..lostSeq of the old history were given up. */
export interface AcceptedRollback {
  /** A site: the last point of this workstation's log the restored copy held (see SignedRollback.held). */
  heldSeq?: number;
  baseSeq: number;
  lostSeq: number;
  lostHead: string;
  lostAt: string;
  acceptedAt: string;
  acceptedBy: string;
}

/** The key and history id entries are signed with (attached by the store when it has its signing folder). */
export interface EntrySigning {
  signer: AuditSigner;
  dbId: string;
  /**
   * Sign every entry as it is inserted (a site database: its workstations' role may never UPDATE
   * an audit row, and each entry is signed by the workstation that wrote it). Default: once per
   * commit, on its last entry.
   */
  eachEntry?: boolean;
}

/** JSON with object keys sorted at every level: the same value always encodes to the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** hash = SHA-256(prevHash + "\n" + JSON array of the entry's fields in a fixed order). */
export function auditEntryHash(prevHash: string, e: HashedFields): string {
  const body = JSON.stringify([
    e.seq,
    e.at,
    e.username,
    e.action,
    e.objectType,
    e.objectId,
    e.transport,
    e.detailsJson,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** An audit_log row as SQLite returns it (chain-verify.ts reads the same columns). */
export interface AuditRow {
  seq: number;
  at: string;
  username: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  transport: string;
  details_json: string;
  prev_hash: string;
  hash: string;
}

type Row = AuditRow;

/**
 * One step of the hash chain: is this row the next entry (its seq), linked to the one before (its
 * prev_hash) and unaltered (its hash over its own fields)? The damage in words, or null. The hash
 * check (`AuditLog.verify`) and the full check with signatures (chain-verify.ts) both walk with it.
 */
export function chainStepProblem(r: AuditRow, expectedSeq: number, prevHash: string): string | null {
  if (r.seq !== expectedSeq)
    return `entry ${r.seq} follows entry ${expectedSeq - 1}: ${r.seq > expectedSeq ? `entries ${expectedSeq}..${r.seq - 1} are missing` : 'sequence out of order'}`;
  if (r.prev_hash !== prevHash)
    return `entry ${r.seq} does not link to the entry before it (previous-hash mismatch: an entry was removed, inserted or reordered)`;
  const fields: HashedFields = {
    seq: r.seq,
    at: r.at,
    username: r.username,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    transport: r.transport,
    detailsJson: r.details_json,
  };
  if (auditEntryHash(prevHash, fields) !== r.hash)
    return `entry ${r.seq} was altered after it was written (its content no longer matches its hash)`;
  return null;
}

function toRecord(r: Row): AuditRecord {
  return {
    seq: r.seq,
    at: r.at,
    username: r.username,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    transport: r.transport,
    details: JSON.parse(r.details_json) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditFilter {
  from?: string;
  to?: string;
  username?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  /** Words anywhere in the entry's details (case-insensitive for ASCII letters). */
  text?: string;
}

/** LIKE's wildcards taken literally in what a person typed. */
const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export class AuditLog {
  private readonly last: SqlStatement;
  private readonly insert: SqlStatement;
  private signing: EntrySigning | null = null;
  /** The history is signed (some entry carries a signature): unsigned appends are refused. */
  private signedHistory: boolean;
  /** The head appended by the transaction in progress, not yet covered by a checkpoint. */
  private pending: { seq: number; hash: string; sig: string | null } | null = null;
  /** Entries were appended in this transaction and its last one is not signed yet. */
  private unsealed = false;
  private sealStmt: SqlStatement | null = null;
  /**
   * Sign each entry as it is inserted (the store's readTx: a read's entry is its commit's only
   * change, so it is the last one), saving the UPDATE that sealPending would make.
   */
  signAtInsert = false;

  constructor(private readonly db: SqlDatabase) {
    this.last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const signable = hasColumn(db, 'audit_log', 'sig');
    this.insert = db.prepare(
      signable
        ? `INSERT INTO audit_log (seq, at, username, action, object_type, object_id, transport, details_json, prev_hash, hash, key_id, sig)
           VALUES (@seq, @at, @username, @action, @objectType, @objectId, @transport, @detailsJson, @prevHash, @hash, @keyId, @sig)`
        : `INSERT INTO audit_log (seq, at, username, action, object_type, object_id, transport, details_json, prev_hash, hash)
           VALUES (@seq, @at, @username, @action, @objectType, @objectId, @transport, @detailsJson, @prevHash, @hash)`,
    );
    this.signedHistory =
      signable && db.prepare('SELECT 1 FROM audit_log WHERE sig IS NOT NULL LIMIT 1').get() !== undefined;
  }

  /** Sign every entry from now on (the store does this when it opens with its signing folder); null: stop. */
  attachSigning(s: EntrySigning | null): void {
    this.signing = s;
  }

  get isSigned(): boolean {
    return this.signedHistory;
  }

  /** The head written since the last checkpoint (then forgotten), or null. */
  takePending(): { seq: number; hash: string; sig: string | null } | null {
    const p = this.pending;
    this.pending = null;
    return p;
  }

  /** A rolled-back transaction's entries never existed. */
  dropPending(): void {
    this.pending = null;
    this.unsealed = false;
  }

  /**
   * Sign the transaction's last entry (its hash chains every entry before it), inside the
   * transaction, just before the commit: one signature per commit (the store's `tx` calls it).
   */
  sealPending(): void {
    if (!this.unsealed || !this.pending || !this.signing) return;
    const { seq, hash } = this.pending;
    const sig = this.signing.signer.sign(entryMessage(this.signing.dbId, seq, hash)).toString('base64');
    (this.sealStmt ??= this.db.prepare('UPDATE audit_log SET sig = ? WHERE seq = ? AND sig IS NULL')).run(sig, seq);
    this.pending.sig = sig;
    this.unsealed = false;
    this.signedHistory = true;
  }

  /** Append one entry. Call inside a write transaction (the store's `tx`). */
  append(e: AuditAppend): AuditRecord {
    if (!this.db.inTransaction) throw new Error('audit entries must be appended inside a write transaction');
    const prev = this.last.get() as { seq: number; hash: string } | undefined;
    const fields: HashedFields = {
      seq: (prev?.seq ?? 0) + 1,
      at: e.at ?? new Date().toISOString(),
      username: e.username,
      action: e.action,
      objectType: e.objectType ?? null,
      objectId: e.objectId === undefined || e.objectId === null ? null : String(e.objectId),
      transport: e.transport,
      detailsJson: canonicalJson(e.details ?? {}),
    };
    const prevHash = prev?.hash ?? GENESIS_HASH;
    const hash = auditEntryHash(prevHash, fields);
    if (!this.signing && this.signedHistory)
      throw new StoreError(
        'SIGNING_KEY',
        'This history is signed, and this process has no signing key: it cannot add to the audit log. Open it with its signing folder (AUSCULT_SIGNING_DIR). Nothing was changed.',
      );
    // Signed once per commit, by its last entry (sealPending, just before the commit), or here.
    const sig =
      this.signing && (this.signing.eachEntry || this.signAtInsert)
        ? this.signing.signer.sign(entryMessage(this.signing.dbId, fields.seq, hash)).toString('base64')
        : null;
    this.insert.run({
      ...fields,
      prevHash,
      hash,
      ...(this.insert.source.includes('@sig') ? { keyId: this.signing?.signer.keyId ?? null, sig } : {}),
    });
    this.pending = { seq: fields.seq, hash, sig };
    this.unsealed = this.signing !== null && sig === null;
    if (sig !== null) this.signedHistory = true;
    return {
      seq: fields.seq,
      at: fields.at,
      username: fields.username,
      action: fields.action,
      objectType: fields.objectType,
      objectId: fields.objectId,
      transport: fields.transport,
      details: JSON.parse(fields.detailsJson) as Record<string, unknown>,
      prevHash,
      hash,
    };
  }

  head(): { seq: number; hash: string } {
    const prev = this.last.get() as { seq: number; hash: string } | undefined;
    return prev ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** Walk the hash chain in seq order; name the first entry that does not check out. Hashes only:
   *  `Store.verifyAudit` adds the signatures and the checkpoints (chain-verify.ts). */
  verify(): ChainCheck {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let entries = 0;
    const rows = this.db
      .prepare(
        'SELECT seq, at, username, action, object_type, object_id, transport, details_json, prev_hash, hash FROM audit_log ORDER BY seq',
      )
      .iterate() as IterableIterator<Row>;
    for (const r of rows) {
      const bad = (reason: string): ChainCheck => ({ ok: false, entries, head: prevHash, firstBadSeq: r.seq, reason });
      const problem = chainStepProblem(r, expectedSeq, prevHash);
      if (problem) return bad(problem);
      prevHash = r.hash;
      expectedSeq++;
      entries++;
    }
    return { ok: true, entries, head: prevHash, firstBadSeq: null, reason: null };
  }

  list(f: AuditFilter, limit: number, offset: number): { items: AuditRecord[]; total: number } {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (f.from) {
      where.push('at >= @from');
      args['from'] = toInclusiveStart(f.from);
    }
    if (f.to) {
      where.push('at <= @to');
      args['to'] = toInclusiveEnd(f.to);
    }
    if (f.username) {
      // Who acted, or (schema 8) the name a failed sign-in tried: "nora" finds her failed attempts.
      where.push(
        hasColumn(this.db, 'audit_log', 'attempted_username', true)
          ? '(username = @username COLLATE NOCASE OR attempted_username = @username)'
          : 'username = @username COLLATE NOCASE',
      );
      args['username'] = f.username;
    }
    if (f.text) {
      // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not
      where.push("lower(details_json) LIKE lower(@text) ESCAPE '\\'");
      args['text'] = `%${likeLiteral(f.text)}%`;
    }
    if (f.action) {
      // 'recording' matches 'recording.view' etc.: a family of actions, or one exactly.
      where.push('(action = @action OR (action >= @actionPrefix AND action < @actionEnd))');
      args['action'] = f.action;
      args['actionPrefix'] = f.action + '.';
      args['actionEnd'] = f.action + '/';
    }
    if (f.objectType) {
      where.push('object_type = @objectType');
      args['objectType'] = f.objectType;
    }
    if (f.objectId) {
      where.push('object_id = @objectId');
      args['objectId'] = f.objectId;
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM audit_log ${w}`).get(args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM audit_log ${w} ORDER BY seq DESC LIMIT @limit OFFSET @offset`)
      .all({ ...args, limit, offset }) as Row[];
    return { items: rows.map(toRecord), total };
  }

  /** The latest time each user name did `action` (e.g. last sign-in), keyed by lower-case name. */
  lastAt(action: string): Map<string, string> {
    const rows = this.db
      .prepare(
        'SELECT lower(username) AS u, max(at) AS at FROM audit_log WHERE action = ? AND username IS NOT NULL GROUP BY lower(username)',
      )
      .all(action) as { u: string; at: string }[];
    return new Map(rows.map((r) => [r.u, r.at]));
  }

  /** Every entry in seq order, streamed (exports). */
  *iterate(f: AuditFilter = {}): Generator<AuditRecord> {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (f.from) {
      where.push('at >= @from');
      args['from'] = toInclusiveStart(f.from);
    }
    if (f.to) {
      where.push('at <= @to');
      args['to'] = toInclusiveEnd(f.to);
    }
    if (f.objectType) {
      where.push('object_type = @objectType');
      args['objectType'] = f.objectType;
    }
    if (f.objectId) {
      where.push('object_id = @objectId');
      args['objectId'] = f.objectId;
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    for (const r of this.db.prepare(`SELECT * FROM audit_log ${w} ORDER BY seq`).iterate(args) as IterableIterator<Row>)
      yield toRecord(r);
  }
}

/** `generated`: look among generated (hidden) columns too, which `table_info` leaves out. */
export function hasColumn(db: SqlDatabase, table: string, column: string, generated = false): boolean {
  return (db.pragma(`${generated ? 'table_xinfo' : 'table_info'}(${table})`) as { name: string }[]).some(
    (c) => c.name === column,
  );
}

/** A lower bound as stored (UTC ISO): a bare date means the start of that day (UTC). */
export function toInclusiveStart(from: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(from) ? `${from}T00:00:00.000Z` : new Date(from).toISOString();
}

/** A bare date as an upper bound means "through the end of that day". */
export function toInclusiveEnd(to: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(to) ? `${to}T23:59:59.999Z` : new Date(to).toISOString();
}

/** An entry's hash recomputed from its content (details as an object): what exports verify with. */
export function hashAuditEntry(e: {
  seq: number;
  at: string;
  username: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  transport: string;
  details: Record<string, unknown>;
  prevHash: string;
}): string {
  return auditEntryHash(e.prevHash, { ...e, detailsJson: canonicalJson(e.details) });
}
