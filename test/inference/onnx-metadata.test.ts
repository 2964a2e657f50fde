// The ONNX metadata reader against protobufjs's full decode (onnx-proto) of the same files: the
// shipped models, a model written with many metadata entries, and damaged bytes (refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { readOnnxMetadata } from '../../src/inference/onnx-metadata.js';
import { MODELS_DIR } from '../support/paths.js';

function byProtobufjs(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of onnxProto.onnx.ModelProto.decode(bytes).metadataProps) if (p.key) out[p.key] = p.value ?? '';
  return out;
}

test('ONNX metadata: the same key/value pairs as a full protobuf decode, for every shipped model', () => {
  const files = ['head.onnx', 'sounds.onnx', 'quality.onnx', 'yamnet.onnx'].filter((f) =>
    existsSync(join(MODELS_DIR, f)),
  );
  assert.ok(files.includes('head.onnx'), 'models/head.onnx is committed');
  for (const f of files) {
    const bytes = readFileSync(join(MODELS_DIR, f));
    assert.deepEqual(readOnnxMetadata(bytes), byProtobufjs(bytes), f);
  }
});

test('ONNX metadata: many entries, Unicode values, other fields around them', () => {
  const { ModelProto } = onnxProto.onnx;
  const props = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `wert ${'é'.repeat(i)} ✓` }));
  const bytes = ModelProto.encode(
    ModelProto.create({
      irVersion: 9,
      producerName: 'test',
      docString: 'x'.repeat(300),
      metadataProps: props,
      opsetImport: [{ domain: '', version: 17 }],
    }),
  ).finish();
  const got = readOnnxMetadata(bytes);
  assert.deepEqual(got, byProtobufjs(bytes));
  assert.equal(Object.keys(got).length, 40);
  assert.equal(got['k3'], 'wert ééé ✓');
  assert.deepEqual(readOnnxMetadata(new Uint8Array(0)), {});
});

test('ONNX metadata: truncated or malformed bytes are refused, not misread', () => {
  const bytes = readFileSync(join(MODELS_DIR, 'head.onnx'));
  // cut inside the last field: a length that runs past the end
  assert.throws(() => readOnnxMetadata(bytes.subarray(0, bytes.length - 3)), /past the end|truncated/);
  assert.throws(() => readOnnxMetadata(Uint8Array.from([0x0b])), /wire type 3/); // a group start
  assert.throws(() => readOnnxMetadata(Uint8Array.from([0x08, 0x80])), /truncated varint/);
});
