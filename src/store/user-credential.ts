/**
 * User credential seals (issue 17). A site's workstation role may write `users`, so a row alone
 * cannot be trusted: every change Auscult makes to an account records, in its signed audit entry,
 * `credential` = SHA-256 of the canonical JSON of the columns that decide who may sign in as whom
 * (id, username, role, password hash, active). Volatile columns (updated_at, the credential epoch,
 * throttle counters elsewhere) are left out so routine writes do not unseal a row.
 *
 * A password check then compares the row with the newest such entry about that user, after
 * checking that one entry against the trusted keys (its own signature, or on SQLite the signature
 * of its commit's last entry, which chains it): one entry per sign-in, not the whole chain.
 */
import { createHash } from 'node:crypto';
import type { SqlDatabase } from './sql-database.js';
import { canonicalJson, chainStepProblem, hasColumn, type AuditRow } from './audit-log.js';
import { entryMessage, signatureValid, type TrustedKeys } from './audit-signing.js';
import { signedByPendingKey, siteKeySets } from './workstation-keys.js';

export const CREDENTIAL_FORMAT = 'auscult.user-credential/1';

/** The actions whose entries carry a `credential` (what a sign-in looks for). */
export const CREDENTIAL_ACTIONS = [
  'user.create',
  'user.password',
  'user.activate',
  'user.deactivate',
  'user.role',
  'user.credential',
] as const;

interface CredentialRow {
  id: number;
  username: string;
  role: string;
  password_hash: string;
  active: number;
}

/** The digest of an account's security-relevant columns, as stored. */
export function credentialDigest(r: CredentialRow): string {
  const doc = {
    format: CREDENTIAL_FORMAT,
    id: r.id,
    // usernames compare without case on both engines (COLLATE NOCASE, citext)
    username: r.username.toLowerCase(),
    role: r.role,
    passwordHash: r.password_hash,
    active: r.active === 1,
  };
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

/** The digest of user `id`'s row as it is now (null: no such user). Call inside the change's transaction. */
export function credentialOf(db: SqlDatabase, id: number): string | null {
  const r = db.prepare('SELECT id, username, role, password_hash, active FROM users WHERE id = ?').get(id) as
    CredentialRow | undefined;
  return r ? credentialDigest(r) : null;
}

export type CredentialStatus =
  | { state: 'sealed'; seq: number }
  /**
   * No entry about this user carries a credential, but a trusted entry shows Auscult made it or
   * signed it in (an account from before seals): its first good password check seals it.
   */
  | { state: 'unsealed'; anchorSeq: number }
  /** `awaitingApproval`: the seal is signed by a site key awaiting the owner's approval (the sentence). */
  | { state: 'mismatch'; seq: number | null; why: string; awaitingApproval?: string };

/** Where a seal's signature is checked against. */
export interface SealTrust {
  /** The trusted keys (the signing folder's; a site: re-read, its owner's approved keys); null: none. */
  keys: TrustedKeys | null;
  dbId: string | null;
  engine: 'sqlite' | 'postgresql';
}

/** A seal signed by a site key the owner has not approved yet: not a forgery, not trusted either. */
class AwaitingApproval extends Error {}

interface SignedRow extends AuditRow {
  key_id: string | null;
  sig: string | null;
}

/** Why the entry at `seq` cannot be trusted, or null when a trusted key's signature covers it. */
function entryProblem(db: SqlDatabase, row: SignedRow, trust: SealTrust): string | null {
  const altered = chainStepProblem(row, row.seq, row.prev_hash);
  if (altered) return altered;
  if (!trust.keys) return null; // an unsigned history: the hash is all there is (said in the README)
  // A site re-reads its approved keys: a workstation approved after this one opened signs too.
  const keys = trust.engine === 'postgresql' ? siteKeySets(db).approved : trust.keys;
  let signed = row;
  if (row.sig === null) {
    // A site signs every entry as it is written.
    if (trust.engine === 'postgresql') return `entry ${row.seq} carries no signature`;
    // SQLite signs a commit's last entry, whose hash chains the commit's others: walk to it. An
    // entry naming no key is from before the history was signed, or was inserted since.
    if (
      row.key_id === null &&
      db.prepare('SELECT 1 FROM audit_log WHERE seq < ? AND sig IS NOT NULL LIMIT 1').get(row.seq) !== undefined
    )
      return `entry ${row.seq} carries no signature although the entries before it are signed`;
    const next = db.prepare('SELECT min(seq) AS s FROM audit_log WHERE seq > ? AND sig IS NOT NULL').get(row.seq) as {
      s: number | null;
    };
    if (next.s === null) return `entry ${row.seq} is not covered by any signature`;
    let prev = row.hash;
    let expected = row.seq + 1;
    for (const r of db
      .prepare('SELECT * FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq')
      .iterate(row.seq, next.s) as IterableIterator<SignedRow>) {
      const p = chainStepProblem(r, expected, prev);
      if (p) return p;
      prev = r.hash;
      expected++;
      signed = r;
    }
    if (signed.seq !== next.s) return `entry ${row.seq} is not covered by any signature`;
  }
  const key = keys.get(signed.key_id ?? '');
  if (!key) {
    const pending = trust.engine === 'postgresql' ? siteKeySets(db).pending.get(signed.key_id ?? '') : undefined;
    if (pending)
      throw new AwaitingApproval(
        `its latest change (entry ${signed.seq}) was ${signedByPendingKey(signed.key_id!, pending.workstation, 'it cannot sign in until then')}`,
      );
    return `entry ${signed.seq} is signed by key ${signed.key_id ?? '(none)'}, which is not a trusted key`;
  }
  if (!signatureValid(key, entryMessage(trust.dbId ?? '', signed.seq, signed.hash), signed.sig))
    return `entry ${signed.seq} does not carry a valid signature`;
  return null;
}

/** entryProblem as a status: null when the entry is trusted. */
function checked(db: SqlDatabase, r: SignedRow, trust: SealTrust): CredentialStatus | null {
  try {
    const why = entryProblem(db, r, trust);
    return why === null ? null : { state: 'mismatch', seq: r.seq, why };
  } catch (err) {
    if (!(err instanceof AwaitingApproval)) throw err;
    return { state: 'mismatch', seq: r.seq, why: err.message, awaitingApproval: err.message };
  }
}

/** The entries about user `id` with one of `actions`, newest first, with their details parsed (null when damaged). */
function* entriesAbout(
  db: SqlDatabase,
  id: number,
  actions: readonly string[],
  sel: string,
): Generator<{ r: SignedRow; d: Record<string, unknown> | null }> {
  const marks = actions.map(() => '?').join(', ');
  const rows = db
    .prepare(
      `SELECT ${sel} FROM audit_log WHERE object_type = 'user' AND object_id = ? AND action IN (${marks}) ORDER BY seq DESC`,
    )
    .iterate(String(id), ...actions) as IterableIterator<SignedRow>;
  for (const r of rows) {
    let d: Record<string, unknown> | null;
    try {
      const parsed: unknown = JSON.parse(r.details_json);
      d = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
    } catch {
      d = null;
    }
    yield { r, d };
  }
}

/**
 * User `id`'s row against the newest entry about it that carries a credential. Entries copied by
 * `auscult site migrate` (`migratedFrom`) describe the source's row and are skipped: the migration
 * seals the site's row with an entry of its own.
 */
export function credentialStatus(db: SqlDatabase, trust: SealTrust, id: number): CredentialStatus {
  const now = credentialOf(db, id);
  if (now === null) return { state: 'mismatch', seq: null, why: 'the account does not exist' };
  const sel = hasColumn(db, 'audit_log', 'sig') ? '*' : '*, NULL AS key_id, NULL AS sig';
  for (const { r, d } of entriesAbout(db, id, CREDENTIAL_ACTIONS, sel)) {
    if (!d || typeof d.credential !== 'string' || d.migratedFrom !== undefined) continue;
    const problem = checked(db, r, trust);
    if (problem) return problem;
    if (d.credential !== now)
      return { state: 'mismatch', seq: r.seq, why: `the row does not match the credential of entry ${r.seq}` };
    return { state: 'sealed', seq: r.seq };
  }
  return anchorOf(db, trust, id, sel);
}

/**
 * Actions whose trusted entry shows an account is Auscult's own: it made or changed it, or signed
 * it in (before seals, a sign-in was the password's only proof). Not a failed sign-in: anyone can
 * cause one for a row they inserted.
 */
const ANCHOR_ACTIONS = ['user.create', 'user.password', 'user.role', 'user.activate', 'user.deactivate', 'auth.login'];

/** An account without seals: the newest entry that names it by id and name, checked like a seal. */
function anchorOf(db: SqlDatabase, trust: SealTrust, id: number, sel: string): CredentialStatus {
  const row = db.prepare('SELECT username FROM users WHERE id = ?').get(id) as { username: string };
  const name = row.username.toLowerCase();
  for (const { r, d } of entriesAbout(db, id, ANCHOR_ACTIONS, sel)) {
    // who signed in is the entry's user; a users entry names the account in its details
    const named = r.action === 'auth.login' ? r.username : typeof d?.username === 'string' ? d.username : null;
    if (named?.toLowerCase() !== name) continue;
    const problem = checked(db, r, trust);
    if (problem) return problem;
    return { state: 'unsealed', anchorSeq: r.seq };
  }
  return {
    state: 'mismatch',
    seq: null,
    why: 'no signed entry shows that Auscult created this account or signed it in (the row was inserted outside Auscult)',
  };
}

/** Every sealed account whose row does not match its seal (audit verify / check). */
export function credentialMismatches(
  db: SqlDatabase,
  trust: SealTrust,
): { userId: number; username: string; why: string }[] {
  const out: { userId: number; username: string; why: string }[] = [];
  for (const u of db.prepare('SELECT id, username FROM users ORDER BY id').all() as {
    id: number;
    username: string;
  }[]) {
    const s = credentialStatus(db, trust, u.id);
    if (s.state === 'mismatch') out.push({ userId: u.id, username: u.username, why: s.why });
  }
  return out;
}
