/**
 * The external checkpoint log: one append-only JSON Lines file per history in the signing folder,
 * a signed checkpoint (entry count + head hash + time) after every commit that added audit entries
 * (after reads' entries at most every 64 commits or 1 s: Store.checkpoint).
 * Deleting the newest entries, or rolling the database back to a copy, leaves the database behind
 * its latest checkpoint; a database forked from a copy disagrees with an earlier one.
 *
 * Appends are not fsynced on their own: the commit before them was (synchronous=FULL), and a power
 * cut between the two loses at most the newest checkpoint, never a consistent older one.
 *
 * The log also holds an administrator's signed acceptance of a restored older copy
 * (`SignedRollback`, `auscult restore accept`), fsynced: on a single workstation before the database
 * entry that records it, so a crash in between leaves a log that says so (finished by running the
 * command again), never a database that went on without it; on a site just after that entry (other
 * workstations may write on meanwhile: a crash then only asks for the acceptance again).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FORMAT, ROLLBACK_FORMAT, type SignedCheckpoint, type SignedRollback } from './audit-signing.js';

/** One line of the log: a checkpoint, an accepted rollback, or (null) a line that is neither. */
export type LogRecord = SignedCheckpoint | SignedRollback;

function isPos(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0;
}

type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose | null => (v !== null && typeof v === 'object' ? (v as Loose) : null);

function parseRollback(c: Loose): SignedRollback | null {
  const b = obj(c['base']);
  const l = obj(c['lost']);
  const h = c['held'] === undefined ? undefined : obj(c['held']);
  return typeof c['dbId'] === 'string' &&
    (h === undefined || (h && isPos(h['seq']) && typeof h['hash'] === 'string')) &&
    b &&
    isPos(b['seq']) &&
    typeof b['hash'] === 'string' &&
    l &&
    isPos(l['seq']) &&
    typeof l['hash'] === 'string' &&
    typeof l['at'] === 'string' &&
    typeof c['at'] === 'string' &&
    typeof c['acceptedBy'] === 'string' &&
    typeof c['keyId'] === 'string' &&
    typeof c['sig'] === 'string'
    ? (c as unknown as SignedRollback)
    : null;
}

export function checkpointLogPath(signingDir: string, dbId: string): string {
  return join(signingDir, `checkpoints-${dbId}.jsonl`);
}

function parseLine(line: string): LogRecord | null {
  try {
    const raw = obj(JSON.parse(line));
    if (raw?.['format'] === ROLLBACK_FORMAT) return parseRollback(raw);
    const c = (raw ?? {}) as Partial<SignedCheckpoint>;
    if (
      c.format === CHECKPOINT_FORMAT &&
      typeof c.dbId === 'string' &&
      Number.isInteger(c.seq) &&
      typeof c.hash === 'string' &&
      typeof c.at === 'string' &&
      typeof c.keyId === 'string' &&
      typeof c.sig === 'string'
    )
      return c as SignedCheckpoint;
  } catch {
    /* a torn or foreign line */
  }
  return null;
}

export class CheckpointLog {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  append(c: SignedCheckpoint): void {
    this.fd ??= openSync(this.path, 'a', 0o600);
    writeSync(this.fd, JSON.stringify(c) + '\n');
  }

  /** An accepted rollback, on disk (fsynced) before the store goes on (see the header for its order). */
  appendDurable(r: SignedRollback): void {
    this.fd ??= openSync(this.path, 'a', 0o600);
    writeSync(this.fd, JSON.stringify(r) + '\n');
    fsyncSync(this.fd);
  }

  /** Every line in order (streamed); a line that is neither record is reported as null with its number. */
  static *read(path: string): Generator<{ line: number; record: LogRecord | null }> {
    if (!existsSync(path)) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      let carry = '';
      let line = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        const parts = (carry + buf.toString('utf8', 0, n)).split('\n');
        carry = parts.pop()!;
        for (const p of parts) yield { line: ++line, record: parseLine(p) };
      }
      if (carry !== '') yield { line: ++line, record: parseLine(carry) };
    } finally {
      closeSync(fd);
    }
  }

  /** The last checkpoint in the log (read from its tail: the log grows with every commit). */
  static latest(path: string): SignedCheckpoint | null {
    return CheckpointLog.last(path, (r): r is SignedCheckpoint => r.format === CHECKPOINT_FORMAT);
  }

  /** The last record of either kind: what the database must agree with before it is written. */
  static latestRecord(path: string): LogRecord | null {
    return CheckpointLog.last(path, (_r): _r is LogRecord => true);
  }

  private static last<T extends LogRecord>(path: string, want: (r: LogRecord) => r is T): T | null {
    for (const r of CheckpointLog.fromTail(path)) if (want(r)) return r;
    return null;
  }

  /** The records newest first, read backwards in chunks (the open check looks only at the tail). */
  static *fromTail(path: string): Generator<LogRecord> {
    if (!existsSync(path)) return;
    const fd = openSync(path, 'r');
    try {
      let end = fstatSync(fd).size;
      let carry = Buffer.alloc(0); // the start of a line whose beginning is in the next chunk back
      while (end > 0) {
        const start = Math.max(0, end - 64 * 1024);
        const buf = Buffer.alloc(end - start);
        readSync(fd, buf, 0, buf.length, start);
        end = start;
        const data = Buffer.concat([buf, carry]);
        const nl = start > 0 ? data.indexOf(0x0a) : -1;
        if (start > 0 && nl < 0) {
          carry = data;
          continue;
        }
        carry = start > 0 ? data.subarray(0, nl) : Buffer.alloc(0);
        const lines = data
          .subarray(nl + 1)
          .toString('utf8')
          .split('\n');
        for (let i = lines.length - 1; i >= 0; i--) {
          const c = lines[i] ? parseLine(lines[i]!) : null;
          if (c) yield c;
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
