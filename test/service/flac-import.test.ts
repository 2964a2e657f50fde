/**
 * FLAC through the service's upload (recordings.import), recognised by content: stored as the WAV it
 * decodes to (lossless, same samples), the FLAC's own SHA-256 in the audit entry; a damaged FLAC gets
 * a clear AUDIO error naming the damage, and nothing is stored (no row, no file, no audit entry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readAudio } from '../../src/audio/audio-read.js';
import { decodeWav } from '../../src/audio/wav-read.js';
import { SPRSOUND_DIR, sprsoundMissing } from '../support/paths.js';
import { fingerprint, openFixture, rejectsWith } from './helpers.js';

const skip = sprsoundMissing();
const REAL = join(SPRSOUND_DIR, 'audio', 'train2022', '40069321_15.3_0_p2_982.flac');

test('an uploaded FLAC is stored as the lossless WAV it decodes to, its own hash audited', { skip }, async () => {
  const fx = await openFixture();
  try {
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', {
      mrn: 'F-1',
      givenName: 'F',
      familyName: 'L',
    });
    const flac = readFileSync(REAL);
    const d = await fx.ws.call(fx.as.nurse, 'recordings.import', {
      patientId: p.id,
      site: 'posterior-left-lower',
      fileName: 'child.flac',
      wavBase64: flac.toString('base64'),
    });
    assert.equal(d.recording.sampleRate, 4000);
    assert.equal(d.recording.durationSec, 36864 / 4000);
    const stored = readFileSync(join(fx.dir, 'recordings', d.recording.fileName));
    assert.equal(stored.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(d.recording.wavSha256, createHash('sha256').update(stored).digest('hex'));
    assert.deepEqual(decodeWav(stored).samples, (await readAudio(REAL)).samples);
    const created = [...fx.ws.internals.store.audit.iterate()].at(-1)!;
    assert.equal(created.action, 'recording.create');
    assert.equal(created.details['originalFormat'], 'flac');
    assert.equal(created.details['originalSha256'], createHash('sha256').update(flac).digest('hex'));
  } finally {
    await fx.ws.close();
  }
});

test('a damaged FLAC upload is refused with a clear error and nothing is stored', { skip }, async () => {
  const fx = await openFixture();
  try {
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', {
      mrn: 'F-2',
      givenName: 'F',
      familyName: 'L',
    });
    const good = readFileSync(REAL);
    const damaged = Buffer.from(good);
    for (let i = 8000; i < 8040; i++) damaged[i] = damaged[i]! ^ 0x5a;
    const cut = good.subarray(0, Math.floor(good.length / 2));
    const before = fingerprint(fx.ws);
    for (const [bytes, code, message] of [
      [damaged, 'CORRUPT', /not a readable WAV or FLAC file: The FLAC file is damaged at about \d+\.\d s/],
      [cut, 'TRUNCATED', /cut short/],
    ] as const) {
      const err = await rejectsWith(
        fx.ws.call(fx.as.nurse, 'recordings.import', {
          patientId: p.id,
          site: 'trachea',
          fileName: 'child.flac',
          wavBase64: Buffer.from(bytes).toString('base64'),
        }),
        'AUDIO',
        message,
      );
      assert.deepEqual(err.details, { domain: 'audio-file', code });
    }
    assert.equal(fingerprint(fx.ws), before);
    const recDir = join(fx.dir, 'recordings');
    assert.ok(!existsSync(recDir) || readdirSync(recDir).length === 0, 'no file left behind');
    const staging = fx.ws.internals.inProgressDir;
    assert.ok(!existsSync(staging) || readdirSync(staging).length === 0, 'no staged upload left behind');
  } finally {
    await fx.ws.close();
  }
});
