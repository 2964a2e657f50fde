/**
 * The loopback transport against the real workstation service (real SQLite file, no engine):
 * token, Host and Origin checks, static files with CSP, malformed messages. (Sign-in and events
 * are one table over both doors: test/transports/sessions-and-events.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { Workstation } from '../../src/service/workstation.js';
import { startLoopbackServer } from '../../src/server/loopback-server.js';
import type { LoopbackServer } from '../../src/server/loopback-server.js';
import type { WireResponse } from '../../src/service/api.js';
import { WireClient as Client } from '../support/wire-client.js';
import { scratchDir } from '../support/paths.js';
import { USERS, seedUsers } from '../e2e/seed.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawRequest(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, setHost: !('Host' in headers) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

function wsHeaders(port: number, token: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Host: `127.0.0.1:${port}`,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
    'Sec-WebSocket-Protocol': token === null ? 'auscult.v1' : `auscult.v1, auscult-token.${token}`,
    ...extra,
  };
}

const ok = (r: WireResponse): unknown => {
  assert.equal(r.ok, true, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return (r as { result: unknown }).result;
};
const errCode = (r: WireResponse): string => {
  assert.equal(r.ok, false, 'expected an error');
  return (r as { error: { code: string } }).error.code;
};

describe('loopback server', () => {
  let ws: Workstation;
  let server: LoopbackServer;
  let port: number;
  let token: string;
  const clients: Client[] = [];

  before(async () => {
    const dir = scratchDir('auscult-server-');
    const rendererDir = join(dir, 'renderer');
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(rendererDir, 'assets', 'app-abc.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'outside the renderer folder');
    const dbPath = join(dir, 'db.sqlite');
    await seedUsers(dbPath, [USERS.nurse, USERS.doctor]);
    ws = await Workstation.open({ dbPath, dataDir: join(dir, 'data'), engine: null });
    server = await startLoopbackServer({ workstation: ws, rendererDir });
    port = server.port;
    token = server.token;
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    await ws.close();
  });

  const connect = async (): Promise<Client> => {
    const c = await Client.open(port, token);
    clients.push(c);
    return c;
  };

  test('listens on 127.0.0.1 only and prints a URL carrying the token in the fragment', () => {
    assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/#token=[0-9a-f]{64}$`));
  });

  test('serves the UI with a strict CSP and security headers', async () => {
    const r = await rawRequest(port, '/', {});
    assert.equal(r.status, 200);
    assert.match(r.body, /<title>t<\/title>/);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:\/\/(?!127)/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    const asset = await rawRequest(port, '/assets/app-abc.js', {});
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
  });

  test('never serves files outside the renderer folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/..%2fsecret.txt']) {
      const r = await rawRequest(port, path, {});
      assert.notEqual(r.status, 200, path);
      assert.doesNotMatch(r.body, /outside the renderer/, path);
    }
  });

  test('rejects a foreign Host header (DNS rebinding) on pages and on the API', async () => {
    const page = await rawRequest(port, '/', { Host: `evil.example:${port}` });
    assert.equal(page.status, 403);
    const api = await rawRequest(port, '/api/ws', wsHeaders(port, token, { Host: `rebind.attacker.test:${port}` }));
    assert.equal(api.status, 403);
    const okLocalhost = await rawRequest(port, '/', { Host: `localhost:${port}` });
    assert.equal(okLocalhost.status, 200);
  });

  test('rejects API connections without the token or with a wrong one', async () => {
    assert.equal((await rawRequest(port, '/api/ws', wsHeaders(port, null))).status, 401);
    assert.equal((await rawRequest(port, '/api/ws', wsHeaders(port, 'f'.repeat(64)))).status, 401);
    assert.equal((await rawRequest(port, '/api/ws', wsHeaders(port, token.slice(0, 10)))).status, 401);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, ['auscult.v1']);
        s.once('open', resolve);
        s.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        s.once('error', reject);
      }),
      /401/,
    );
    assert.equal((await rawRequest(port, '/api/ws', wsHeaders(port, token))).status, 101);
  });

  test('rejects API connections from another web origin', async () => {
    const foreign = await rawRequest(port, '/api/ws', wsHeaders(port, token, { Origin: 'http://evil.example' }));
    assert.equal(foreign.status, 403);
    const otherPort = await rawRequest(
      port,
      '/api/ws',
      wsHeaders(port, token, { Origin: `http://127.0.0.1:${port + 1}` }),
    );
    assert.equal(otherPort.status, 403);
    const own = await Client.open(port, token, `http://127.0.0.1:${port}`);
    clients.push(own);
    assert.deepEqual(ok(await own.call('auth.whoami', {})), { user: null });
  });

  test('answers only GET and HEAD over plain HTTP', async () => {
    assert.equal((await rawRequest(port, '/', {}, 'POST')).status, 405);
    assert.equal((await rawRequest(port, '/', {}, 'DELETE')).status, 405);
  });

  test('malformed messages get a typed INVALID_INPUT error and change nothing', async () => {
    const c = await connect();
    const auditBefore = ws.internals.store.audit.list({}, 1, 0).total;
    const notJson = await c.sendRaw('{"id": 1, "method": ');
    assert.equal(errCode(notJson), 'INVALID_INPUT');
    assert.equal(notJson.id, -1);
    assert.equal(errCode(await c.sendRaw('[1,2,3]')), 'INVALID_INPUT');
    assert.equal(errCode(await c.sendRaw('{"method":"auth.whoami"}')), 'INVALID_INPUT');
    const unknown = await c.call('patients.drop', {});
    assert.equal(errCode(unknown), 'INVALID_INPUT');
    assert.match((unknown as { error: { message: string } }).error.message, /Unknown command/);
    // signed in, a malformed command still changes nothing
    ok(await c.call('auth.signIn', { username: USERS.nurse.username, password: USERS.nurse.password }));
    const before = ws.internals.store.patients.search(undefined, 1, 0).total;
    assert.equal(
      errCode(await c.call('patients.create', { mrn: 42, givenName: '', familyName: null })),
      'INVALID_INPUT',
    );
    assert.equal(
      errCode(
        await c.call('patients.create', { mrn: 'X1', givenName: 'A', familyName: 'B', extra: '; DROP TABLE patients' }),
      ),
      'INVALID_INPUT',
    );
    assert.equal(ws.internals.store.patients.search(undefined, 1, 0).total, before);
    ok(await c.call('auth.signOut', {}));
    assert.ok(ws.internals.store.audit.list({}, 1, 0).total > auditBefore, 'sign-in/out are audited');
  });

  test('close() ends open connections', async () => {
    const dir = scratchDir('auscult-server2-');
    const dbPath = join(dir, 'db.sqlite');
    await seedUsers(dbPath, [USERS.nurse]);
    const ws2 = await Workstation.open({ dbPath, dataDir: join(dir, 'data'), engine: null });
    const s2 = await startLoopbackServer({ workstation: ws2, rendererDir: dir });
    const c = await Client.open(s2.port, s2.token);
    assert.equal(s2.connections(), 1);
    const closed = new Promise((r) => c.ws.once('close', r));
    await s2.close();
    await closed;
    await ws2.close();
    assert.notEqual(s2.token, token, 'each start has its own token');
  });
});
