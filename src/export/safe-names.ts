/**
 * File and folder names derived from patient data (MRNs, names, sites) are made safe here:
 * one path segment only (no separators, no `..`), no control or shell-hostile characters,
 * no Windows reserved device names (CON, NUL, COM1 ...), no trailing dots/spaces, bounded
 * length. The result is safe on Linux, macOS and Windows file systems alike.
 */
import { basename, resolve, sep } from 'node:path';
import { ExportError } from './errors.js';

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i;
// Characters invalid in Windows names, path separators, and C0/C1 control characters.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[<>:"/\\|?*\u0000-\u001f\u007f-\u009f]/g;
// Bidirectional overrides and zero-width characters can disguise an extension.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const MAX_BYTES = 120;

/**
 * A safe single file-name segment from arbitrary text. `fallback` is used when nothing is
 * left (e.g. the input was only dots). Keeps letters of any script (names are not ASCII).
 */
export function safeFileName(raw: string, fallback = 'unnamed'): string {
  let s = raw.normalize('NFC').replace(INVISIBLE, '').replace(UNSAFE, '_').replace(/\s+/g, ' ');
  // Leading dots would hide the file (or make `..`); trailing dots/spaces are dropped by Windows.
  s = s.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  // '..' inside a name is harmless to the file system but reads like traversal: drop dot runs.
  s = s
    .replace(/\.{2,}/g, '_')
    .replace(/_{2,}/g, '_')
    .trim();
  s = truncateUtf8(s, MAX_BYTES).replace(/[.\s]+$/, '');
  if (s === '') s = fallback;
  // CON, con.txt, Nul .pdf: reserved whatever the extension.
  const stem = s.split('.')[0]!.trim();
  if (RESERVED.test(stem)) s = `_${s}`;
  return s;
}

/** A safe name with an extension: the extension is kept even when the stem is truncated. */
export function safeFileNameWithExt(stem: string, ext: string, fallback = 'unnamed'): string {
  const cleanExt = ext.replace(/[^A-Za-z0-9]/g, '').slice(0, 10);
  const base = safeFileName(stem, fallback);
  const trimmed = truncateUtf8(base, MAX_BYTES - cleanExt.length - 1).replace(/[.\s]+$/, '') || fallback;
  return cleanExt ? `${trimmed}.${cleanExt}` : trimmed;
}

function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out;
}

/**
 * Joins a folder the user chose with a name we made, and proves the result stays directly
 * inside that folder (belt and braces over `safeFileName`).
 */
export function childPath(dir: string, name: string): string {
  const root = resolve(dir);
  const full = resolve(root, name);
  if (basename(full) !== name || full !== root + sep + name) {
    throw new ExportError('INVALID', `The file name "${name}" would leave the chosen folder; nothing was written.`);
  }
  return full;
}

/** Distinct names for a batch (two recordings of the same site get "-2", "-3" ...). */
export class NameAllocator {
  private readonly used = new Set<string>();
  take(stem: string, ext: string): string {
    let name = safeFileNameWithExt(stem, ext);
    for (let i = 2; this.used.has(name.toLowerCase()); i++) name = safeFileNameWithExt(`${stem}-${i}`, ext);
    this.used.add(name.toLowerCase());
    return name;
  }
}
