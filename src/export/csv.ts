/**
 * CSV as RFC 4180 says: fields separated by commas, records by CRLF, a field quoted when it
 * holds a comma, quote, CR or LF, quotes doubled inside. UTF-8, optionally with a BOM so
 * spreadsheet programs pick the right encoding.
 *
 * Spreadsheet formula injection: a text cell starting with = + - @ TAB or CR would run as a
 * formula when an auditor opens the file, so such cells are written with a leading apostrophe
 * (OWASP's advice). The rule is exactly reversible (`csvText`/`fromCsvText`) so the audit
 * verifier can compare the CSV with the JSON Lines copy byte for byte. Reading CSV is
 * src/common/csv.ts (one reader for the verifier, the class map and the training manifests).
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
