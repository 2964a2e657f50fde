/** Where tests find the project, the shared models/data beside it, and scratch space. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + start);
    dir = up;
  }
  return dir;
}

/** The project root (works from test/ under tsx and from dist/test/ after the build). */
export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** `../shared` beside the checkout, or AUSCULT_SHARED. */
export const SHARED_DIR = resolve(process.env['AUSCULT_SHARED'] ?? join(PROJECT_ROOT, '..', 'shared'));
export const SHARED_MODELS = join(SHARED_DIR, 'models');
export const KAUH_DIR = join(SHARED_DIR, 'data', 'kauh');
export const SPRSOUND_DIR = join(SHARED_DIR, 'data', 'sprsound');
export const MODELS_DIR = join(PROJECT_ROOT, 'models');

/** A skip reason when the real KAUH recordings are absent, else false. */
export function kauhMissing(): string | false {
  return existsSync(join(KAUH_DIR, 'kauh_index.csv'))
    ? false
    : `real lung recordings not found at ${KAUH_DIR} (set AUSCULT_SHARED to the folder holding data/kauh)`;
}

/** A skip reason when the SPRSound recordings are absent, else false. */
export function sprsoundMissing(): string | false {
  return existsSync(join(SPRSOUND_DIR, 'sprsound_index.csv'))
    ? false
    : `SPRSound not found at ${SPRSOUND_DIR} (set AUSCULT_SHARED to the folder holding data/sprsound)`;
}

export function scratchDir(prefix = 'auscult-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
