import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildFhirBundle, stableUuid } from '../../src/export/fhir.js';
import { fhirR4Validator } from './fhir-schema.js';
import { findingRows, recordingRow } from './fixtures.js';

const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40, 1)]); // content is opaque to FHIR

function assertValid(bundle: unknown): void {
  const validate = fhirR4Validator();
  const ok = validate(bundle);
  assert.equal(ok, true, JSON.stringify(validate.errors?.slice(0, 5), null, 1));
}

test('a per-recording bundle (signed, with findings and an amendment) is valid FHIR R4', () => {
  const row = recordingRow();
  const bundle = buildFhirBundle([{ row, findings: findingRows(row.id), wav, wavUrl: null, screenLabel: 'abnormal' }], {
    exportedAt: '2026-11-25T12:00:00.000Z',
  });
  assertValid(bundle);
  const types = bundle.entry.map((e) => e.resource.resourceType);
  assert.equal(types.filter((t) => t === 'Patient').length, 1);
  assert.equal(types.filter((t) => t === 'Media').length, 1);
  assert.equal(types.filter((t) => t === 'Observation').length, 5 + 1 + 2 + 1); // classes, screen, findings, sign-off
  assert.equal(types.filter((t) => t === 'Provenance').length, 1);
  const media = bundle.entry.find((e) => e.resource.resourceType === 'Media')!.resource as unknown as {
    content: { hash: string; size: number; data: string };
  };
  assert.equal(
    media.content.hash,
    createHash('sha1').update(wav).digest('base64'),
    'Attachment.hash is the base64 SHA-1',
  );
  assert.equal(media.content.size, wav.length);
  assert.equal(Buffer.from(media.content.data, 'base64').compare(wav), 0);
  const copd = bundle.entry.find((e) => e.resource.id === 'rec-41-p-copd')!.resource as unknown as {
    valueQuantity: { value: number };
    status: string;
    method: { coding: { version: string }[] };
  };
  assert.equal(copd.valueQuantity.value, 0.61);
  assert.equal(copd.status, 'final');
  assert.equal(copd.method.coding[0]!.version, '1.2.0');
  // Every reference resolves inside the bundle.
  const urls = new Set(bundle.entry.map((e) => e.fullUrl));
  const refs = JSON.stringify(bundle)
    .match(/"reference":"([^"]+)"/g)!
    .map((m) => m.slice(13, -1));
  for (const r of refs) assert.ok(urls.has(r), `dangling reference ${r}`);
});

test('a per-patient bundle with an unsigned, unanalysed recording and a referenced WAV is valid FHIR R4', () => {
  const a = recordingRow();
  const b = recordingRow({
    id: 42,
    fileName: 'rec-42.wav',
    analysis: null,
    signedAt: null,
    signedBy: null,
    signLabel: null,
    signStatement: null,
    birthDate: null,
    sex: 'unknown',
    quality: null,
  });
  const bundle = buildFhirBundle(
    [
      { row: a, findings: findingRows(a.id), wav, wavUrl: 'recordings/rec-41.wav' },
      { row: b, findings: [], wav: null, wavUrl: 'recordings/rec-42.wav' },
    ],
    { exportedAt: '2026-11-25T12:00:00.000Z', mrnSystem: 'urn:oid:1.2.3.4.5' },
  );
  assertValid(bundle);
  assert.equal(bundle.entry.filter((e) => e.resource.resourceType === 'Media').length, 2);
  assert.equal(bundle.entry.filter((e) => e.resource.resourceType === 'Patient').length, 1);
  assert.ok(!JSON.stringify(bundle).includes('"data"'), 'referenced, not embedded');
});

test('the schema check can fail: a wrong code or an unknown field in any resource is rejected', () => {
  const bundle = buildFhirBundle([{ row: recordingRow(), findings: [], wav, wavUrl: null }], {
    exportedAt: '2026-11-25T12:00:00.000Z',
  });
  const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource;
  patient['gender'] = 'woman';
  assert.equal(fhirR4Validator()(bundle), false);
  patient['gender'] = 'female';
  patient['favouriteColour'] = 'blue';
  assert.equal(fhirR4Validator()(bundle), false);
  delete patient['favouriteColour'];
  assert.equal(fhirR4Validator()(bundle), true);
  const obs = bundle.entry.find((e) => e.resource.resourceType === 'Observation')!.resource;
  obs['status'] = 'signed'; // not in FHIR's ObservationStatus
  assert.equal(fhirR4Validator()(bundle), false);
});

test('stable UUIDs are RFC 4122 shaped and deterministic', () => {
  assert.match(stableUuid('Patient/x'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(stableUuid('a'), stableUuid('a'));
  assert.notEqual(stableUuid('a'), stableUuid('b'));
});

type Obs = {
  id: string;
  status: string;
  code: { coding: { system: string; code: string }[] };
  valueQuantity?: { value: number };
  dataAbsentReason?: { coding: { code: string }[]; text: string };
  note?: { text: string }[];
};
const observations = (b: { entry: { resource: { resourceType: string } }[] }): Obs[] =>
  b.entry.filter((e) => e.resource.resourceType === 'Observation').map((e) => e.resource as unknown as Obs);

test('detected sounds: one Observation each with its SNOMED CT code, preliminary until signed and final after', () => {
  const sounds = [
    {
      type: 'wheeze' as const,
      probability: 0.83,
      events: [
        { startSec: 1.44, endSec: 3.36, probability: 0.88 },
        { startSec: 6.24, endSec: 8.64, probability: 0.81 },
      ],
    },
  ];
  for (const signed of [false, true]) {
    const row = signed
      ? recordingRow()
      : recordingRow({ signedAt: null, signedBy: null, signLabel: null, signStatement: null });
    const bundle = buildFhirBundle([{ row, findings: [], wav, wavUrl: null, screenLabel: 'abnormal', sounds }], {
      exportedAt: '2026-11-25T12:00:00.000Z',
    });
    assertValid(bundle);
    const wheeze = observations(bundle).filter((o) => o.code.coding.some((c) => c.system === 'http://snomed.info/sct'));
    assert.equal(wheeze.length, 1, 'one Observation per detected sound type');
    assert.equal(wheeze[0]!.code.coding[0]!.code, '24612001');
    assert.equal(wheeze[0]!.valueQuantity!.value, 0.83);
    assert.match(wheeze[0]!.note![0]!.text, /Wheeze in 4\.3 of 20\.5 s: 1\.4–3\.4 s, 6\.2–8\.6 s/);
    for (const o of observations(bundle).filter((x) => x.id.startsWith('rec-')))
      assert.equal(o.status, signed ? 'final' : 'preliminary', o.id);
  }
  const crackle = buildFhirBundle(
    [
      {
        row: recordingRow(),
        findings: [],
        wav,
        wavUrl: null,
        sounds: [{ type: 'crackle', probability: 0.7, events: [{ startSec: 0, endSec: 0.96, probability: 0.7 }] }],
      },
    ],
    { exportedAt: '2026-11-25T12:00:00.000Z' },
  );
  assert.ok(observations(crackle).some((o) => o.code.coding.some((c) => c.code === '48409008')));
});

test("a withheld analysis and an earlier engine's: one Observation with a dataAbsentReason, no value anywhere", () => {
  const withheld = recordingRow({
    analysis: {
      ...recordingRow().analysis!,
      result: 'withheld',
      status: 'withheld',
      probabilities: null,
      pAbnormal: null,
      topClass: null,
      sounds: null,
      statusReasons: ['this sounds like speech, not a chest recording'],
    },
  });
  const earlier = recordingRow({
    id: 42,
    fileName: 'rec-42.wav',
    analysis: { ...recordingRow().analysis!, id: 91, result: 'earlier-engine', engineVersion: '1.0.0' },
  });
  for (const [row, text] of [
    [withheld, /withheld\. this sounds like speech/],
    [earlier, /earlier engine: re-analyse/],
  ] as const) {
    const bundle = buildFhirBundle([{ row, findings: [], wav, wavUrl: null, screenLabel: 'abnormal' }], {
      exportedAt: '2026-11-25T12:00:00.000Z',
    });
    assertValid(bundle);
    const analysis = observations(bundle).filter((o) => o.id.startsWith(`rec-${row.id}-`));
    assert.equal(analysis.length, 1, 'only the screen Observation, with no value');
    assert.equal(analysis[0]!.valueQuantity, undefined);
    assert.equal(analysis[0]!.dataAbsentReason!.coding[0]!.code, 'not-performed');
    assert.match(analysis[0]!.dataAbsentReason!.text, text);
    assert.ok(!JSON.stringify(bundle).includes('valueQuantity'), 'no figure anywhere in the bundle');
  }
});
