import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvParser, type CsvRecord } from '../../src/common/csv.js';
import { csvRow, csvField, fromCsvText, csvText } from '../../src/export/csv.js';

function parseAll(text: string, chunk = text.length): CsvRecord[] {
  const p = new CsvParser();
  const out: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += chunk) p.feed(text.slice(i, i + chunk), (r) => out.push(r));
  p.end((r) => out.push(r));
  return out;
}

test('RFC 4180: quoting, doubled quotes, CRLF inside fields, empty and null', () => {
  assert.equal(
    csvRow(['a', 'b,c', 'say "hi"', 'line1\r\nline2', '', null, 3, 0.25, true]),
    'a,"b,c","say ""hi""","line1\r\nline2",,,3,0.25,true\r\n',
  );
  assert.equal(csvField(Number.NaN), '');
});

test('formula-like text is neutralised, reversibly', () => {
  for (const s of ['=1+1', '+SUM(A1)', '-2', '@cmd', '\tx', "'=already", "''=twice", 'plain', "'plain"]) {
    assert.equal(fromCsvText(csvText(s)), s, s);
  }
  assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvField(-2), '-2', 'numbers are not text');
});

test('the parser round-trips what the writer writes, whatever the chunking', () => {
  const rows = [
    ['seq', 'text'],
    ['1', 'a,b'],
    ['2', 'q"uote'],
    ['3', 'multi\r\nline'],
    ['4', ''],
    ['5', '"'],
  ];
  const text = rows.map((r) => csvRow(r)).join('');
  for (const chunk of [1, 2, 3, 7, 1000]) {
    const got = parseAll(text, chunk);
    assert.deepEqual(
      got.map((r) => r.fields),
      rows,
      `chunk ${chunk}`,
    );
    assert.deepEqual(
      got.map((r) => r.line),
      [1, 2, 3, 4, 6, 7],
      `line numbers, chunk ${chunk}`,
    );
  }
});

test('the parser is strict about damage', () => {
  assert.throws(() => parseAll('a,b"c\r\n'), /line 1: a quote inside an unquoted field/);
  assert.throws(() => parseAll('a,"b"c\r\n'), /text after a closing quote/);
  assert.throws(() => parseAll('a\r\nb,"open\r\n'), /line 2: an unterminated quoted field/);
  assert.throws(() => parseAll('a\nb\r\n'), /bare LF/);
});
