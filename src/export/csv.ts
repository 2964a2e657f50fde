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

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA = /^'*[=+\-@\t\r]/;

export type CsvValue = string | number | boolean | null | undefined;

/** One field: numbers and booleans as-is, null/undefined as empty, text neutralised and quoted as needed. */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = csvText(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record with its CRLF terminator. */
export function csvRow(values: readonly CsvValue[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) out += (i ? ',' : '') + csvField(values[i]);
  return out + CRLF;
}

/** Text as written to a cell (apostrophe before formula-like starts). */
export function csvText(s: string): string {
  return FORMULA.test(s) ? `'${s}` : s;
}

/** Inverse of `csvText`. */
export function fromCsvText(s: string): string {
  return /^'+[=+\-@\t\r]/.test(s) ? s.slice(1) : s;
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line number where the record starts (a quoted field may span lines). */
  line: number;
}

/**
 * Incremental RFC 4180 parser for the verifier: feed chunks of text, get whole records.
 * Strict: a quote inside an unquoted field, or text after a closing quote, is an error that
 * names the line (an altered file must not parse "leniently" into something plausible).
 */
export class CsvParser {
  private field = '';
  private fields: string[] = [];
  private inQuotes = false;
  private afterQuote = false;
  private fieldStarted = false;
  private line = 1;
  private recordLine = 1;
  private pendingCr = false;
  private quoteSeen = false;

  feed(text: string, emit: (r: CsvRecord) => void): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.pendingCr) {
        this.pendingCr = false;
        if (c === '\n') {
          this.endRecord(emit);
          this.line++;
          this.recordLine = this.line;
          continue;
        }
        throw new CsvSyntaxError(this.line, 'a bare CR outside quotes (records must end with CRLF)');
      }
      if (this.quoteSeen) {
        // A quote inside a quoted field: doubled means a literal quote, else the field closed.
        this.quoteSeen = false;
        if (c === '"') {
          this.field += '"';
          continue;
        }
        this.inQuotes = false;
        this.afterQuote = true;
      } else if (this.inQuotes) {
        if (c === '"') this.quoteSeen = true;
        else {
          if (c === '\n') this.line++;
          this.field += c;
        }
        continue;
      }
      if (c === ',') {
        this.fields.push(this.field);
        this.field = '';
        this.afterQuote = false;
        this.fieldStarted = true;
      } else if (c === '\r') {
        this.pendingCr = true;
      } else if (c === '\n') {
        throw new CsvSyntaxError(this.line, 'a bare LF (records must end with CRLF)');
      } else if (this.afterQuote) {
        throw new CsvSyntaxError(this.line, 'text after a closing quote');
      } else if (c === '"') {
        if (this.field !== '') throw new CsvSyntaxError(this.line, 'a quote inside an unquoted field');
        this.inQuotes = true;
        this.fieldStarted = true;
      } else {
        this.field += c;
        this.fieldStarted = true;
      }
    }
  }

  /** Call at the end of input; a final record without CRLF is accepted. */
  end(emit: (r: CsvRecord) => void): void {
    if (this.quoteSeen) {
      this.quoteSeen = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) throw new CsvSyntaxError(this.recordLine, 'an unterminated quoted field');
    if (this.pendingCr) throw new CsvSyntaxError(this.line, 'a bare CR at the end');
    if (this.fieldStarted || this.field !== '' || this.fields.length) this.endRecord(emit);
  }

  private endRecord(emit: (r: CsvRecord) => void): void {
    this.fields.push(this.field);
    emit({ fields: this.fields, line: this.recordLine });
    this.fields = [];
    this.field = '';
    this.afterQuote = false;
    this.fieldStarted = false;
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
