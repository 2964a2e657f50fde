/**
 * CSV as RFC 4180 says: fields separated by commas, records by CRLF, a field quoted when it
 * holds a comma, quote, CR or LF, quotes doubled inside. UTF-8, optionally with a BOM so
 * spreadsheet programs pick the right encoding.
 *
 * Spreadsheet formula injection: a text cell starting with = + - @ TAB or CR would run as a
 * formula when an auditor opens the file, so such cells are written with a leading apostrophe
 * (OWASP's advice). The rule is exactly reversible (`csvText`/`fromCsvText`) so the audit
 * verifier can compare the CSV with the JSON Lines copy byte for byte.
 */
export const UTF8_BOM = '\ufeff';
export const CRLF = '\r\n';

const FORMULA = /^'*[=+\-@\t\r]/;

export type CsvValue = string | number | boolean | null | undefined;

/** One field: numbers and booleans as-is, null/undefined as empty, text neutralised and quoted as needed. */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === '') return '';
  // Character tests rather than regexes: this runs ten times per row for a million rows.
  const c0 = v.charCodeAt(0);
  const s =
    c0 === 61 || c0 === 43 || c0 === 45 || c0 === 64 || c0 === 9 || c0 === 13 || (c0 === 39 && FORMULA.test(v))
      ? `'${v}`
      : v;
  if (s.indexOf('"') >= 0) return `"${s.replaceAll('"', '""')}"`;
  return s.indexOf(',') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 ? `"${s}"` : s;
}

/** One record with its CRLF terminator. */
export function csvRow(values: readonly CsvValue[]): string {
  let out = csvField(values[0]);
  for (let i = 1; i < values.length; i++) out += ',' + csvField(values[i]);
  return out + CRLF;
}

/** Text as written to a cell (apostrophe before formula-like starts). */
export function csvText(s: string): string {
  return FORMULA.test(s) ? `'${s}` : s;
}

/** Inverse of `csvText`. */
export function fromCsvText(s: string): string {
  return s.charCodeAt(0) === 39 /* ' */ && /^'+[=+\-@\t\r]/.test(s) ? s.slice(1) : s;
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line number where the record starts (a quoted field may span lines). */
  line: number;
}

/**
 * Incremental RFC 4180 parser for the verifier: feed chunks of text, get whole records.
 * Strict: a quote inside an unquoted field, text after a closing quote, or a bare CR/LF is an
 * error that names the line (an altered file must not parse "leniently" into something
 * plausible). Scans with indexOf/slice rather than character by character: a million-row file
 * must not become a million small string allocations per column.
 */
export class CsvParser {
  private buf = '';
  private line = 1;

  feed(text: string, emit: (r: CsvRecord) => void): void {
    const s = this.buf + text;
    let pos = 0;
    for (;;) {
      const r = this.record(s, pos);
      if (!r) break;
      emit({ fields: r.fields, line: this.line });
      this.line += 1 + r.newlines;
      pos = r.next;
    }
    this.buf = s.slice(pos);
  }

  /** Call at the end of input; a final record without CRLF is accepted. */
  end(emit: (r: CsvRecord) => void): void {
    if (this.buf === '') return;
    const s = this.buf + CRLF;
    const r = this.record(s, 0);
    if (!r || r.next !== s.length) throw new CsvSyntaxError(this.line, 'an unterminated quoted field');
    this.buf = '';
    emit({ fields: r.fields, line: this.line });
  }

  /** One complete record starting at `pos`, or null when the text ends before it does. */
  private record(s: string, pos: number): { fields: string[]; next: number; newlines: number } | null {
    const fields: string[] = [];
    let newlines = 0;
    const special = /[,\r\n"]/g;
    for (;;) {
      if (pos >= s.length) return null;
      let value: string;
      if (s.charCodeAt(pos) === 34 /* " */) {
        value = '';
        let p = pos + 1;
        for (;;) {
          const q = s.indexOf('"', p);
          if (q < 0 || q + 1 >= s.length) return null; // need the character after the quote
          value += s.slice(p, q);
          if (s.charCodeAt(q + 1) === 34) {
            value += '"';
            p = q + 2;
            continue;
          }
          pos = q + 1;
          break;
        }
        for (let i = value.indexOf('\n'); i >= 0; i = value.indexOf('\n', i + 1)) newlines++;
        const c = s[pos];
        if (c !== ',' && c !== '\r') throw new CsvSyntaxError(this.line + newlines, 'text after a closing quote');
      } else {
        special.lastIndex = pos;
        const m = special.exec(s);
        if (!m) return null;
        if (m[0] === '"') throw new CsvSyntaxError(this.line + newlines, 'a quote inside an unquoted field');
        if (m[0] === '\n') throw new CsvSyntaxError(this.line + newlines, 'a bare LF (records must end with CRLF)');
        value = s.slice(pos, m.index);
        pos = m.index;
      }
      fields.push(value);
      if (s[pos] === ',') {
        pos++;
        continue;
      }
      // s[pos] is CR: the record ends if LF follows.
      if (pos + 1 >= s.length) return null;
      if (s[pos + 1] !== '\n') throw new CsvSyntaxError(this.line + newlines, 'a bare CR (records must end with CRLF)');
      return { fields, next: pos + 2, newlines };
    }
  }
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    what: string,
  ) {
    super(`line ${line}: ${what}`);
  }
}
