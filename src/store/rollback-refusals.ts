/**
 * Refused attempts to accept a restored older copy (wrong password, not an administrator, locked
 * out), while the database cannot take an audit entry: until the rollback is accepted, any entry
 * would fork the signed history. Each refusal is one signed JSON line in
 * `rollback-refusals-<dbId>.jsonl` in the signing folder (beside the checkpoint log, outside the
 * database), fsynced before the refusal is answered; the acceptance entry later copies the
 * refusals of the same pending rollback into the audit log (`refusedAttempts`), where auditors
 * read them. A separate file rather than the checkpoint log: the checkpoint log's verifier names
 * every line that is not a checkpoint, and a refusal is not a statement about the chain.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { signatureValid, type AuditSigner, type TrustedKeys } from './audit-signing.js';

export const REFUSAL_PREFIX = 'auscult-rollback-refused/1';
export const REFUSAL_FORMAT = 'auscult.rollback-refused/1';

export type RefusalReason =
  'unknown-user' | 'wrong-password' | 'inactive' | 'locked-out' | 'credential-mismatch' | 'not-admin';

export interface RollbackRefusal {
  format: typeof REFUSAL_FORMAT;
  dbId: string;
  /** The pending rollback it was an attempt to accept (the checkpoint it would give up). */
  lost: { seq: number; hash: string };
  at: string;
  /** The user name typed (an attempt: not necessarily an account). */
  username: string;
  reason: RefusalReason;
  transport: string;
  peer: string | null;
  keyId: string;
  sig: string;
}

export function refusalLogPath(signingDir: string, dbId: string): string {
  return join(signingDir, `rollback-refusals-${dbId}.jsonl`);
}

function message(r: Omit<RollbackRefusal, 'format' | 'sig'>): Buffer {
  return Buffer.from(
    [
      REFUSAL_PREFIX,
      r.dbId,
      r.lost.seq,
      r.lost.hash,
      r.at,
      JSON.stringify(r.username),
      r.reason,
      r.transport,
      JSON.stringify(r.peer),
      r.keyId,
    ].join('\n'),
    'utf8',
  );
}

/** Sign and append one refusal, fsynced: the caller is told "recorded" only once it is on disk. */
export function appendRefusal(
  path: string,
  signer: AuditSigner,
  r: Omit<RollbackRefusal, 'format' | 'sig' | 'keyId'>,
): RollbackRefusal {
  const body = { ...r, keyId: signer.keyId };
  const line: RollbackRefusal = { format: REFUSAL_FORMAT, ...body, sig: signer.sign(message(body)).toString('base64') };
  const fd = openSync(path, 'a', 0o600);
  try {
    writeSync(fd, JSON.stringify(line) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return line;
}

/**
 * The refusals of one pending rollback whose signature a trusted key verifies (a forged or edited
 * line is left out: it is not evidence of anything).
 */
export function readRefusals(
  path: string,
  keys: TrustedKeys,
  dbId: string,
  lost: { seq: number; hash: string },
): RollbackRefusal[] {
  if (!existsSync(path)) return [];
  const out: RollbackRefusal[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (!text) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      continue; // a torn last line after a crash
    }
    // Untrusted text: anything could be on a line; only a well-formed one of this rollback is checked.
    const r = raw as Partial<RollbackRefusal> | null;
    if (
      r === null ||
      typeof r !== 'object' ||
      r.format !== REFUSAL_FORMAT ||
      r.dbId !== dbId ||
      typeof r.keyId !== 'string' ||
      !r.lost ||
      r.lost.seq !== lost.seq ||
      r.lost.hash !== lost.hash
    )
      continue;
    const line = r as RollbackRefusal;
    const key = keys.get(line.keyId);
    if (key && signatureValid(key, message(line), line.sig)) out.push(line);
  }
  return out;
}
