/** Where the models live: <project>/models, or AUSCULT_MODELS_DIR. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the first folder above this file holding package.json (works from src/ and dist/src/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export function defaultModelsDir(): string {
  const env = process.env['AUSCULT_MODELS_DIR'];
  return env ? resolve(env) : join(projectRoot(), 'models');
}

export const YAMNET_ONNX = 'yamnet.onnx';
export const YAMNET_MANIFEST = 'yamnet.json';
export const CLASS_MAP = 'yamnet_class_map.csv';
export const DEFAULT_HEAD_CARD = 'head.card.json';
export const DEFAULT_SOUNDS_CARD = 'sounds.card.json';
