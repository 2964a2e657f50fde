/**
 * The shell's log: one line per entry appended to `<dir>/main.log`, rotated by size to
 * main.1.log … main.<keep>.log (oldest dropped), so it can never fill the disk. Writes are
 * synchronous so the last lines before a crash are on disk.
 *
 * Patient data never goes here: callers log command names, error codes and paths, not params.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type LogLevel = 'info' | 'warn' | 'error';

export interface FileLog {
  readonly path: string;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface FileLogOptions {
  dir: string;
  /** Base name; rotated files are `<stem>.<n><ext>`. Default main.log. */
  name?: string;
  /** Rotate when the current file would pass this size. Default 1 MiB. */
  maxBytes?: number;
  /** Rotated files kept besides the current one. Default 4. */
  keep?: number;
  /** Also echo to stderr (development). */
  echo?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
}

function rotatedName(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}.${n}${name.slice(dot)}` : `${name}.${n}`;
}

export function createFileLog(opts: FileLogOptions): FileLog {
  const name = opts.name ?? 'main.log';
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const keep = Math.max(1, opts.keep ?? 4);
  const now = opts.now ?? (() => new Date());
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const path = join(opts.dir, name);
  let size = existsSync(path) ? statSync(path).size : 0;

  function rotate(): void {
    rmSync(join(opts.dir, rotatedName(name, keep)), { force: true });
    for (let n = keep - 1; n >= 1; n--) {
      const from = join(opts.dir, rotatedName(name, n));
      if (existsSync(from)) renameSync(from, join(opts.dir, rotatedName(name, n + 1)));
    }
    if (existsSync(path)) renameSync(path, join(opts.dir, rotatedName(name, 1)));
    size = 0;
  }

  function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    let extra = '';
    if (fields && Object.keys(fields).length > 0) {
      try {
        extra = ' ' + JSON.stringify(fields);
      } catch {
        extra = ' {"fields":"unserialisable"}';
      }
    }
    const line = `${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, ' | ')}${extra}\n`;
    const bytes = Buffer.byteLength(line);
    if (size > 0 && size + bytes > maxBytes) rotate();
    try {
      appendFileSync(path, line, { mode: 0o600 });
      size += bytes;
    } catch {
      // A full or read-only disk must not take the app down with it; stderr still gets the line.
    }
    if (opts.echo || level === 'error') process.stderr.write(line);
  }

  return {
    path,
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
