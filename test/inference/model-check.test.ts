// The model check at load (size against the manifest) and the full re-hash that `auscult models`
// and `auscult check` run: a same-size corruption passes the first and fails the second, a
// truncated file fails both, and a manifest written before sizes were recorded is re-hashed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordModelSize, yamnetStatus, type YamnetManifest } from '../../src/inference/models.js';
import { CLASS_MAP, YAMNET_MANIFEST, YAMNET_ONNX } from '../../src/inference/paths.js';
import { scratchDir } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable();

async function copyOfModels(): Promise<{ dir: string; manifest: YamnetManifest }> {
  const from = await yamnetModelsDir();
  const dir = scratchDir();
  for (const f of [YAMNET_ONNX, YAMNET_MANIFEST, CLASS_MAP]) copyFileSync(join(from, f), join(dir, f));
  const manifest = JSON.parse(readFileSync(join(dir, YAMNET_MANIFEST), 'utf8')) as YamnetManifest;
  return { dir, manifest };
}

function flipOneByte(path: string): void {
  const bytes = readFileSync(path);
  const i = bytes.length - 100;
  bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(path, bytes);
}

test('model check: size at load, SHA-256 on request; a manifest without a size is re-hashed', { skip }, async () => {
  const { dir, manifest } = await copyOfModels();
  const onnx = join(dir, YAMNET_ONNX);
  const withSize: YamnetManifest = { ...manifest, bytes: readFileSync(onnx).length };
  writeFileSync(join(dir, YAMNET_MANIFEST), JSON.stringify(withSize));
  assert.ok(yamnetStatus(dir).ok);
  assert.ok(yamnetStatus(dir, { rehash: true }).ok);

  flipOneByte(onnx);
  assert.ok(yamnetStatus(dir).ok, 'the load-time check compares sizes only');
  const rehashed = yamnetStatus(dir, { rehash: true });
  assert.equal(rehashed.ok, false);
  assert.match(rehashed.ok ? '' : rehashed.reason, /does not match its manifest's SHA-256/);

  truncateSync(onnx, 1000);
  const truncated = yamnetStatus(dir);
  assert.equal(truncated.ok, false);
  assert.match(truncated.ok ? '' : truncated.reason, /is not the size its manifest records/);
});

test('model check: an older manifest (no size) is re-hashed, then gets its size recorded', { skip }, async () => {
  const { dir, manifest } = await copyOfModels();
  const { bytes: _dropped, ...old } = manifest;
  writeFileSync(join(dir, YAMNET_MANIFEST), JSON.stringify(old));
  flipOneByte(join(dir, YAMNET_ONNX));
  assert.equal(yamnetStatus(dir).ok, false, 'without a recorded size the load-time check re-hashes');
  flipOneByte(join(dir, YAMNET_ONNX)); // restore

  const status = yamnetStatus(dir, { rehash: true });
  assert.ok(status.ok);
  assert.equal(recordModelSize(dir, status.manifest), true);
  const after = JSON.parse(readFileSync(join(dir, YAMNET_MANIFEST), 'utf8')) as YamnetManifest;
  assert.equal(after.bytes, readFileSync(join(dir, YAMNET_ONNX)).length);
  assert.equal(after.sha256, manifest.sha256);
  assert.equal(recordModelSize(dir, after), false, 'a manifest with a size is left alone');
});
