// The models tool: download through fetch (from a loopback HTTP server), refusal of a model that
// fails its self-test (nothing written), and the validity check of an installed model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { prepareYamnet, yamnetStatus } from '../../src/inference/models.js';
import { ModelError } from '../../src/inference/errors.js';
import { SHARED_MODELS, scratchDir } from '../support/paths.js';
import { tfliteMissing } from './yamnet-fixture.js';

const skip = tfliteMissing();

test('models from an address: downloaded with fetch, converted, self-tested, written', { skip }, async () => {
  const files: Record<string, Buffer> = {
    '/yamnet.tflite': readFileSync(join(SHARED_MODELS, 'yamnet.tflite')),
    '/yamnet_class_map.csv': readFileSync(join(SHARED_MODELS, 'yamnet_class_map.csv')),
  };
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const dir = scratchDir();
    const lines: string[] = [];
    const manifest = await prepareYamnet({
      modelsDir: dir,
      source: {
        kind: 'url',
        url: `${base}/yamnet.tflite`,
        classMapUrl: `${base}/yamnet_class_map.csv`,
        label: `${base}/yamnet.tflite`,
      },
      log: (l) => lines.push(l),
    });
    assert.equal(manifest.sourceSha256, '687f226c147a2caab4706fbbab5e9cecb14b9a368264bf61108078b1fddf68f5');
    assert.equal(manifest.source, `${base}/yamnet.tflite`);
    assert.ok(manifest.selfTest.every((c) => c.pass));
    assert.ok(yamnetStatus(dir).ok);
    assert.ok(lines.some((l) => /reading YAMNet from http:\/\/127\.0\.0\.1/.test(l)));
    // a missing address is a clear ModelError
    await assert.rejects(
      prepareYamnet({
        modelsDir: scratchDir(),
        source: { kind: 'url', url: `${base}/nope.tflite`, classMapUrl: `${base}/yamnet_class_map.csv`, label: 'x' },
      }),
      (e: unknown) => e instanceof ModelError && e.code === 'MODEL_SOURCE_MISSING' && /HTTP 404/.test(e.message),
    );
  } finally {
    server.close();
  }
});

test('a model that fails its self-test is refused and nothing is written', { skip }, async () => {
  // the same network with a class map whose names are swapped: silence no longer reads 'Silence'
  const src = scratchDir();
  writeFileSync(join(src, 'yamnet.tflite'), readFileSync(join(SHARED_MODELS, 'yamnet.tflite')));
  const map = readFileSync(join(SHARED_MODELS, 'yamnet_class_map.csv'), 'utf8').replace(',Silence', ',Xilence');
  writeFileSync(join(src, 'yamnet_class_map.csv'), map);
  const out = scratchDir();
  await assert.rejects(
    prepareYamnet({
      modelsDir: out,
      source: {
        kind: 'path',
        tflite: join(src, 'yamnet.tflite'),
        classMap: join(src, 'yamnet_class_map.csv'),
        label: src,
      },
    }),
    (e: unknown) =>
      e instanceof ModelError &&
      e.code === 'MODEL_SELF_TEST_FAILED' &&
      /digital silence/.test(e.message) &&
      /nothing was written/.test(e.message),
  );
  assert.deepEqual(readdirSync(out), []);
  assert.equal(yamnetStatus(out).ok, false);
});

test('a file that is not YAMNet is refused as a source', async () => {
  const src = scratchDir();
  writeFileSync(join(src, 'yamnet.tflite'), 'not a model');
  writeFileSync(
    join(src, 'yamnet_class_map.csv'),
    existsSync(join(SHARED_MODELS, 'yamnet_class_map.csv'))
      ? readFileSync(join(SHARED_MODELS, 'yamnet_class_map.csv'))
      : 'index,mid,display_name\n',
  );
  await assert.rejects(
    prepareYamnet({
      modelsDir: scratchDir(),
      source: {
        kind: 'path',
        tflite: join(src, 'yamnet.tflite'),
        classMap: join(src, 'yamnet_class_map.csv'),
        label: src,
      },
    }),
    (e: unknown) =>
      e instanceof ModelError &&
      e.code === 'MODEL_SOURCE_INVALID' &&
      /(not a TensorFlow Lite model|class map)/.test(e.message),
  );
});
