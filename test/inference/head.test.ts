// The head contract: a real ONNX head (ARCHITECTURE.md layout) run by onnxruntime, checked
// against a float64 evaluation of the same weights; and every way a head can be unusable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadSession, onnxMetadata } from '../../src/inference/head-session.js';
import { ModelError } from '../../src/inference/errors.js';
import { headLogitsReference, headOnnx, makeHead, makeHeadWeights, prng } from '../support/make-head.js';
import { scratchDir } from '../support/paths.js';

const isModelError = (code: string, re?: RegExp) => (e: unknown) =>
  e instanceof ModelError && e.code === code && (re ? re.test(e.message) : true);

test('a contract head runs in onnxruntime and matches a float64 evaluation of its weights', async () => {
  const dir = scratchDir();
  const made = makeHead(dir, { seed: 7 });
  const head = await HeadSession.load(made.cardPath);
  try {
    assert.equal(head.card.name, 'test-head');
    assert.deepEqual(onnxMetadata(readFileSync(made.onnxPath)), { classes: 'asthma,copd,pneumonia,healthy,bronchial' });
    const r = prng(3);
    const count = 3;
    // embeddings look like YAMNet's: non-negative (post-ReLU means), mostly below 1
    const emb = Float32Array.from({ length: count * 1024 }, () => Math.max(0, r() * 1.2 - 0.4));
    const logits = await head.logits(emb, count);
    assert.equal(logits.length, count * 5);
    for (let n = 0; n < count; n++) {
      const ref = headLogitsReference(made.weights, emb.subarray(n * 1024, (n + 1) * 1024));
      ref.forEach((v, j) =>
        assert.ok(
          Math.abs(logits[n * 5 + j]! - v) < 1e-4 * Math.max(1, Math.abs(v)),
          `row ${n} class ${j}: ${logits[n * 5 + j]} vs ${v}`,
        ),
      );
    }
  } finally {
    await head.close();
  }
});

test('a head whose outputs are in another order is mapped by its card', async () => {
  const dir = scratchDir();
  const classes = ['healthy', 'asthma', 'copd', 'pneumonia', 'bronchial'] as const;
  const made = makeHead(dir, { classes });
  const head = await HeadSession.load(made.cardPath);
  try {
    assert.deepEqual(head.outputIndex, { healthy: 0, asthma: 1, copd: 2, pneumonia: 3, bronchial: 4 });
  } finally {
    await head.close();
  }
});

test('unusable heads are refused with a ModelError that says why', async () => {
  const dir = scratchDir();
  await assert.rejects(
    HeadSession.load(join(dir, 'head.card.json')),
    isModelError('HEAD_MISSING', /no classifier head/),
  );

  const made = makeHead(dir, { name: 'h' });
  // the card's ONNX file is gone
  const card = JSON.parse(readFileSync(made.cardPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'gone.card.json'), JSON.stringify({ ...card, onnxFile: 'gone.onnx' }));
  await assert.rejects(HeadSession.load(join(dir, 'gone.card.json')), isModelError('HEAD_MISSING', /gone\.onnx/));

  // the ONNX file was replaced by another head: its SHA-256 no longer matches the card
  const other = makeHead(scratchDir(), { name: 'h', seed: 99 });
  writeFileSync(made.onnxPath, readFileSync(other.onnxPath));
  await assert.rejects(HeadSession.load(made.cardPath), isModelError('HEAD_INVALID', /does not match its model card/));

  // metadata says a different class order than the card
  const swapped = makeHead(scratchDir(), { name: 'x' });
  const bytes = headOnnx(makeHeadWeights(1), ['copd', 'asthma', 'pneumonia', 'healthy', 'bronchial']);
  writeFileSync(swapped.onnxPath, bytes);
  const c2 = JSON.parse(readFileSync(swapped.cardPath, 'utf8')) as Record<string, unknown>;
  const { createHash } = await import('node:crypto');
  writeFileSync(
    swapped.cardPath,
    JSON.stringify({ ...c2, onnxSha256: createHash('sha256').update(bytes).digest('hex') }),
  );
  await assert.rejects(HeadSession.load(swapped.cardPath), isModelError('HEAD_INVALID', /declares classes/));

  // a card that does not follow the schema, and one that is not JSON
  writeFileSync(join(dir, 'bad.card.json'), JSON.stringify({ ...card, schema: 'something-else' }));
  await assert.rejects(HeadSession.load(join(dir, 'bad.card.json')), isModelError('HEAD_INVALID', /schema/));
  writeFileSync(join(dir, 'broken.card.json'), '{ not json');
  await assert.rejects(HeadSession.load(join(dir, 'broken.card.json')), isModelError('HEAD_INVALID', /not valid JSON/));
});
