/**
 * Which file of the built renderer a URL path names: the one check both transports use (the
 * loopback server's static files and Electron's app:// protocol), so path safety lives in one place.
 */
import { extname, resolve, sep } from 'node:path';

/** The file types the renderer build contains; anything else is not served. */
export const RENDERER_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/**
 * The absolute file under `root` for a URL path (query ignored; `/` is index.html) and its
 * content type, or null: undecodable escapes, NUL, backslashes, anything resolving outside
 * `root` (`..`, `%2e%2e`) and unknown file types are refused. The file may still not exist.
 */
export function resolveRendererFile(
  root: string,
  urlPath: string,
): { file: string; type: string; path: string } | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const base = resolve(root);
  const file = resolve(base, '.' + path);
  if (!file.startsWith(base + sep)) return null;
  const type = RENDERER_CONTENT_TYPES[extname(file).toLowerCase()];
  return type ? { file, type, path } : null;
}
