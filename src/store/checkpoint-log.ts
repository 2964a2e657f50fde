/**
 * The external checkpoint log: one append-only JSON Lines file per history in the signing folder,
 * a signed checkpoint (entry count + head hash + time) after every commit that added audit entries.
 * Deleting the newest entries, or rolling the database back to a copy, leaves the database behind
 * its latest checkpoint; a database forked from a copy disagrees with an earlier one.
 *
 * Appends are not fsynced on their own: the commit before them was (synchronous=FULL), and a power
 * cut between the two loses at most the newest checkpoint, never a consistent older one.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FORMAT, type SignedCheckpoint } from './audit-signing.js';

export function checkpointLogPath(signingDir: string, dbId: string): string {
  return join(signingDir, `checkpoints-${dbId}.jsonl`);
}

function parseLine(line: string): SignedCheckpoint | null {
  try {
    const c = JSON.parse(line) as Partial<SignedCheckpoint>;
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

  /** Every line in order (streamed); a line that is not a checkpoint is reported as null with its number. */
  static *read(path: string): Generator<{ line: number; checkpoint: SignedCheckpoint | null }> {
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
        for (const p of parts) yield { line: ++line, checkpoint: parseLine(p) };
      }
      if (carry !== '') yield { line: ++line, checkpoint: parseLine(carry) };
    } finally {
      closeSync(fd);
    }
  }

  /** The last checkpoint in the log (read from its tail: the log grows with every commit). */
  static latest(path: string): SignedCheckpoint | null {
    if (!existsSync(path)) return null;
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      for (let window = 64 * 1024; ; window *= 4) {
        const start = Math.max(0, size - window);
        const buf = Buffer.alloc(size - start);
        readSync(fd, buf, 0, buf.length, start);
        const lines = buf.toString('utf8').split('\n');
        if (start > 0) lines.shift(); // possibly a partial line
        for (let i = lines.length - 1; i >= 0; i--) {
          const c = lines[i] ? parseLine(lines[i]!) : null;
          if (c) return c;
        }
        if (start === 0) return null;
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
