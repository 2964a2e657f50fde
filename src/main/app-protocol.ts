/**
 * The custom `app://auscult/` protocol that serves the built renderer from inside the app
 * package. A privileged, standard, secure scheme gives the page a real origin (so 'self' in the
 * CSP means our files and nothing else) without file:// and its access to the whole disk.
 *
 * The handler is a pure function of (root folder, Request) → Response, so it is unit-tested
 * under plain Node with real Fetch API objects.
 */
import { readFile, stat } from 'node:fs/promises';
import type { CustomScheme } from 'electron';
import { resolveRendererFile } from '../service/renderer-files.js';
import { appResponseHeaders } from './csp.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'auscult';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** For protocol.registerSchemesAsPrivileged (before the app is ready). No bypassCSP, no CORS. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true },
};

/** True for URLs inside our app origin (and nothing that merely looks like it). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * The file under `root` a URL names, or null: other hosts, encoded escapes (`..`, `%2e%2e`,
 * backslashes, NUL) and unknown file types are refused. `/` is index.html.
 */
export function resolveAppPath(root: string, url: string): string | null {
  return appTarget(root, url)?.file ?? null;
}

function appTarget(root: string, url: string): { file: string; type: string } | null {
  return isAppUrl(url) ? resolveRendererFile(root, new URL(url).pathname) : null;
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: appResponseHeaders('text/plain; charset=utf-8') });
}

/** The protocol.handle() handler for APP_SCHEME: GET/HEAD of files under `root`, with the CSP header. */
export function createAppProtocolHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
    const target = appTarget(root, request.url);
    if (!target) return plain(404, 'Not found');
    const { file, type } = target;
    try {
      if (!(await stat(file)).isFile()) return plain(404, 'Not found');
      const body = request.method === 'HEAD' ? null : await readFile(file);
      return new Response(body, { status: 200, headers: appResponseHeaders(type) });
    } catch {
      return plain(404, 'Not found');
    }
  };
}
