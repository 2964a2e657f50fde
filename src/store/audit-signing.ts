/**
 * What the workstation's signing key signs, and how anyone holding its public key checks it.
 * Ed25519 (node:crypto): small keys, deterministic signatures, no parameters to get wrong.
 *
 * Three kinds of signed statement, each with its own domain prefix so a signature of one kind can
 * never be replayed as another:
 * - an audit entry: `auscult-audit-entry/1 \n dbId \n seq \n hash` — the entry's chain hash covers
 *   the entry and, through the chain, every entry before it, so each signed entry is a checkpoint;
 * - a checkpoint (a signed tree head in the manner of RFC 6962/9162: entry count + head), written
 *   outside the database after every commit and into every export: it carries the head entry's own
 *   signature (the same statement: "entry seq of history dbId has hash h"), so a commit costs one
 *   signature, not two; its time is informational and not signed;
 * - a document (an export manifest, a sealed record): the prefix and the canonical JSON.
 * The database id is in every entry and checkpoint statement, so entries of one history cannot be
 * passed off as another's, even when one key signs several.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const ENTRY_PREFIX = 'auscult-audit-entry/1';
export const CHECKPOINT_FORMAT = 'auscult.checkpoint/1';
export const ROLLBACK_PREFIX = 'auscult-rollback-accepted/1';
export const ROLLBACK_FORMAT = 'auscult.rollback-accepted/1';

/** What signs: the private half never leaves the object (see signing-key.ts). */
export interface AuditSigner {
  readonly keyId: string;
  /** The public key as base64 of its 32 raw bytes. */
  readonly publicKey: string;
  sign(message: Buffer): Buffer;
}

/** A signed tree head: the chain had `seq` entries, the last with `hash`, at `at`. */
export interface SignedCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  dbId: string;
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  /** base64 Ed25519 signature of entryMessage(dbId, seq, hash): the head entry's own signature
   *  (`at` is informational, not signed). */
  sig: string;
}

/**
 * An administrator's acceptance of a restored older copy, in the checkpoint log: the history goes
 * on from `base` (the copy's head), and the checkpointed entries after it, up to `lost` (the log's
 * latest checkpoint before this record), are given up. Everything but `format` is signed, so the
 * record cannot be moved behind later checkpoints (it names the one it follows) or re-dated.
 */
export interface SignedRollback {
  format: typeof ROLLBACK_FORMAT;
  dbId: string;
  base: { seq: number; hash: string };
  /**
   * A site: the last point this workstation checkpointed that the database still holds, when other
   * workstations wrote on the restored copy after it (so `base` is later). This log's checkpoints
   * after it are given up. Absent: `base` (a single workstation's copy nobody wrote on).
   */
  held?: { seq: number; hash: string };
  lost: { seq: number; hash: string; at: string };
  at: string;
  acceptedBy: string;
  keyId: string;
  sig: string;
}

export function rollbackMessage(r: Omit<SignedRollback, 'format' | 'sig'>): Buffer {
  return Buffer.from(
    [
      ROLLBACK_PREFIX,
      r.dbId,
      r.base.seq,
      r.base.hash,
      r.lost.seq,
      r.lost.hash,
      r.lost.at,
      r.at,
      r.acceptedBy,
      r.keyId,
      // signed only when present: a record without it reads exactly as before
      ...(r.held ? [`held ${r.held.seq} ${r.held.hash}`] : []),
    ].join('\n'),
    'utf8',
  );
}

export function makeRollback(signer: AuditSigner, r: Omit<SignedRollback, 'format' | 'sig' | 'keyId'>): SignedRollback {
  const body = { ...r, keyId: signer.keyId };
  return { format: ROLLBACK_FORMAT, ...body, sig: signer.sign(rollbackMessage(body)).toString('base64') };
}

/** Why a rollback record cannot be trusted, or null when a trusted key signed it. */
export function rollbackProblem(r: SignedRollback, keys: TrustedKeys): string | null {
  const key = keys.get(r.keyId);
  if (!key) return `it is signed by key ${r.keyId}, which is not a trusted key`;
  return signatureValid(key, rollbackMessage(r), r.sig)
    ? null
    : 'its signature is not valid (it was forged or altered)';
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): followed by the 32 key bytes. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The key's public fingerprint: the first 16 bytes of SHA-256 of its raw bytes, hex. */
export function keyIdOf(publicKeyB64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyB64, 'base64')).digest('hex').slice(0, 32);
}

/** An Ed25519 public key object from its raw bytes (base64), or null when it is not one. */
export function publicKeyFrom(publicKeyB64: string): KeyObject | null {
  const raw = Buffer.from(publicKeyB64, 'base64');
  if (raw.length !== 32) return null;
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** The raw public key (base64) of a key object. */
export function rawPublicKey(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32).toString('base64');
}

export function entryMessage(dbId: string, seq: number, hash: string): Buffer {
  return Buffer.from(`${ENTRY_PREFIX}\n${dbId}\n${seq}\n${hash}`, 'utf8');
}

export function documentMessage(prefix: string, canonical: string): Buffer {
  return Buffer.from(`${prefix}\n${canonical}`, 'utf8');
}

/** Whether `sigB64` is `key`'s signature of `message` (false for anything malformed). */
export function signatureValid(key: KeyObject, message: Buffer, sigB64: string | null | undefined): boolean {
  if (typeof sigB64 !== 'string') return false;
  const sig = Buffer.from(sigB64, 'base64');
  if (sig.length !== 64) return false;
  try {
    return verify(null, message, key, sig);
  } catch {
    return false;
  }
}

/** A checkpoint of the head whose entry signature the commit just wrote. */
export function makeCheckpoint(
  keyId: string,
  dbId: string,
  head: { seq: number; hash: string; sig: string },
  at: string,
): SignedCheckpoint {
  return { format: CHECKPOINT_FORMAT, dbId, seq: head.seq, hash: head.hash, at, keyId, sig: head.sig };
}

/** The trusted keys, by key id: only keys from outside the database (the signing folder, --public-key). */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export function trustedKeys(publicKeysB64: readonly string[]): Map<string, KeyObject> {
  const m = new Map<string, KeyObject>();
  for (const k of publicKeysB64) {
    const obj = publicKeyFrom(k);
    if (obj) m.set(keyIdOf(k), obj);
  }
  return m;
}

/** Why a checkpoint cannot be trusted, or null when its signature is a trusted key's. */
export function checkpointProblem(c: SignedCheckpoint, keys: TrustedKeys): string | null {
  const key = keys.get(c.keyId);
  if (!key) return `it is signed by key ${c.keyId}, which is not a trusted key`;
  return signatureValid(key, entryMessage(c.dbId, c.seq, c.hash), c.sig)
    ? null
    : 'its signature is not valid (it was forged or altered)';
}

/** A signer over an Ed25519 private key object (the key file's or the keystore's). */
export function signerFrom(privateKey: KeyObject): AuditSigner {
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { keyId: keyIdOf(publicKey), publicKey, sign: (m) => sign(null, m, privateKey) };
}
