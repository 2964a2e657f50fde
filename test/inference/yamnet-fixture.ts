/**
 * The converted YAMNet for tests: models/ when a valid model is there (the runner may have run
 * `auscult models --if-missing`), else built once per test process from ../shared/models into
 * a scratch folder. Skips with a reason when neither is available.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { MODELS_DIR, SHARED_MODELS } from '../support/paths.js';
import { CONVERTER_VERSION } from '../../src/inference/yamnet-convert.js';
import { prepareYamnet, yamnetStatus } from '../../src/inference/models.js';

export const SHARED_TFLITE = join(SHARED_MODELS, 'yamnet.tflite');

export function tfliteMissing(): string | false {
  return existsSync(SHARED_TFLITE)
    ? false
    : `YAMNet TFLite not found at ${SHARED_TFLITE} (set AUSCULT_SHARED to the folder holding models/yamnet.tflite)`;
}

let built: Promise<string> | null = null;

/**
 * A folder holding a valid yamnet.onnx + yamnet.json + yamnet_class_map.csv: models/ if valid,
 * else a cache in the temp folder shared by the test processes (the conversion is deterministic
 * and files are renamed into place, so processes building it at once write identical files).
 */
export function yamnetModelsDir(): Promise<string> {
  if (yamnetStatus(MODELS_DIR).ok) return Promise.resolve(MODELS_DIR);
  built ??= (async () => {
    const dir = join(tmpdir(), `auscult-test-yamnet-${CONVERTER_VERSION}`);
    if (yamnetStatus(dir).ok) return dir;
    await prepareYamnet({
      modelsDir: dir,
      source: {
        kind: 'path',
        tflite: SHARED_TFLITE,
        classMap: join(SHARED_MODELS, 'yamnet_class_map.csv'),
        label: SHARED_TFLITE,
      },
    });
    return dir;
  })();
  return built;
}

/** Skip reason when neither a valid models/ nor the shared TFLite is available. */
export function yamnetUnavailable(): string | false {
  if (yamnetStatus(MODELS_DIR).ok) return false;
  return tfliteMissing();
}
