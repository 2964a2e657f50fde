/** The loopback server's pure security checks and message parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  contentSecurityPolicy,
  isAllowedHost,
  isAllowedOrigin,
  newServerToken,
  parseProtocolHeader,
  tokenMatches,
} from '../../src/server/security.js';
import { parseRequest } from '../../src/server/wire.js';
import { readStatic } from '../../src/server/static-files.js';
import { scratchDir } from '../support/paths.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

test('tokens are fresh, 64 hex characters, and compared exactly', () => {
  const a = newServerToken();
  const b = newServerToken();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
  assert.equal(tokenMatches(a, a), true);
  assert.equal(tokenMatches(a, b), false);
  assert.equal(tokenMatches(a, a.slice(0, 63)), false);
  assert.equal(tokenMatches(a, a.toUpperCase()), false);
  assert.equal(tokenMatches(a, null), false);
});

test('only loopback names with our port are accepted as Host and Origin', () => {
  assert.equal(isAllowedHost('127.0.0.1:8080', 8080), true);
  assert.equal(isAllowedHost('localhost:8080', 8080), true);
  assert.equal(isAllowedHost('LOCALHOST:8080', 8080), true);
  for (const bad of [
    '127.0.0.1:8081',
    '127.0.0.1',
    'evil.example:8080',
    '127.0.0.1.nip.io:8080',
    '[::1]:8080',
    '',
    undefined,
  ]) {
    assert.equal(isAllowedHost(bad, 8080), false, String(bad));
  }
  assert.equal(isAllowedOrigin('http://127.0.0.1:8080', 8080), true);
  assert.equal(isAllowedOrigin('http://localhost:8080', 8080), true);
  assert.equal(isAllowedOrigin(undefined, 8080), true, 'non-browser clients send no Origin; the token still applies');
  for (const bad of ['null', 'http://evil.example', 'https://127.0.0.1:8080', 'http://127.0.0.1:8081', 'file://']) {
    assert.equal(isAllowedOrigin(bad, 8080), false, bad);
  }
});

test('the token travels as a WebSocket subprotocol', () => {
  assert.deepEqual(parseProtocolHeader('auscult.v1, auscult-token.abc'), { wire: true, token: 'abc' });
  assert.deepEqual(parseProtocolHeader('auscult.v1'), { wire: true, token: null });
  assert.deepEqual(parseProtocolHeader(undefined), { wire: false, token: null });
});

test('the CSP allows only our own origin and our own WebSocket', () => {
  const csp = contentSecurityPolicy('127.0.0.1:9000');
  assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:9000/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe|\*/);
});

test('parseRequest names what is wrong with a message', () => {
  assert.deepEqual(parseRequest('{"id":3,"method":"auth.whoami","params":{}}'), {
    ok: true,
    id: 3,
    method: 'auth.whoami',
    params: {},
  });
  assert.deepEqual(parseRequest('{"id":4,"method":"auth.whoami"}'), {
    ok: true,
    id: 4,
    method: 'auth.whoami',
    params: {},
  });
  const cases: Array<[string, number, RegExp]> = [
    ['not json', -1, /not valid JSON/],
    ['null', -1, /JSON object/],
    ['{"method":"auth.whoami"}', -1, /integer "id"/],
    ['{"id":-2,"method":"auth.whoami"}', -1, /integer "id"/],
    ['{"id":5}', 5, /"method"/],
    ['{"id":6,"method":"__proto__"}', 6, /Unknown command/],
  ];
  for (const [raw, id, msg] of cases) {
    const r = parseRequest(raw);
    assert.equal(r.ok, false, raw);
    if (!r.ok) {
      assert.equal(r.id, id, raw);
      assert.equal(r.error.code, 'INVALID_INPUT');
      assert.match(r.error.message, msg, raw);
    }
  }
});

test('readStatic stays inside its folder', () => {
  const dir = scratchDir('auscult-static-');
  const root = join(dir, 'r');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), 'i');
  writeFileSync(join(root, 'assets', 'a.js'), 'a');
  writeFileSync(join(dir, 'x.html'), 'outside');
  assert.equal(readStatic(root, '/')?.body.toString(), 'i');
  assert.equal(readStatic(root, '/assets/a.js')?.immutable, true);
  assert.equal(readStatic(root, '/../x.html'), null);
  assert.equal(readStatic(root, '/%2e%2e/x.html'), null);
  assert.equal(readStatic(root, '/assets/%00.js'), null);
  assert.equal(readStatic(root, '/%E0%A4%A'), null);
  assert.equal(readStatic(root, '/missing.js'), null);
});
