/**
 * A site's workstation keys and their approval (PostgreSQL schema 4). A key is trusted only once
 * the site database's owner approved it; until then entries it signs are checked for integrity but
 * not counted as verified (chain-verify.ts `awaitingApproval`).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { hasColumn } from './audit-log.js';
import { keyIdOf, publicKeyFrom } from './audit-signing.js';
import type { SqlDatabase } from './sql-database.js';

export interface WorkstationKey {
  keyId: string;
  workstation: string;
  /** SHA-256 of the raw public key, hex (the key id is its first 32 digits). */
  fingerprint: string;
  firstSeq: number;
  addedAt: string;
  approvedAt: string | null;
  approvedBy: string | null;
  /** Registered under an id that is not its key's fingerprint: not by Auscult; never trusted. */
  idMismatch: boolean;
}

interface Row {
  key_id: string;
  public_key: string;
  workstation: string;
  first_seq: number | string;
  added_at: string;
  approved_at: string | null;
  approved_by: string | null;
}

export function fingerprintOf(publicKeyB64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyB64, 'base64')).digest('hex');
}

function rows(db: SqlDatabase): Row[] {
  return db
    .prepare(
      'SELECT key_id, public_key, workstation, first_seq, added_at, approved_at, approved_by FROM workstation_keys ORDER BY first_seq, key_id',
    )
    .all() as Row[];
}

export function listWorkstationKeys(db: SqlDatabase): WorkstationKey[] {
  return rows(db).map((r) => ({
    keyId: r.key_id,
    workstation: r.workstation,
    fingerprint: fingerprintOf(r.public_key),
    firstSeq: Number(r.first_seq),
    addedAt: r.added_at,
    approvedAt: r.approved_at,
    approvedBy: r.approved_by,
    idMismatch: keyIdOf(r.public_key) !== r.key_id,
  }));
}

export interface PendingKey {
  key: KeyObject;
  workstation: string;
}

/** The approved keys (trusted) and those awaiting approval (integrity only), by key id. */
export function siteKeySets(db: SqlDatabase): {
  approved: Map<string, KeyObject>;
  pending: Map<string, PendingKey>;
} {
  const approved = new Map<string, KeyObject>();
  const pending = new Map<string, PendingKey>();
  for (const r of rows(db)) {
    const key = publicKeyFrom(r.public_key);
    if (!key || keyIdOf(r.public_key) !== r.key_id) continue;
    if (r.approved_at !== null) approved.set(r.key_id, key);
    else pending.set(r.key_id, { key, workstation: r.workstation });
  }
  return { approved, pending };
}

/**
 * A site's key awaiting approval, by id; null when it is not registered, approved, or registered
 * under an id that is not its key's. Null on a database without key approval (SQLite, a site
 * before schema 4), so a caller need not know the engine.
 */
export function pendingKey(db: SqlDatabase, keyId: string): PendingKey | null {
  if (!hasColumn(db, 'workstation_keys', 'approved_at')) return null;
  return siteKeySets(db).pending.get(keyId) ?? null;
}

/**
 * What is wrong with something signed by a key awaiting approval, and what the owner does about it:
 * one wording for audit entries (chain-verify.ts) and record seals (record-seals.ts). `follows`
 * says what is not verified until then. The workstation's name is whatever registered the key (the
 * workstations' role may): quoted, so it cannot pose as part of the sentence.
 */
export function signedByPendingKey(keyId: string, workstation: string, follows: string): string {
  return (
    `signed by key ${keyId} of workstation ${JSON.stringify(workstation)}, which awaits approval by the site database's owner, so ${follows}: ` +
    `the owner compares its fingerprint (\`auscult site approve-key --list\`) and approves it with \`auscult site approve-key --db postgresql://OWNER@HOST/DB ${keyId}\``
  );
}

/** The role this connection acts as and the owner of the site's tables (the role the migrations ran as). */
export function siteRoles(db: SqlDatabase): { current: string; owner: string } {
  return db
    .prepare(
      "SELECT current_user::text AS current, pg_get_userbyid(relowner)::text AS owner FROM pg_class WHERE oid = 'workstation_keys'::regclass",
    )
    .get() as { current: string; owner: string };
}
