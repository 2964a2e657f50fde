/**
 * The one CSV reader (RFC 4180: quoted fields may hold commas, quotes, CR and LF; quotes are
 * doubled inside). Used by the audit-export verifier (strict, streaming), the YAMNet class map
 * and the training manifests (whole text, any line ending). Writing CSV is src/export/csv.ts.
 */
export interface CsvRecord {
  fields: string[];
  /** 1-based line number where the record starts (a quoted field may span lines). */
  line: number;
}

export interface CsvParserOptions {
  /**
   * 'crlf' (default, RFC 4180 and what we write): a bare CR or LF is an error, as the audit
   * verifier needs. 'any': LF, CRLF or CR end a record, for files others wrote (Google's class
   * map, dataset manifests).
   */
  lineEndings?: 'crlf' | 'any';
}

/**
 * Incremental RFC 4180 parser: feed chunks of text, get whole records. Strict by default: a
 * quote inside an unquoted field, text after a closing quote, or a bare CR/LF is an error that
 * names the line (an altered audit export must not parse "leniently" into something plausible).
 * Scans with indexOf/slice rather than character by character: a million-row file must not
 * become a million small string allocations per column.
 */
export class CsvParser {
  private buf = '';
  private line = 1;
  private readonly anyEnding: boolean;

  constructor(opts: CsvParserOptions = {}) {
    this.anyEnding = opts.lineEndings === 'any';
  }

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
    const s = this.buf + '\r\n';
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
        if (c !== ',' && c !== '\r' && !(this.anyEnding && c === '\n'))
          throw new CsvSyntaxError(this.line + newlines, 'text after a closing quote');
      } else {
        special.lastIndex = pos;
        const m = special.exec(s);
        if (!m) return null;
        if (m[0] === '"') throw new CsvSyntaxError(this.line + newlines, 'a quote inside an unquoted field');
        if (m[0] === '\n' && !this.anyEnding)
          throw new CsvSyntaxError(this.line + newlines, 'a bare LF (records must end with CRLF)');
        value = s.slice(pos, m.index);
        pos = m.index;
      }
      fields.push(value);
      if (s[pos] === ',') {
        pos++;
        continue;
      }
      if (s[pos] === '\n') return { fields, next: pos + 1, newlines }; // (lenient only: checked above)
      // s[pos] is CR: the record ends if LF follows.
      if (pos + 1 >= s.length) return null;
      if (s[pos + 1] !== '\n') {
        if (this.anyEnding) return { fields, next: pos + 1, newlines };
        throw new CsvSyntaxError(this.line + newlines, 'a bare CR (records must end with CRLF)');
      }
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

/** All records of a text read leniently (any line ending, BOM dropped, blank lines skipped). */
export function parseCsv(text: string): string[][] {
  const parser = new CsvParser({ lineEndings: 'any' });
  const rows: string[][] = [];
  const push = (r: CsvRecord): void => {
    if (r.fields.some((f) => f !== '')) rows.push(r.fields);
  };
  parser.feed(text.replace(/^\uFEFF/, ''), push);
  parser.end(push);
  return rows;
}

/** Rows as objects keyed by the (trimmed, lower-cased) header. */
export function parseCsvRecords(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const keys = header.map((h) => h.trim().toLowerCase());
  return rows.map((r) => Object.fromEntries(keys.map((k, i) => [k, r[i] ?? ''])));
}
