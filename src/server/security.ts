/**
 * The loopback server's security checks, as small pure functions (unit-tested in test/server/).
 *
 * Threats: another local user or a web page in the same browser reaching the API. The server
 * binds to 127.0.0.1 only, demands a random per-start token on every API connection, and checks
 * the Host header (DNS rebinding: a hostile name resolving to 127.0.0.1 still sends its own name
 * as Host) and the Origin header (a page from another origin opening a WebSocket to us).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The subprotocol a client offers to speak the Auscult wire protocol. */
export const WIRE_PROTOCOL = 'auscult.v1';
/** Prefix of the subprotocol that carries the per-start token (a header, so it never sits in a URL log). */
export const TOKEN_PROTOCOL_PREFIX = 'auscult-token.';

/** 32 random bytes as hex: unguessable, and a valid HTTP token for the subprotocol header. */
export function newServerToken(): string {
  return randomBytes(32).toString('hex');
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from timing. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Host values we answer to: exactly the loopback names with our port. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return allowedHosts(port).includes(host.toLowerCase());
}

/**
 * A browser always sends Origin on a WebSocket handshake; it must be our own page. Clients that
 * are not browsers (Node scripts, tests) send none and cannot be steered by a web page, so a
 * missing Origin is allowed: the token still has to be right.
 */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return allowedHosts(port).some((h) => origin.toLowerCase() === `http://${h}`);
}

/** Splits a Sec-WebSocket-Protocol header into the wire protocol flag and the token it carries. */
export function parseProtocolHeader(header: string | undefined): { wire: boolean; token: string | null } {
  const parts = (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const tokenPart = parts.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return {
    wire: parts.includes(WIRE_PROTOCOL),
    token: tokenPart ? tokenPart.slice(TOKEN_PROTOCOL_PREFIX.length) : null,
  };
}

/**
 * The page's Content-Security-Policy: only our own scripts and styles, no inline script, no
 * remote anything; the API is reachable only over our own WebSocket; audio plays from blob: URLs.
 */
export function contentSecurityPolicy(host: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    `connect-src 'self' ws://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Headers sent with every response. */
export function securityHeaders(host: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(host),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=()',
  };
}
