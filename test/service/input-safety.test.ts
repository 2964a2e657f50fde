/**
 * Typed text is checked before it is trusted (src/common/text-safety.ts, applied by every
 * schema): names are stored in NFC; bidi overrides, zero-width characters, C1 controls and lone
 * surrogates are refused with a message and change nothing. Also: exports from a window or a
 * browser cannot name a folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unsafeTextReason } from '../../src/common/text-safety.js';
import { fingerprint, openFixture, rejectsWith } from './helpers.js';

test('names: NFC stored; bidi override, isolates, zero-width, C1 control and a lone surrogate refused, nothing stored', async () => {
  const fx = await openFixture();
  try {
    const decomposed = 'Jose\u0301'; // "José" typed as e + combining acute
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', {
      mrn: 'NFC-1',
      givenName: decomposed,
      familyName: 'Zoë',
    });
    assert.equal(p.givenName, 'Jos\u00e9');
    assert.equal(p.givenName.length, 4, 'stored composed (NFC)');
    assert.equal(fx.ws.internals.store.patients.get(p.id)?.givenName, 'Jos\u00e9');

    const before = fingerprint(fx.ws);
    const cases: Array<[string, RegExp]> = [
      ['Smith\u202egnp.exe', /text-direction override \(found U\+202E\)/],
      ['\u2066Smith\u2069', /text-direction override \(found U\+2066\)/],
      ['Smi\u200bth', /invisible characters \(found U\+200B\)/],
      ['\ufeffSmith', /invisible characters \(found U\+FEFF\)/],
      ['Smith\u0085', /control characters \(found U\+0085\)/],
      ['Smith\u009b31m', /control characters \(found U\+009B\)/],
      ['Smith\u0007', /control characters \(found U\+0007\)/],
      ['Smith\ud800', /lone UTF-16 surrogate/],
      ['\udc00Smith', /lone UTF-16 surrogate/],
      ['\u200dSmith', /invisible joiner outside a word/],
    ];
    for (const [familyName, why] of cases) {
      await rejectsWith(
        fx.ws.call(fx.as.nurse, 'patients.create', { mrn: `BAD-${familyName.length}`, givenName: 'A', familyName }),
        'INVALID_INPUT',
        why,
      );
      await rejectsWith(fx.ws.call(fx.as.nurse, 'patients.update', { id: p.id, familyName }), 'INVALID_INPUT', why);
    }
    // Over the wire the same (a JSON string may carry a lone surrogate as an escape).
    await rejectsWith(
      fx.ws.callWire(
        fx.as.nurse,
        'patients.create',
        JSON.parse('{"mrn":"W-1","givenName":"A","familyName":"B\\ud83d"}') as unknown,
      ),
      'INVALID_INPUT',
      /lone UTF-16 surrogate/,
    );
    await rejectsWith(
      fx.ws.call(fx.as.admin, 'users.create', {
        username: 'mallory',
        displayName: 'Dr \u202eliceA',
        role: 'nurse',
        password: 'long enough pass',
      }),
      'INVALID_INPUT',
      /text-direction override/,
    );
    assert.equal(fingerprint(fx.ws), before, 'a refused call changes nothing');

    // What real names need still passes: Persian with ZWNJ between letters, Arabic with RLM, a hyphen.
    const fa = await fx.ws.call(fx.as.nurse, 'patients.create', {
      mrn: 'FA-1',
      givenName: 'می\u200cنا',
      familyName: 'Al-\u200fنور',
    });
    assert.equal(fa.givenName, 'می\u200cنا');
  } finally {
    await fx.ws.close();
  }
});

test('free text (notes, findings) keeps newlines and tabs but refuses the same hidden characters', () => {
  assert.equal(unsafeTextReason('line one\n\tline two', { multiline: true }), null);
  assert.match(unsafeTextReason('line one\nline two') ?? '', /control characters \(found U\+000A\)/);
  assert.match(unsafeTextReason('ok\u202d', { multiline: true }) ?? '', /U\+202D/);
});

test('exports.start: a destination folder is refused from a window or the loopback server, allowed from the CLI', async () => {
  const fx = await openFixture();
  try {
    for (const transport of ['http', 'ipc'] as const) {
      await rejectsWith(
        fx.ws.call({ ...fx.as.auditor, transport }, 'exports.start', {
          kind: 'audit-history',
          scope: {},
          destinationDir: '/etc',
        }),
        'INVALID_INPUT',
        /auscult export --out/,
      );
    }
    const http = { ...fx.as.auditor, transport: 'http' as const };
    let job = await fx.ws.call(http, 'exports.start', { kind: 'audit-history', scope: {} });
    while (job.state === 'running') {
      await new Promise((r) => setTimeout(r, 20));
      job = await fx.ws.call(http, 'exports.status', { jobId: job.id });
    }
    assert.equal(job.state, 'done', job.error ?? '');
    assert.ok(job.destination.startsWith(fx.ws.internals.exportsDir + '/'), job.destination);
  } finally {
    await fx.ws.close();
  }
});

test('refusals are sentences a person can act on: field names as on screen, a future or implausible birth date refused, nothing stored', async () => {
  const fx = await openFixture();
  try {
    const before = fingerprint(fx.ws);
    const tomorrowPlus = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    for (const [birthDate, why] of [
      [
        '2099-01-01',
        /^Not done — Birth date: a birth date cannot be in the future: check the year\. Correct it and try again\.$/,
      ],
      [tomorrowPlus, /Birth date: a birth date cannot be in the future/],
      ['1850-05-05', /Birth date: a birth date before 1880 is not plausible/],
      ['2024-02-30', /Birth date: not a real date/],
    ] as const)
      await rejectsWith(
        fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'BD-1', givenName: 'Ann', familyName: 'Lee', birthDate }),
        'INVALID_INPUT',
        why,
      );
    await rejectsWith(
      fx.ws.call(fx.as.admin, 'users.create', {
        username: 'nora',
        displayName: 'Nora N',
        role: 'nurse',
        password: 'short',
      }),
      'INVALID_INPUT',
      /^Not done — Password: passwords need at least 8 characters\. Correct it and try again\.$/,
    );
    await rejectsWith(
      fx.ws.call(fx.as.nurse, 'patients.create', { mrn: '', givenName: 'Ann', familyName: 'Lee' }),
      'INVALID_INPUT',
      /^Not done — Identifier \(MRN\): is required\./,
    );
    assert.deepEqual(fingerprint(fx.ws), before, 'nothing was stored');
    const today = new Date().toISOString().slice(0, 10);
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', {
      mrn: 'BD-2',
      givenName: 'New',
      familyName: 'Born',
      birthDate: today,
    });
    assert.equal(p.birthDate, today, 'a baby born today is fine');
  } finally {
    await fx.ws.close();
  }
});
