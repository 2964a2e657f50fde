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
 * A rollback an administrator accepted (`auscult restore accept`: a signed record in the checkpoint
 * log naming the kept head and the checkpoint given up, and an `audit.rollback-accepted` entry
 * right after the kept head) is reported in `acceptedRollbacks` and notes, not as damage; the kept
 * head stays a checkpoint, so any further rollback is caught as before. A site's record also names
 * `held`, the last point of this workstation's log the restored copy holds (others wrote on from
 * there): its checkpoints after `held` are given up. An acceptance entry on the chain with no record
 * in this log (another workstation's) is named in the notes.
 *
 * Signatures: `all` verifies every one (~75 µs each here); `sample` verifies every 256th and the
 * last, and on a failure every entry since the last good one, so the first bad signature is still
 * named. A rewrite breaks every signature from its first entry on, which sampling cannot miss; a
 * garbled signature alone (content intact) is found only by `all`.
 */
import type { KeyObject } from 'node:crypto';
import type { SqlDatabase } from './sql-database.js';
import { chainStepProblem, GENESIS_HASH, type AcceptedRollback, type AuditRow, type ChainCheck } from './audit-log.js';
import {
  checkpointProblem,
  entryMessage,
  ROLLBACK_FORMAT,
  rollbackProblem,
  signatureValid,
  type SignedRollback,
  type TrustedKeys,
} from './audit-signing.js';
import { CheckpointLog } from './checkpoint-log.js';
import { signedByPendingKey } from './workstation-keys.js';

export interface VerifyAuditOptions {
  /** The trusted public keys; null = signatures cannot be checked (said in notes). */
  keys: TrustedKeys | null;
  /** The history's checkpoint log (outside the database); null = not available (said in notes). */
  checkpointLog: string | null;
  dbId: string | null;
  signatures?: 'all' | 'sample';
  /**
   * A site: keys registered but not approved by the site database's owner. Their signatures are
   * checked like the trusted keys' (so any other damage is still named first), but an otherwise
   * intact chain with entries signed by one is not ok: `awaitingApproval` names the first.
   */
  awaitingApproval?: ReadonlyMap<string, { key: KeyObject; workstation: string }>;
  /**
   * Keys trusted for the checkpoint log's lines besides `keys` (a site: this workstation's own key,
   * from its signing folder, which wrote the log, approved by the site's owner or not).
   */
  logKeys?: TrustedKeys;
  /**
   * Verify as if an acceptance giving up the log's latest point `lost`, keeping `held`, followed
   * the log (Store.acceptRollback's check before it writes anything): ok only when that acceptance
   * would leave nothing else wrong.
   */
  accepting?: { held: { seq: number; hash: string }; lost: { seq: number; hash: string } };
}

interface Row extends AuditRow {
  key_id: string | null;
  sig: string | null;
}

const STRIDE = 256;

/** The details of an `audit.rollback-accepted` entry (written by Store.acceptRollback). */
export interface RollbackAcceptedDetails {
  base: { seq: number; hash: string };
  lost: { fromSeq: number; toSeq: number; head: string; checkpointAt: string };
  acceptedBy: string;
  osAccount: string;
  /**
   * A site: the last entry this workstation checkpointed that the restored copy holds, and how many
   * of its checkpoints (each at least one entry of its own) the site no longer holds.
   */
  held?: { seq: number; hash: string; lostCheckpoints: number };
  /** The administrator's reason (the in-app acceptance asks for one; the CLI does not). */
  reason?: string;
  /** Refused attempts on the same pending rollback, from the signed refusal lines (rollback-refusals.ts). */
  refusedAttempts?: { at: string; username: string; reason: string; transport: string; peer: string | null }[];
}

/** Whether an acceptance entry's details (untrusted text: anything could be there) name the record's loss. */
export function acceptanceNames(detailsJson: string, r: SignedRollback): boolean {
  const d = JSON.parse(detailsJson) as {
    base?: { hash?: unknown } | null;
    lost?: { toSeq?: unknown; head?: unknown } | null;
  } | null;
  return d?.base?.hash === r.base.hash && d.lost?.toSeq === r.lost.seq && d.lost.head === r.lost.hash;
}

export function verifyAuditLog(db: SqlDatabase, opts: VerifyAuditOptions): ChainCheck {
  const pending = opts.awaitingApproval;
  if (!pending?.size || !opts.keys) return verifyWith(db, opts, null);
  const keys = new Map(opts.keys);
  for (const [id, p] of pending) if (!keys.has(id)) keys.set(id, p.key);
  const first = { seq: 0, keyId: '' }; // seq 0: none yet
  const trusted = opts.keys;
  const r = verifyWith(db, { ...opts, keys }, (seq, keyId) => {
    if (first.seq === 0 && pending.has(keyId) && !trusted.has(keyId)) Object.assign(first, { seq, keyId });
  });
  if (!r.ok || first.seq === 0) return r;
  const { seq, keyId } = first;
  const workstation = pending.get(keyId)!.workstation;
  return {
    ...r,
    ok: false,
    firstBadSeq: seq,
    reason: `entry ${seq} on is ${signedByPendingKey(keyId, workstation, 'those entries are not verified')}`,
    awaitingApproval: { seq, keyId, workstation },
  };
}

function verifyWith(
  db: SqlDatabase,
  opts: VerifyAuditOptions,
  onSigned: ((firstSeq: number, keyId: string) => void) | null,
): ChainCheck {
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
  const acceptanceEntries: { seq: number; username: string | null; at: string }[] = [];
  for (const r of db.prepare(`SELECT ${sel} FROM audit_log ORDER BY seq`).iterate() as IterableIterator<Row>) {
    const fail = (reason: string) => result({ seq: r.seq, reason }, prevHash);
    const problem = chainStepProblem(r, expectedSeq, prevHash);
    if (problem) return fail(problem);
    if (r.action === 'audit.rollback-accepted') acceptanceEntries.push({ seq: r.seq, username: r.username, at: r.at });
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
      onSigned?.(coverStart.get(r.seq) ?? r.seq, r.key_id ?? '');
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
  const logKeys = opts.logKeys ? new Map([...opts.keys, ...opts.logKeys]) : opts.keys;
  const hashAt = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();
  const entryAt = db.prepare('SELECT action, details_json FROM audit_log WHERE seq = ?');
  let latest: { seq: number; at: string } | null = null;
  let sawLog = false;
  // Checkpoints the database does not hold, in log order; an accepted rollback clears those after its base.
  let missing: { seq: number; at: string; kind: 'ahead' | 'differs' }[] = [];
  // The last trusted checkpoint line: a rollback record must name it as what it gives up.
  let prevCp: { seq: number; hash: string; at: string } | null = null;
  let unfinished: SignedRollback | null = null;
  let badAcceptance: { seq: number; reason: string } | null = null;
  const accepted: AcceptedRollback[] = [];
  const against = (c: { seq: number; hash: string; at: string }) => {
    const stored =
      c.seq === 0 ? GENESIS_HASH : c.seq <= headSeq ? (hashAt.get(c.seq) as string | undefined) : undefined;
    if (c.seq <= headSeq && stored === c.hash) {
      if (!latest || c.seq >= latest.seq) latest = { seq: c.seq, at: c.at };
      return true;
    }
    missing.push({ seq: c.seq, at: c.at, kind: c.seq > headSeq ? 'ahead' : 'differs' });
    return false;
  };
  // The old history's checkpoints after the kept point are given up; the kept point itself is a
  // checkpoint the database must still hold (a further, unaccepted rollback is caught).
  const giveUpAfter = (kept: { seq: number; hash: string; at: string }): boolean => {
    missing = missing.filter((m) => m.seq <= kept.seq);
    return against(kept);
  };
  for (const { line, record: c } of CheckpointLog.read(opts.checkpointLog)) {
    sawLog = true;
    if (!c) {
      notes.push(`checkpoint log line ${line} is not a checkpoint (ignored)`);
      continue;
    }
    if (c.dbId !== dbId) {
      notes.push(`checkpoint log line ${line} belongs to another history (ignored)`);
      continue;
    }
    if (c.format === ROLLBACK_FORMAT) {
      const why =
        rollbackProblem(c, logKeys) ??
        (!prevCp || prevCp.seq !== c.lost.seq || prevCp.hash !== c.lost.hash
          ? 'it does not follow the checkpoint it says it gives up (it was moved or copied)'
          : c.held && c.held.seq > c.base.seq
            ? 'it keeps a point after its own base'
            : null);
      if (why) {
        notes.push(`checkpoint log line ${line} accepts a rollback but ${why}; ignored`);
        continue;
      }
      if (c.held) giveUpAfter({ ...c.held, at: c.at });
      else missing = missing.filter((m) => m.seq <= c.base.seq);
      if (against({ seq: c.base.seq, hash: c.base.hash, at: c.at })) {
        if (headSeq === c.base.seq) unfinished = c;
        else {
          unfinished = null;
          const e = entryAt.get(c.base.seq + 1) as { action: string; details_json: string } | undefined;
          if (!e || e.action !== 'audit.rollback-accepted' || !acceptanceNames(e.details_json, c))
            badAcceptance ??= {
              seq: c.base.seq + 1,
              reason: `entry ${c.base.seq + 1} is not the audit.rollback-accepted entry that the acceptance of ${c.at} (checkpoint log line ${line}) requires: the database does not record that acceptance`,
            };
        }
      }
      accepted.push({
        ...(c.held ? { heldSeq: c.held.seq } : {}),
        baseSeq: c.base.seq,
        lostSeq: c.lost.seq,
        lostHead: c.lost.hash,
        lostAt: c.lost.at,
        acceptedAt: c.at,
        acceptedBy: c.acceptedBy,
      });
      const from = (c.held ?? c.base).seq + 1;
      notes.push(
        `rollback accepted by ${c.acceptedBy} at ${c.at}: the history goes on from entry ${c.base.seq}; ` +
          `${c.lost.seq === from ? `entry ${c.lost.seq}` : `entries ${from}..${c.lost.seq}`} of the old history (head ${c.lost.hash}, checkpoint of ${c.lost.at}) were given up` +
          (c.held && c.held.seq < c.base.seq
            ? ` (this workstation's checkpoints after entry ${c.held.seq}; entries ${from}..${c.base.seq} are the restored copy's and what others wrote on it)`
            : ''),
      );
      prevCp = { seq: c.base.seq, hash: c.base.hash, at: c.at };
      continue;
    }
    const why = checkpointProblem(c, logKeys);
    if (why) {
      const stored = c.seq <= headSeq ? (hashAt.get(c.seq) as string | undefined) : undefined;
      if (stored !== c.hash)
        notes.push(`checkpoint log line ${line} was not written by the workstation (${why}); ignored`);
      continue;
    }
    prevCp = c;
    if (!against(c)) continue;
    if (unfinished && c.seq > unfinished.base.seq) unfinished = null;
  }
  if (opts.accepting) {
    const a = opts.accepting;
    if (!prevCp || prevCp.seq !== a.lost.seq || prevCp.hash !== a.lost.hash)
      return result(
        { seq: a.lost.seq, reason: `the checkpoint log's latest point is not entry ${a.lost.seq}, the one to give up` },
        prevHash,
      );
    giveUpAfter({ ...a.held, at: 'the acceptance' });
  }
  const recorded = new Set(accepted.map((a) => a.baseSeq + 1));
  for (const e of acceptanceEntries)
    if (!recorded.has(e.seq))
      notes.push(
        `entry ${e.seq} records a rollback accepted by ${e.username ?? 'an unnamed user'} at ${e.at}; this checkpoint log holds no record of it (another workstation's acceptance, or one interrupted before its record was written)`,
      );
  const withRollbacks = (r: ChainCheck): ChainCheck => (accepted.length ? { ...r, acceptedRollbacks: accepted } : r);
  const differs = missing.find((m) => m.kind === 'differs') ?? null;
  const ahead = missing
    .filter((m) => m.kind === 'ahead')
    .reduce<(typeof missing)[number] | null>((a, m) => (!a || m.seq > a.seq ? m : a), null);
  if (differs)
    return withRollbacks({
      ...out,
      ok: false,
      firstBadSeq: differs.seq,
      reason: `entry ${differs.seq} is not the entry the workstation's signed checkpoint of ${differs.at} recorded: the log was rewritten at or before entry ${differs.seq}, or the database was rolled back to a copy and written on`,
      checkpoint: { seq: differs.seq, at: differs.at },
    });
  if (ahead)
    return withRollbacks({
      ...out,
      ok: false,
      firstBadSeq: headSeq + 1,
      reason: `the database ends at entry ${headSeq}, but the workstation's signed checkpoint of ${ahead.at} records ${ahead.seq} entries: ${ahead.seq === headSeq + 1 ? `entry ${ahead.seq} was` : `entries ${headSeq + 1}..${ahead.seq} were`} deleted, or the database was rolled back to an earlier copy`,
      checkpoint: { seq: ahead.seq, at: ahead.at },
      ...(prevCp && prevCp.seq > headSeq ? { behind: prevCp } : {}),
    });
  if (badAcceptance)
    return withRollbacks({ ...out, ok: false, firstBadSeq: badAcceptance.seq, reason: badAcceptance.reason });
  if (unfinished)
    return withRollbacks({
      ...out,
      ok: false,
      firstBadSeq: headSeq + 1,
      reason: `the rollback to entry ${headSeq} accepted at ${unfinished.at} was not finished (its audit entry is missing): run \`auscult restore accept\` again`,
    });
  if (!sawLog && signed > 0)
    return withRollbacks({
      ...out,
      ok: false,
      firstBadSeq: null,
      reason: `the checkpoint log ${opts.checkpointLog} is missing, so deleted newest entries or a rollback could not be seen: restore the signing folder from its backup`,
    });
  return withRollbacks({ ...out, checkpoint: latest });
}
