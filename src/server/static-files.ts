/** Serving the built renderer (dist/renderer) read-only, with no way out of its folder. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveRendererFile } from '../service/renderer-files.js';

/** dist/renderer under the project root (found from this file, in src/ under tsx or dist/src/). */
export function defaultRendererDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dir, 'dist', 'renderer');
}

export interface StaticFile {
  body: Buffer;
  type: string;
  immutable: boolean;
}

/**
 * The file for a URL path, or null. `/` is index.html; hashed Vite assets are immutable.
 * Path safety: resolveRendererFile (shared with Electron's app:// protocol).
 */
export function readStatic(root: string, urlPath: string): StaticFile | null {
  const target = resolveRendererFile(root, urlPath);
  if (!target) return null;
  try {
    if (!statSync(target.file).isFile()) return null;
    return { body: readFileSync(target.file), type: target.type, immutable: target.path.startsWith('/assets/') };
  } catch {
    return null;
  }
}
