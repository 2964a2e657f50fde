/** Serving the built renderer (dist/renderer) read-only, with no way out of its folder. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

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

export interface StaticFile { body: Buffer; type: string; immutable: boolean }

/**
 * The file for a URL path, or null. `/` is index.html; hashed Vite assets are immutable.
 * Paths are decoded, normalised and must stay inside `root` (no `..`, no absolute escapes).
 */
export function readStatic(root: string, urlPath: string): StaticFile | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const base = resolve(root);
  const full = resolve(base, '.' + path);
  if (full !== base && !full.startsWith(base + sep)) return null;
  const type = TYPES[extname(full).toLowerCase()];
  if (!type) return null;
  try {
    if (!statSync(full).isFile()) return null;
    return { body: readFileSync(full), type, immutable: path.startsWith('/assets/') };
  } catch {
    return null;
  }
}
