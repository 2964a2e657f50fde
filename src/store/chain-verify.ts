/**
 * Full verification of a history's audit log: the hash chain, every entry's signature against the
 * trusted keys (from the signing folder, never from the database), and the database against every
 * signed checkpoint in the external checkpoint log. Names the first bad entry.
 *
 * What each attack leaves behind (tested in test/store/audit-attacks.test.ts):
 * - an edited entry: its hash no longer matches its content (chain);
 * - an edited entry, rehashed from there on with the public hash function: the rehashed entries'
 *   signatures sign the old hashes (signatures), the first one is named;
 * - an inserted or back-dated entry: it carries no valid signature;
 * - deleted newest entries, a rollback to an older copy: the database ends before the latest
 *   signed checkpoint (checkpoints);
 * - a rollback to a copy that was then written on: an earlier checkpoint's hash differs.
 *
 * Signatures: `all` verifies every one (~75 µs each here); `sample` verifies every 256th and the
 * last, and on a failure every entry since the last good one, so the first bad signature is still
 * named. A rewrite breaks every signature from its first entry on, which sampling cannot miss; a
 * garbled signature alone (content intact) is found only by `all`.
 */
import type { SqlDatabase } from './sql-database.js';
import { chainStepProblem, GENESIS_HASH, type AuditRow, type ChainCheck } from './audit-log.js';
import {
  checkpointProblem,
  entryMessage,
  signatureValid,
  type SignedCheckpoint,
  type TrustedKeys,
} from './audit-signing.js';
import { CheckpointLog } from './checkpoint-log.js';

export interface VerifyAuditOptions {
  /** The trusted public keys; null = signatures cannot be checked (said in notes). */
  keys: TrustedKeys | null;
  /** The history's checkpoint log (outside the database); null = not available (said in notes). */
  checkpointLog: string | null;
  dbId: string | null;
  signatures?: 'all' | 'sample';
}

interface Row extends AuditRow {
  key_id: string | null;
  sig: string | null;
}

const STRIDE = 256;

export function verifyAuditLog(db: SqlDatabase, opts: VerifyAuditOptions): ChainCheck {
  const signable = (db.pragma('table_info(audit_log)') as { name: string }[]).some((c) => c.name === 'sig');
  const notes: string[] = [];
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  let signed = 0;
  let checked = 0;
  let seenSigned = false;
  let lastGood = 0; // the last seq whose signature was verified good
  const mode = opts.signatures ?? 'all';
  const dbId = opts.dbId ?? '';
  const sel = signable ? '*' : '*, NULL AS key_id, NULL AS sig';
  const range = db.prepare(`SELECT seq, hash, key_id, sig FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq`);
  const sigOk = (r: Pick<Row, 'seq' | 'hash' | 'key_id' | 'sig'>): boolean => {
    const key = opts.keys!.get(r.key_id ?? '');
    checked++;
    return !!key && signatureValid(key, entryMessage(dbId, r.seq, r.hash), r.sig);
  };
  const result = (bad: { seq: number; reason: string } | null, head: string): ChainCheck => ({
    ok: bad === null,
    entries,
    head,
    firstBadSeq: bad?.seq ?? null,
    reason: bad?.reason ?? null,
    signed,
    signaturesChecked: checked,
    checkpoint: null,
    notes,
  });
  // The first entry a bad signature covers: the start of its commit's run of covered entries.
  let runStart: number | null = null;
  const coverStart = new Map<number, number>(); // signed seq -> first seq it covers (only when > 1 entry)
  const badSig = (seq: number): { seq: number; reason: string } => {
    const from = coverStart.get(seq) ?? seq;
    return {
      seq: from,
      reason:
        from === seq
          ? `entry ${seq} does not carry a valid signature of the workstation's key: it was altered, inserted or rewritten (with the hashes recomputed) from here on`
          : `entries ${from}..${seq} (one commit, signed by entry ${seq}) do not carry a valid signature of the workstation's key: altered, inserted or rewritten from entry ${from} on`,
    };
  };
  let last: Row | null = null;
  for (const r of db.prepare(`SELECT ${sel} FROM audit_log ORDER BY seq`).iterate() as IterableIterator<Row>) {
    const fail = (reason: string) => result({ seq: r.seq, reason }, prevHash);
    const problem = chainStepProblem(r, expectedSeq, prevHash);
    if (problem) return fail(problem);
    if (r.sig === null) {
      // Covered by the commit's signed last entry when it names the key; otherwise unsigned.
      if (r.key_id !== null) {
        runStart ??= r.seq;
        seenSigned = true;
      } else if (seenSigned)
        return fail(
          `entry ${r.seq} carries no signature although the entries before it are signed: it was inserted, or rewritten and its signature removed`,
        );
    } else {
      seenSigned = true;
      signed++;
      if (runStart !== null) {
        coverStart.set(r.seq, runStart);
        runStart = null;
      }
      if (opts.keys) {
        if (!opts.keys.has(r.key_id ?? ''))
          return fail(
            `entry ${r.seq} is signed by key ${r.key_id}, which is not a trusted key (the signing folder's): it was signed by someone else`,
          );
        if (mode === 'all' || signed % STRIDE === 0) {
          if (!sigOk(r)) {
            // Find the first bad one since the last verified good signature.
            if (mode === 'sample')
              for (const x of range.iterate(lastGood, r.seq) as IterableIterator<Row>)
                if (x.sig !== null && !sigOk(x)) return result(badSig(x.seq), prevHash);
            return result(badSig(r.seq), prevHash);
          }
          lastGood = r.seq;
        }
      }
    }
    prevHash = r.hash;
    expectedSeq++;
    entries++;
    last = r;
  }
  if (opts.keys && mode === 'sample' && last?.sig && lastGood !== last.seq) {
    if (!sigOk(last)) {
      for (const x of range.iterate(lastGood, last.seq) as IterableIterator<Row>)
        if (x.sig !== null && !sigOk(x)) return result(badSig(x.seq), prevHash);
    }
  }
  if (runStart !== null)
    return result(
      {
        seq: runStart,
        reason: `entries ${runStart}..${entries} at the end carry no signature: they were appended without the workstation's key`,
      },
      prevHash,
    );
  if (!opts.keys && signed > 0) notes.push('signatures not checked: no trusted public key was given');
  const headSeq = entries;
  const out = result(null, prevHash);
  if (!opts.checkpointLog || !opts.keys) {
    if (signed > 0) notes.push('checkpoints not checked: no checkpoint log (truncation and rollback cannot be seen)');
    return out;
  }
  const hashAt = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();
  let latest: { seq: number; at: string } | null = null;
  let sawLog = false;
  let ahead: SignedCheckpoint | null = null;
  let differs: SignedCheckpoint | null = null;
  for (const { line, checkpoint: c } of CheckpointLog.read(opts.checkpointLog)) {
    sawLog = true;
    if (!c) {
      notes.push(`checkpoint log line ${line} is not a checkpoint (ignored)`);
      continue;
    }
    if (c.dbId !== dbId) {
      notes.push(`checkpoint log line ${line} belongs to another history (ignored)`);
      continue;
    }
    const why = checkpointProblem(c, opts.keys);
    const stored = c.seq <= headSeq ? (hashAt.get(c.seq) as string | undefined) : undefined;
    if (c.seq <= headSeq && stored === c.hash) {
      if (!why && (!latest || c.seq >= latest.seq)) latest = { seq: c.seq, at: c.at };
      continue;
    }
    if (why) {
      notes.push(`checkpoint log line ${line} was not written by the workstation (${why}); ignored`);
      continue;
    }
    if (c.seq > headSeq) {
      if (!ahead || c.seq > ahead.seq) ahead = c;
    } else differs ??= c;
  }
  if (differs)
    return {
      ...out,
      ok: false,
      firstBadSeq: differs.seq,
      reason: `entry ${differs.seq} is not the entry the workstation's signed checkpoint of ${differs.at} recorded: the log was rewritten at or before entry ${differs.seq}, or the database was rolled back to a copy and written on`,
      checkpoint: { seq: differs.seq, at: differs.at },
    };
  if (ahead)
    return {
      ...out,
      ok: false,
      firstBadSeq: headSeq + 1,
      reason: `the database ends at entry ${headSeq}, but the workstation's signed checkpoint of ${ahead.at} records ${ahead.seq} entries: ${ahead.seq === headSeq + 1 ? `entry ${ahead.seq} was` : `entries ${headSeq + 1}..${ahead.seq} were`} deleted, or the database was rolled back to an earlier copy`,
      checkpoint: { seq: ahead.seq, at: ahead.at },
    };
  if (!sawLog && signed > 0)
    return {
      ...out,
      ok: false,
      firstBadSeq: null,
      reason: `the checkpoint log ${opts.checkpointLog} is missing, so deleted newest entries or a rollback could not be seen: restore the signing folder from its backup`,
    };
  return { ...out, checkpoint: latest };
}
