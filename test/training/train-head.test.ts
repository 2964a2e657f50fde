/**
 * train-head on real recordings (needs ../shared/data/kauh and a prepared YAMNet), and the
 * shipped head in models/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { KAUH_DIR, MODELS_DIR, PROJECT_ROOT, kauhMissing, scratchDir } from '../support/paths.js';
import { ModelCardSchema } from '../../src/inference/model-card.js';
import { CLASS_ORDER } from '../../src/inference/analysis-types.js';
import { yamnetStatus } from '../../src/inference/models.js';
import { trainHead, type TrainHeadOptions } from '../../src/inference/training/pipeline.js';

/** Largest probability change allowed by the bandwidth check (resampler and filter transition band differences). */
const BANDWIDTH_TOLERANCE = 0.02;

const yamnet = yamnetStatus(MODELS_DIR);
const needsYamnet =
  kauhMissing() ||
  (yamnet.ok ? false : `YAMNet not prepared (${yamnet.reason}): run \`npx auscult models --source ../shared/models\``);

test('the shipped head: card parses, SHA-256 and class order match head.onnx, [N,1024] → [N,5]', async () => {
  const cardPath = join(MODELS_DIR, 'head.card.json');
  assert.ok(existsSync(cardPath), 'models/head.card.json is committed');
  const card = ModelCardSchema.parse(JSON.parse(readFileSync(cardPath, 'utf8')));
  const bytes = readFileSync(join(MODELS_DIR, card.onnxFile));
  assert.equal(createHash('sha256').update(bytes).digest('hex'), card.onnxSha256);
  const meta = Object.fromEntries(
    onnxProto.onnx.ModelProto.decode(bytes).metadataProps.map((p): [string, string] => [p.key ?? '', p.value ?? '']),
  );
  assert.equal(meta['classes'], card.classes.join(','));
  assert.deepEqual(card.classes, [...CLASS_ORDER]);
  assert.equal(card.input.bandwidthHz, 2000);
  assert.match(card.training.citation, /10\.17632\/jwyy9np4gv\.3/);
  assert.match(card.intendedUse, /not a diagnosis/i);
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({
    embedding: new ort.Tensor('float32', new Float32Array(3 * 1024).fill(0.1), [3, 1024]),
  });
  assert.deepEqual(out['logits']!.dims, [3, 5]);
  await session.release();
});

test(
  'train-head twice with the same seed: byte-identical head.onnx, card (JSON and Markdown) and gate',
  { skip: needsYamnet, timeout: 600_000 },
  async () => {
    const run = (out: string) => {
      const opts: TrainHeadOptions = {
        data: KAUH_DIR,
        out,
        seed: 5,
        // the project cache: warm after a full train-head, so this stays fast
        cacheDir: join(PROJECT_ROOT, '.cache', 'embeddings'),
        folds: 2,
        repeats: 1,
        epochs: 2,
        windowSec: 3,
        hopSec: 3,
        otherPolicy: 'exclude',
        model: 'linear',
        patientsPerLabel: 2,
        bootstrapRounds: 100,
        naive: false,
        checkBandwidth: false,
        nonChest: false,
        sprsound: null,
        modelsDir: MODELS_DIR,
        command: 'test',
        log: () => {},
      };
      return trainHead(opts);
    };
    const [da, db] = [scratchDir(), scratchDir()];
    const a = await run(da);
    await run(db);
    for (const f of ['head.onnx', 'head.card.json', 'head.card.md', 'gate.json'])
      assert.ok(readFileSync(join(da, f)).equals(readFileSync(join(db, f))), `${f} differs between two runs`);
    assert.equal(a.card.schema, 'auscult.head-card/2');
    assert.doesNotMatch(a.card.createdAt, /\d{4}-\d\d-\d\dT/, 'no clock time in the card');
    assert.equal(
      a.card.gate?.sha256,
      createHash('sha256')
        .update(readFileSync(join(da, 'gate.json')))
        .digest('hex'),
    );
    // it is a real evaluation: 10 five-class patients, 2 per class
    assert.equal(
      a.card.evaluation.fiveClass.perClass.reduce((s, p) => s + p.patients, 0),
      10,
    );
    const meta = Object.fromEntries(
      onnxProto.onnx.ModelProto.decode(readFileSync(a.onnxPath)).metadataProps.map((p): [string, string] => [
        p.key ?? '',
        p.value ?? '',
      ]),
    );
    assert.equal(meta['classes'], a.card.classes.join(','));
  },
);

test(
  'the shipped head: a recording at 44.1 kHz with loud content above 2 kHz scores like the 4 kHz original',
  { skip: needsYamnet, timeout: 120_000 },
  async () => {
    const { bandwidthCheck } = await import('../../src/inference/training/bandwidth-check.js');
    const files = ['DP1_Asthma,I E W,P L L,70,M.wav', 'DP30_N,N,P R M,18,F.wav'].map((f) => join(KAUH_DIR, 'audio', f));
    const check = await bandwidthCheck(join(MODELS_DIR, 'head.card.json'), MODELS_DIR, files);
    assert.equal(check.recordings, 2);
    assert.ok(check.maxAbsDiff <= BANDWIDTH_TOLERANCE, `max |Δp| ${check.maxAbsDiff} > ${BANDWIDTH_TOLERANCE}`);
    assert.equal(check.sameTopClass, 2);
  },
);
