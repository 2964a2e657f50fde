import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childPath, NameAllocator, safeFileName, safeFileNameWithExt } from '../../src/export/safe-names.js';

test('names from patient data become one safe path segment', () => {
  const cases: [string, (s: string) => boolean][] = [
    ['../../etc/passwd', (s) => !s.includes('/') && !s.includes('..') && !s.startsWith('.')],
    ['..\\..\\Windows\\win.ini', (s) => !s.includes('\\') && !s.includes('..')],
    ['CON', (s) => s === '_CON'],
    ['nul.txt', (s) => s === '_nul.txt'],
    ['Com1 ', (s) => s === '_Com1'],
    ['lpt9.pdf', (s) => s.startsWith('_')],
    ['a\u0000b\u001fc\u007f', (s) => s === 'a_b_c_'],
    ['name.', (s) => s === 'name'],
    ['  spaced   out  ', (s) => s === 'spaced out'],
    ['...', (s) => s === 'unnamed'],
    ['', (s) => s === 'unnamed'],
    ['evil\u202Efdp.exe', (s) => !s.includes('\u202E')],
    ['a<b>c:d"e|f?g*h', (s) => s === 'a_b_c_d_e_f_g_h'],
    ['Zoë Ñúñez-Ørsted', (s) => s === 'Zoë Ñúñez-Ørsted'],
  ];
  for (const [raw, ok] of cases) {
    const s = safeFileName(raw);
    assert.ok(ok(s), `${JSON.stringify(raw)} -> ${JSON.stringify(s)}`);
    assert.doesNotThrow(() => childPath('/tmp/dest', s));
  }
  assert.ok(Buffer.byteLength(safeFileName('ж'.repeat(500))) <= 120, 'bounded length in bytes');
  assert.equal(safeFileNameWithExt('x'.repeat(300), 'pdf').slice(-4), '.pdf', 'extension survives truncation');
  assert.equal(safeFileNameWithExt('CON', 'csv'), '_CON.csv');
});

test('childPath refuses anything that leaves the folder', () => {
  for (const bad of ['../x', 'a/b', '/etc/passwd', '..', '.', ''])
    assert.throws(() => childPath('/tmp/dest', bad), { code: 'INVALID' } as object);
  assert.equal(childPath('/tmp/dest', 'ok.csv'), '/tmp/dest/ok.csv');
});

test('NameAllocator keeps names distinct, case-insensitively', () => {
  const n = new NameAllocator();
  assert.deepEqual(
    [n.take('MRN1_trachea', 'wav'), n.take('mrn1_TRACHEA', 'wav'), n.take('MRN1_trachea', 'wav')],
    ['MRN1_trachea.wav', 'mrn1_TRACHEA-2.wav', 'MRN1_trachea-3.wav'],
  );
});
