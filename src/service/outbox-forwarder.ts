/**
 * The forwarder: uploads the outbox (src/store/outbox.ts) to the site database when it is back, oldest
 * first, each item in ONE site transaction — the recording row, its analysis, its audit entries
 * (appended now, in their original order, each noting the time it was made on this workstation)
 * and its WAV, read back and verified by SHA-256 — then releases the item and the local file.
 *
 * Idempotent: the `recording.create` entry carries the item's random intakeId. A crash (or a lost
 * connection) after the site committed but before the item was released is found on the next run
 * by that id among the entries after the head recorded before the first attempt, and the item is
 * only finished (its audio, idempotent by recording id and hash), never inserted twice.
 *
 * Refused loudly, and never uploaded: an item whose signature (made when it was saved, with this
 * workstation's key) does not match its contents, whose local WAV is missing or no longer matches the
 * SHA-256 taken at intake, whose patient the site does not have, whose patient on the site is not
 * the person the nurse saw (another MRN or other names than the item's signed snapshot:
 * patientMismatch), or whose id the site already holds with another hash. A refused item stays in the outbox (system.status counts it) and does
 * not hold back the items after it: they are other patients' recordings. So is a row whose stored
 * JSON cannot be read (Outbox.read()): refused, never guessed at.
 *
 * Synchronous on purpose (the store is): two runs can never interleave.
 */
import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../store/index.js';
import type { Deps, UserCall } from './handler.js';
import {
  outboxItemProblem,
  patientMismatch,
  trustedKeys,
  type Outbox,
  type OutboxAudit,
  type OutboxItem,
  type UnreadableOutboxItem,
} from '../store/index.js';
import { wavFromFileBytes } from './recording-files.js';

export interface ForwardReport {
  uploaded: number;
  refused: number;
  /** Still waiting (the site is unreachable again). */
  waiting: number;
}

/** An entry made while the site is away, to be appended with the recording it belongs to. */
export function heldEntry(
  call: UserCall,
  action: string,
  objectType: string,
  objectId: string | null,
  details: Record<string, unknown>,
): OutboxAudit {
  return {
    at: new Date().toISOString(),
    username: call.user.username,
    action,
    objectType,
    objectId,
    transport: call.transport,
    details: call.peer ? { ...details, peer: call.peer } : details,
  };
}

/** Append held entries now (inside the caller's transaction), each noting when it was made. */
export function appendHeld(
  deps: Deps,
  entries: readonly OutboxAudit[],
  recordingId: number,
  note: Record<string, unknown>,
): void {
  for (const a of entries)
    deps.store.audit.append({
      username: a.username,
      action: a.action,
      objectType: a.objectType,
      objectId: a.objectId ?? recordingId,
      transport: a.transport,
      details: { ...a.details, savedOnWorkstationAt: a.at, ...note },
    });
}

/** A reason this item must not be uploaded, and (when not the general advice) what to do about it. */
class Refusal extends Error {
  constructor(
    message: string,
    readonly todo?: string,
  ) {
    super(message);
  }
}

/** What to do with an item refused for its patient (the command `auscult site outbox` offers). */
export function refileAdvice(seq: number): string {
  return `It stays on this workstation: find the right patient and re-file it with \`auscult site outbox --refile ${seq} --patient <MRN> --reason "<why>" --user <admin>\` (or discard it with a reason).`;
}

export const isUnreachable = (err: unknown): boolean => err instanceof StoreError && err.code === 'UNREACHABLE';

/** The recording a previous attempt of this item created on the site, if it committed. */
function uploadedBefore(deps: Deps, item: OutboxItem): { id: number; sha256: string } | null {
  if (item.afterSeq === null) return null;
  const row = deps.store.db
    .prepare(
      `SELECT object_id FROM audit_log WHERE seq > ? AND action = 'recording.create'
         AND json_extract(details_json, '$.intakeId') = ? ORDER BY seq LIMIT 1`,
    )
    .pluck()
    .get(item.afterSeq, item.intakeId) as string | undefined;
  if (row === undefined) return null;
  const rec = deps.store.recordings.get(Number(row));
  return rec ? { id: rec.id, sha256: rec.wavSha256 } : null;
}

function localWav(deps: Deps, item: OutboxItem): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(join(deps.recordingsDir, item.recording.fileName));
  } catch (err) {
    throw new Refusal(
      `its WAV ${item.recording.fileName} is missing from this workstation's recordings folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const wav = wavFromFileBytes(raw, deps.atRest, `The waiting recording ${item.recording.fileName}`);
  if (createHash('sha256').update(wav).digest('hex') !== item.recording.wavSha256)
    throw new Refusal(
      `its WAV ${item.recording.fileName} no longer matches the SHA-256 taken when it was saved: it was changed on this workstation`,
    );
  return wav;
}

function forwardOne(deps: Deps, outbox: Outbox, item: OutboxItem): number {
  const signing = deps.store.signing;
  const problem = signing
    ? outboxItemProblem(item, signing.dbId, trustedKeys([signing.signer.publicKey]))
    : 'this workstation holds no signing key to check it with';
  if (problem) throw new Refusal(problem);
  const wav = localWav(deps, item);
  const store = deps.store;
  if (item.afterSeq === null) {
    const head = store.audit.head().seq; // before anything of this item can reach the site
    outbox.setAfterSeq(item.intakeId, head);
    item = { ...item, afterSeq: head };
  }
  const id = store.tx(() => {
    const done = uploadedBefore(deps, item);
    if (done && done.sha256 !== item.recording.wavSha256)
      throw new Refusal(`the site holds recording ${done.id} under its intake id with another SHA-256`);
    let recordingId = done?.id;
    if (recordingId === undefined) {
      const patient = store.patients.get(item.recording.patientId);
      if (!patient) throw new Refusal(`the site database has no patient ${item.recording.patientId}`);
      // An item saved by outbox schema 1 has no snapshot: it goes by patient id only, as it always did.
      const other =
        item.patient && patientMismatch(item.patient, patient, "the site's", ' when this recording was made');
      if (other) throw new Refusal(other, refileAdvice(item.seq));
      recordingId = store.recordings.insert(item.recording, item.analysis);
      appendHeld(deps, item.audit, recordingId, { uploadedFromOutbox: true });
    }
    store.uploadRecordingAudio(recordingId, wav);
    return recordingId;
  });
  outbox.remove(item.intakeId);
  try {
    unlinkSync(join(deps.recordingsDir, item.recording.fileName)); // the site holds it, verified
  } catch {
    // already gone: nothing to release
  }
  return id;
}

/** Why a row that cannot be read is never uploaded, and what to do (kept as the item's problem). */
export function unreadableProblem(u: UnreadableOutboxItem): string {
  return (
    `its stored contents cannot be read (${u.damage}): the outbox was damaged or edited outside Auscult. ` +
    'It stays on this workstation; an administrator checks it (auscult check) before anything else is done with it.'
  );
}

/** Upload what waits, in order; stops at the first sign the site is unreachable again. */
export function forwardOutbox(deps: Deps, outbox: Outbox): ForwardReport {
  const report: ForwardReport = { uploaded: 0, refused: 0, waiting: 0 };
  const { items: all, unreadable } = outbox.read();
  for (const u of unreadable.filter((i) => i.state === 'waiting')) {
    const problem = `Not uploaded: ${unreadableProblem(u)}`;
    outbox.refuse(u.intakeId, problem);
    report.refused++;
    console.error(`auscult: the waiting recording saved at ${u.savedAt} was refused. ${problem}`);
  }
  const items = all.filter((i) => i.state === 'waiting');
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    try {
      forwardOne(deps, outbox, item); // the site announces it (NOTIFY) to every workstation, this one too
      report.uploaded++;
    } catch (err) {
      if (isUnreachable(err)) {
        report.waiting = items.length - k;
        break;
      }
      const refused =
        err instanceof Refusal || (err instanceof StoreError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND'));
      if (!refused) {
        // Not the item's fault (e.g. the outbox could not be written after the site committed):
        // it stays waiting, and the next run finishes it without a second upload (its intakeId).
        console.error(
          `auscult: uploading the waiting recording saved at ${item.savedAt} stopped: ${err instanceof Error ? err.message : String(err)}. It is retried.`,
        );
        report.waiting = items.length - k;
        break;
      }
      const why = err instanceof Error ? err.message : String(err);
      const todo =
        err instanceof Refusal && err.todo
          ? err.todo
          : 'It stays on this workstation; an administrator checks it (auscult check) before anything else is done with it.';
      // MRNs at most (patientMismatch): this sentence is logged and kept in the outbox, names are not.
      const problem = `Not uploaded: ${why}. ${todo}`;
      outbox.refuse(item.intakeId, problem);
      report.refused++;
      console.error(`auscult: the waiting recording saved at ${item.savedAt} was refused. ${problem}`);
    }
  }
  return report;
}
