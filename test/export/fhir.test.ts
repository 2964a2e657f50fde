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
