/**
 * Store and forward (site mode): a recording made while the site database cannot be reached is
 * kept on this workstation — its WAV in the recordings folder as always, and everything the site
 * would have stored (the recording row, its analysis, its audit entries with their original times)
 * in `outbox.sqlite` in the data folder — until the forwarder (src/service/outbox-forwarder.ts)
 * uploads it.
 *
 * Why a small database of its own rather than SQLite schema 9: in site mode this workstation has no
 * local history database (the history is the site's), the outbox must open exactly when the site
 * does not, and it holds only this workstation's unsent items; a single workstation never needs it.
 * Its schema has its own `user_version` (OUTBOX_MIGRATIONS). Written with synchronous=FULL: an item
 * the nurse was told is saved survives a power cut, like any stored recording.
 *
 * Each item is signed when it is saved (Ed25519, this workstation's audit key, which lives in the
 * signing folder outside the data folder): someone who can edit `outbox.sqlite` could otherwise
 * change a waiting recording's patient, user or analysis — or add one — and the forwarder would
 * put it into the site's history under this workstation's signature. The WAV is covered through
 * its SHA-256 in the signed item.
 *
 * Schema 2: each item also carries the patient as the nurse saw it when recording (MRN and names,
 * `OutboxPatient`), inside the signed content; the forwarder uploads it only to the site's patient
 * with that id AND that MRN and names (a restored site with reused ids, or another site database,
 * would otherwise file the lung sounds under someone else). Items saved by schema 1 have no
 * snapshot (`patient: null`) and are still uploaded as before, by patient id only; their signature
 * is the schema-1 one, so a schema-2 item cannot be passed off as one by blanking its snapshot.
 */
import Database from 'better-sqlite3';
import { canonicalJson } from './audit-log.js';
import { normalizeForSearch } from './search-normalize.js';
import { documentMessage, signatureValid, type AuditSigner, type TrustedKeys } from './audit-signing.js';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NewAnalysis, NewRecording } from './recordings.js';

/** One audit entry as it would have been appended at the time. */
export interface OutboxAudit {
  at: string;
  username: string | null;
  action: string;
  objectType: string | null;
  /** Null: the recording's id, once the site has given it one (a capture's entries name the capture). */
  objectId: string | null;
  transport: string;
  details: Record<string, unknown>;
}

/** The patient as the nurse saw them when recording (this workstation's knowledge at capture). */
export interface OutboxPatient {
  mrn: string;
  familyName: string;
  givenName: string;
}

/**
 * Why the site's patient is not the one the nurse saw, naming the MRNs only (this sentence reaches
 * logs and the site's audit log: names stay out), or null when it is the same person. The MRN is an
 * identifier and compared exactly (it is unique exactly on the site); names are compared folded as
 * the store's search does (case, accents, spacing) — as \`auscult site migrate\` decides "same
 * person" — so a name whose case or accents were corrected meanwhile is not refused, other letters are.
 * It speaks of what the screen showed, not of a recording: a capture is checked before it starts,
 * when nothing is recorded yet. `when` places a later check (the upload) at the recording.
 */
export function patientMismatch(
  seen: OutboxPatient,
  found: OutboxPatient & { id: number },
  where = "the site's",
  when = '',
): string | null {
  if (found.mrn !== seen.mrn)
    return `${where} patient ${found.id} is MRN ${found.mrn}, but the screen showed MRN ${seen.mrn}${when}`;
  const fold = normalizeForSearch;
  if (fold(found.familyName) !== fold(seen.familyName) || fold(found.givenName) !== fold(seen.givenName))
    return `${where} patient ${found.id} (MRN ${found.mrn}) has another name than the one the screen showed${when}`;
  return null;
}

/** The snapshot of a patient record (what is compared at upload). */
export function outboxPatientOf(p: OutboxPatient): OutboxPatient {
  return { mrn: p.mrn, familyName: p.familyName, givenName: p.givenName };
}

export interface OutboxItem {
  /** The order items are uploaded in. */
  seq: number;
  /** Random, carried in the `recording.create` entry: finds an upload that committed before a crash. */
  intakeId: string;
  savedAt: string;
  recording: NewRecording;
  /** The patient as the nurse saw them; null only for an item saved by outbox schema 1 (uploaded by id). */
  patient: OutboxPatient | null;
  analysis: NewAnalysis | null;
  audit: OutboxAudit[];
  /** The site's audit head before the first attempt that may have reached it (null: none did). */
  afterSeq: number | null;
  state: 'waiting' | 'refused';
  problem: string | null;
  /** Which key signed it, and the signature over signedOutboxItem(). */
  keyId: string;
  sig: string;
}

/** A row whose stored JSON cannot be read: the outbox file was damaged or edited outside Auscult. */
export type UnreadableOutboxItem = Pick<OutboxItem, 'seq' | 'intakeId' | 'savedAt' | 'state' | 'problem'> & {
  /** Which column, and the parser's words. */
  damage: string;
};

/** A new item always carries its patient snapshot (only schema-1 items lack one). */
export type NewOutboxItem = Pick<
  OutboxItem,
  'intakeId' | 'savedAt' | 'recording' | 'analysis' | 'audit' | 'afterSeq'
> & {
  patient: OutboxPatient;
};

type SignedFields = Pick<OutboxItem, 'intakeId' | 'savedAt' | 'recording' | 'patient' | 'analysis' | 'audit'>;

/** One entry per outbox schema version (the outbox's own, not the history's). */
const OUTBOX_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `CREATE TABLE items (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      intake_id TEXT NOT NULL UNIQUE,
      saved_at TEXT NOT NULL,
      recording_json TEXT NOT NULL,
      analysis_json TEXT,
      audit_json TEXT NOT NULL,
      after_seq INTEGER,
      state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'refused')),
      problem TEXT,
      key_id TEXT NOT NULL,
      sig TEXT NOT NULL
    )`,
  },
  // The patient as the nurse saw them (OutboxPatient JSON); NULL for the items schema 1 saved.
  { version: 2, sql: 'ALTER TABLE items ADD COLUMN patient_json TEXT' },
];

interface Row {
  seq: number;
  intake_id: string;
  saved_at: string;
  recording_json: string;
  patient_json: string | null;
  analysis_json: string | null;
  audit_json: string;
  after_seq: number | null;
  state: 'waiting' | 'refused';
  problem: string | null;
  key_id: string;
  sig: string;
}

const ITEM_PREFIX_V1 = 'auscult-outbox-item/1';
const ITEM_PREFIX = 'auscult-outbox-item/2';

/**
 * What an item's signature covers: everything the site will store of it and the patient it must go
 * to, bound to the site's history. An item without a snapshot is checked as schema 1 signed it (its
 * own prefix, no patient): a schema-2 signature never verifies as one, so blanking a snapshot is
 * detected like any other edit.
 */
function signedOutboxItem(dbId: string, i: SignedFields): Buffer {
  const fields = { dbId, intakeId: i.intakeId, savedAt: i.savedAt, recording: i.recording };
  const rest = { analysis: i.analysis, audit: i.audit };
  return i.patient === null
    ? documentMessage(ITEM_PREFIX_V1, canonicalJson({ ...fields, ...rest }))
    : documentMessage(ITEM_PREFIX, canonicalJson({ ...fields, patient: i.patient, ...rest }));
}

/** Why this item may not be uploaded (a signature that does not check out), or null. */
export function outboxItemProblem(item: OutboxItem, dbId: string, keys: TrustedKeys | null): string | null {
  const key = keys?.get(item.keyId);
  if (!key) return `it is signed by key ${item.keyId}, which is not this workstation's`;
  return signatureValid(key, signedOutboxItem(dbId, item), item.sig)
    ? null
    : 'its signature does not match its contents: the outbox was edited outside Auscult';
}

function looksLikeRecording(x: unknown): x is NewRecording {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r['fileName'] === 'string' && Number.isInteger(r['patientId']) && Number.isInteger(r['recordedBy']);
}

export function outboxPath(dataDir: string): string {
  return join(dataDir, 'outbox.sqlite');
}

export class Outbox {
  private constructor(private readonly db: Database.Database) {}

  static open(dataDir: string): Outbox {
    const path = outboxPath(dataDir);
    const fresh = !existsSync(path);
    const db = new Database(path);
    try {
      if (fresh) chmodSync(path, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      const version = db.pragma('user_version', { simple: true }) as number;
      const latest = OUTBOX_MIGRATIONS[OUTBOX_MIGRATIONS.length - 1]!.version;
      if (version > latest)
        throw new Error(
          `The outbox ${path} is at schema ${version}, newer than this Auscult knows (${latest}). Update Auscult on this workstation; the outbox was left as it is.`,
        );
      for (const m of OUTBOX_MIGRATIONS)
        if (m.version > version)
          db.transaction(() => {
            db.exec(m.sql);
            db.pragma(`user_version = ${m.version}`);
          }).immediate();
    } catch (err) {
      db.close();
      throw err;
    }
    return new Outbox(db);
  }

  /** Saved durably and signed with `signer` (the workstation's audit key) for the site history `dbId`. */
  add(given: NewOutboxItem, signer: AuditSigner, dbId: string): void {
    // exactly the fields stored are signed (a caller's patient record may carry more)
    const item = { ...given, patient: outboxPatientOf(given.patient) };
    const sig = signer.sign(signedOutboxItem(dbId, item)).toString('base64');
    this.db
      .prepare(
        'INSERT INTO items (intake_id, saved_at, recording_json, patient_json, analysis_json, audit_json, after_seq, key_id, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        item.intakeId,
        item.savedAt,
        JSON.stringify(item.recording),
        JSON.stringify(item.patient),
        item.analysis ? JSON.stringify(item.analysis) : null,
        JSON.stringify(item.audit),
        item.afterSeq,
        signer.keyId,
        sig,
      );
  }

  /**
   * An entry that follows a waiting item (a capture's stop), added to it and the item signed again.
   * False when the item is no longer here (uploaded meanwhile): the caller appends the entry itself.
   */
  appendAudit(intakeId: string, entry: OutboxAudit, signer: AuditSigner, dbId: string): boolean {
    return this.db
      .transaction(() => {
        const item = this.all().find((i) => i.intakeId === intakeId && i.state === 'waiting');
        if (!item) return false;
        const audit = [...item.audit, entry];
        const sig = signer.sign(signedOutboxItem(dbId, { ...item, audit })).toString('base64');
        this.db
          .prepare('UPDATE items SET audit_json = ?, key_id = ?, sig = ? WHERE intake_id = ?')
          .run(JSON.stringify(audit), signer.keyId, sig, intakeId);
        return true;
      })
      .immediate();
  }

  /**
   * Every item in upload order (refused ones too: they stay until someone looks at them), and apart
   * the rows whose stored JSON cannot be read: one damaged row must not stop the others, which are
   * other patients' recordings.
   */
  read(): { items: OutboxItem[]; unreadable: UnreadableOutboxItem[] } {
    const items: OutboxItem[] = [];
    const unreadable: UnreadableOutboxItem[] = [];
    for (const r of this.db.prepare('SELECT * FROM items ORDER BY seq').all() as Row[]) {
      const base = { seq: r.seq, intakeId: r.intake_id, savedAt: r.saved_at, state: r.state, problem: r.problem };
      let column = 'recording_json';
      try {
        const recording: unknown = JSON.parse(r.recording_json);
        column = 'patient_json';
        const patient = r.patient_json ? (JSON.parse(r.patient_json) as OutboxPatient) : null;
        column = 'analysis_json';
        const analysis = r.analysis_json ? (JSON.parse(r.analysis_json) as NewAnalysis) : null;
        column = 'audit_json';
        const audit: unknown = JSON.parse(r.audit_json);
        // What is inside is the signature's business (outboxItemProblem); only what the list and the
        // forwarder read before that check is checked here.
        column = 'recording_json';
        if (!looksLikeRecording(recording)) throw new Error('not the recording Auscult saved');
        column = 'audit_json';
        if (!Array.isArray(audit)) throw new Error('not the audit entries Auscult saved');
        items.push({
          ...base,
          recording,
          patient,
          analysis,
          audit: audit as OutboxAudit[],
          afterSeq: r.after_seq,
          keyId: r.key_id,
          sig: r.sig,
        });
      } catch (err) {
        unreadable.push({ ...base, damage: `${column}: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    return { items, unreadable };
  }

  /** The readable items in upload order (see read()). */
  all(): OutboxItem[] {
    return this.read().items;
  }

  counts(): { waiting: number; refused: number } {
    const rows = this.db.prepare('SELECT state, count(*) AS n FROM items GROUP BY state').all() as {
      state: string;
      n: number;
    }[];
    const n = (s: string) => rows.find((r) => r.state === s)?.n ?? 0;
    return { waiting: n('waiting'), refused: n('refused') };
  }

  /** Recorded before an attempt that may reach the site (kept if already set: the earliest bound). */
  setAfterSeq(intakeId: string, seq: number): void {
    this.db.prepare('UPDATE items SET after_seq = coalesce(after_seq, ?) WHERE intake_id = ?').run(seq, intakeId);
  }

  refuse(intakeId: string, problem: string): void {
    this.db.prepare("UPDATE items SET state = 'refused', problem = ? WHERE intake_id = ?").run(problem, intakeId);
  }

  /** One item by its seq (the number `auscult site outbox --list` shows), or null; unreadable rows apart. */
  get(seq: number): OutboxItem | UnreadableOutboxItem | null {
    const { items, unreadable } = this.read();
    return items.find((i) => i.seq === seq) ?? unreadable.find((i) => i.seq === seq) ?? null;
  }

  /** A refused item put back in line (an administrator fixed its cause); false if it was not refused. */
  retry(seq: number): boolean {
    return (
      this.db.prepare("UPDATE items SET state = 'waiting', problem = NULL WHERE seq = ? AND state = 'refused'").run(seq)
        .changes === 1
    );
  }

  /**
   * A refused item filed under another patient of the site (\`auscult site outbox --refile\`, an
   * administrator, audited on the site before this), with that patient's snapshot, and signed anew.
   * The caller has checked the item's signature first: re-signing must never launder an edit. False
   * when the item changed meanwhile (no longer refused, or signed differently): nothing was changed.
   */
  refile(
    item: OutboxItem,
    to: { patientId: number; patient: OutboxPatient; audit: OutboxAudit[] },
    signer: AuditSigner,
    dbId: string,
  ): boolean {
    const recording = { ...item.recording, patientId: to.patientId };
    const patient = outboxPatientOf(to.patient);
    const sig = signer
      .sign(signedOutboxItem(dbId, { ...item, recording, patient, audit: to.audit }))
      .toString('base64');
    return (
      this.db
        .prepare(
          `UPDATE items SET recording_json = ?, patient_json = ?, audit_json = ?, key_id = ?, sig = ?, state = 'waiting', problem = NULL
           WHERE seq = ? AND state = 'refused' AND sig = ?`,
        )
        .run(
          JSON.stringify(recording),
          JSON.stringify(patient),
          JSON.stringify(to.audit),
          signer.keyId,
          sig,
          item.seq,
          item.sig,
        ).changes === 1
    );
  }

  remove(intakeId: string): void {
    this.db.prepare('DELETE FROM items WHERE intake_id = ?').run(intakeId);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
