/** The Electron shell's security pieces, as pure functions (Electron itself cannot run here). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainWindowOptions } from '../../src/main/window-options.js';
import { CONTENT_SECURITY_POLICY, CSP_DIRECTIVES } from '../../src/main/csp.js';
import { contentSecurityPolicy as loopbackCsp } from '../../src/server/security.js';
import {
  APP_INDEX_URL,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
  isAppUrl,
  resolveAppPath,
} from '../../src/main/app-protocol.js';
import {
  denyDevicePermission,
  denyPermissionCheck,
  denyPermissionRequest,
  denyWebview,
  denyWindowOpen,
  guardNavigation,
  navigationAllowed,
  requestAllowed,
} from '../../src/main/guards.js';
import { checkSender, parseIpcCall } from '../../src/main/ipc-guard.js';
import { applicationMenuTemplate, menuRoles } from '../../src/main/menu.js';
import { shellPaths } from '../../src/main/app-paths.js';
import { COMMAND_NAMES } from '../../src/service/api.js';
import { scratchDir } from '../support/paths.js';

test('window options: every item of the security baseline is set explicitly', () => {
  const o = mainWindowOptions({ preload: '/app/dist/preload/preload.cjs', devTools: false });
  const w = o.webPreferences ?? {};
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.webviewTag, false);
  assert.equal(w.experimentalFeatures, false);
  assert.equal(w.spellcheck, false, 'the spellchecker would download dictionaries');
  assert.equal(w.navigateOnDragDrop, false);
  assert.equal(w.devTools, false);
  assert.equal(w.preload, '/app/dist/preload/preload.cjs');
  assert.equal(o.show, false);
  assert.equal(mainWindowOptions({ preload: 'p', devTools: true }).webPreferences?.devTools, true);
});

test('CSP: nothing by default, only our own scripts, no inline or eval, no network', () => {
  const d = new Map(CSP_DIRECTIVES);
  assert.equal(d.get('default-src'), "'none'");
  assert.equal(d.get('script-src'), "'self'");
  assert.equal(d.get('connect-src'), "'self'");
  assert.equal(d.get('object-src'), "'none'");
  assert.equal(d.get('base-uri'), "'none'");
  assert.equal(d.get('frame-ancestors'), "'none'");
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:|ws:|\*/);
  assert.equal(CONTENT_SECURITY_POLICY.split('; ').length, CSP_DIRECTIVES.length);
});

test('CSP: the same page policy as the loopback server, except the API connection', () => {
  // The UI is tested in Chromium under the loopback CSP; it must work unchanged in Electron.
  const parse = (csp: string) =>
    new Map(
      csp
        .split(';')
        .map((p) => p.trim().split(/\s+/))
        .map(([k, ...v]) => [k as string, v.join(' ')]),
    );
  const ours = parse(CONTENT_SECURITY_POLICY);
  const theirs = parse(loopbackCsp('127.0.0.1:8123'));
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
  for (const [k, v] of ours) if (k !== 'connect-src') assert.equal(v, theirs.get(k), k);
  assert.equal(ours.get('connect-src'), "'self'");
});

test('app:// scheme: standard and secure, without CSP bypass or CORS', () => {
  assert.equal(APP_SCHEME_PRIVILEGES.scheme, 'app');
  assert.equal(APP_SCHEME_PRIVILEGES.privileges?.standard, true);
  assert.equal(APP_SCHEME_PRIVILEGES.privileges?.secure, true);
  assert.notEqual(APP_SCHEME_PRIVILEGES.privileges?.bypassCSP, true);
  assert.notEqual(APP_SCHEME_PRIVILEGES.privileges?.corsEnabled, true);
  assert.equal(APP_INDEX_URL, 'app://auscult/index.html');
});

test('app:// URLs: our origin only; paths cannot leave the renderer folder', () => {
  assert.ok(isAppUrl('app://auscult/index.html'));
  assert.ok(!isAppUrl('app://evil/index.html'));
  assert.ok(!isAppUrl('app://user@auscult/index.html'));
  assert.ok(!isAppUrl('https://auscult/index.html'));
  assert.ok(!isAppUrl('file:///etc/passwd'));
  assert.ok(!isAppUrl('not a url'));
  const root = '/srv/renderer';
  assert.equal(resolveAppPath(root, 'app://auscult/'), '/srv/renderer/index.html');
  assert.equal(resolveAppPath(root, 'app://auscult/assets/main-1a2b.js?x=1'), '/srv/renderer/assets/main-1a2b.js');
  // The URL parser already folds plain dot segments back inside the origin's root.
  assert.equal(resolveAppPath(root, 'app://auscult/../secret.html'), '/srv/renderer/secret.html');
  assert.equal(resolveAppPath(root, 'app://auscult/%2e%2e/secret.html'), '/srv/renderer/secret.html');
  for (const bad of [
    'app://auscult/assets/%2e%2e%2f%2e%2e%2fsecret.html',
    'app://auscult/..%5csecret.html',
    'app://auscult/index.html%00.js',
    'app://auscult/%E0%A4%A.js',
    'app://auscult/server.key',
    'app://other/index.html',
  ]) {
    assert.equal(resolveAppPath(root, bad), null, bad);
  }
});

test('app:// handler serves real files with the CSP header, and refuses everything else', async () => {
  const dir = scratchDir('auscult-app-');
  const root = join(dir, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Auscult</title>');
  writeFileSync(join(root, 'assets', 'main.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.html'), 'patient data');
  const handle = createAppProtocolHandler(root);

  const index = await handle(new Request('app://auscult/'));
  assert.equal(index.status, 200);
  assert.equal(await index.text(), '<!doctype html><title>Auscult</title>');
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(index.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');

  const js = await handle(new Request('app://auscult/assets/main.js'));
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');

  const head = await handle(new Request('app://auscult/index.html', { method: 'HEAD' }));
  assert.equal(head.status, 200);

  for (const url of [
    'app://auscult/%2e%2e/secret.html',
    'app://auscult/missing.js',
    'app://other/index.html',
    'app://auscult/assets',
  ]) {
    const r = await handle(new Request(url));
    assert.equal(r.status, 404, url);
    assert.equal(r.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.doesNotMatch(await r.text(), /patient/);
  }
  const post = await handle(new Request('app://auscult/index.html', { method: 'POST', body: 'x' }));
  assert.equal(post.status, 405);
});

test('navigation: only within app://auscult; everything else is cancelled', () => {
  let prevented = 0;
  const ev = {
    preventDefault: () => {
      prevented++;
    },
  };
  assert.equal(guardNavigation(ev, 'app://auscult/index.html#/patients'), true);
  assert.equal(prevented, 0);
  for (const url of [
    'https://example.com/',
    'http://127.0.0.1:8080/',
    'file:///etc/passwd',
    'app://elsewhere/',
    'javascript:alert(1)',
    'data:text/html,<h1>x',
  ]) {
    assert.equal(navigationAllowed(url), false, url);
    assert.equal(guardNavigation(ev, url), false, url);
  }
  assert.equal(prevented, 6);
});

test('new windows, webviews and every permission are denied', () => {
  assert.deepEqual(denyWindowOpen(), { action: 'deny' });
  let prevented = false;
  denyWebview({ preventDefault: () => (prevented = true) });
  assert.ok(prevented);
  for (const permission of [
    'media',
    'geolocation',
    'notifications',
    'clipboard-read',
    'usb',
    'serial',
    'hid',
    'openExternal',
  ]) {
    let granted: boolean | undefined;
    denyPermissionRequest(null, permission, (g) => (granted = g));
    assert.equal(granted, false, permission);
  }
  assert.equal(denyPermissionCheck(), false);
  assert.equal(denyDevicePermission(), false);
});

test('requests: app://, its own blob: URLs and data: only; devtools only in development', () => {
  assert.ok(requestAllowed('app://auscult/assets/x.js', false));
  assert.ok(requestAllowed('blob:app://auscult/6f1c-22', false));
  assert.ok(requestAllowed('data:image/png;base64,AAAA', false));
  for (const url of [
    'https://fonts.googleapis.com/css',
    'http://127.0.0.1/',
    'ws://127.0.0.1/',
    'file:///etc/passwd',
    'blob:https://evil/1',
    'app://evil/x.js',
    'devtools://devtools/bundled/x.js',
  ]) {
    assert.equal(requestAllowed(url, false), false, url);
  }
  assert.ok(requestAllowed('devtools://devtools/bundled/x.js', true));
  assert.equal(requestAllowed('https://example.com/', true), false);
});

test('sender check: our webContents, its top frame, on the app origin', () => {
  const ids = new Set([7]);
  const top = { url: 'app://auscult/index.html', parent: null };
  assert.deepEqual(checkSender({ sender: { id: 7 }, senderFrame: top }, ids), { ok: true });
  const refused = [
    { sender: { id: 8 }, senderFrame: top },
    { sender: { id: 7 }, senderFrame: null },
    { sender: { id: 7 }, senderFrame: { url: 'app://auscult/frame.html', parent: top } },
    { sender: { id: 7 }, senderFrame: { url: 'https://evil.example/', parent: null } },
    { sender: { id: 7 }, senderFrame: { url: 'app://other/index.html', parent: null } },
    { sender: { id: 7 }, senderFrame: { url: 'file:///tmp/x.html', parent: null } },
  ];
  for (const e of refused) {
    const v = checkSender(e, ids);
    assert.equal(v.ok, false, JSON.stringify(e));
    if (!v.ok) assert.ok(v.reason.length > 0);
  }
});

test('payload validation: { method, params } with a known command and object params only', () => {
  for (const method of COMMAND_NAMES) assert.equal(parseIpcCall({ method, params: {} }).ok, true, method);
  const ok = parseIpcCall({ method: 'patients.get', params: { id: 3 } });
  assert.deepEqual(ok, { ok: true, method: 'patients.get', params: { id: 3 } });
  assert.deepEqual(parseIpcCall({ method: 'system.status' }), { ok: true, method: 'system.status', params: {} });
  const bad: unknown[] = [
    null,
    'auth.signIn',
    [],
    { method: 'process.exit', params: {} },
    { method: '__proto__', params: {} },
    { method: 42, params: {} },
    { method: 'patients.get', params: [1] },
    { method: 'patients.get', params: 'id=1' },
    { method: 'patients.get', params: null },
    { method: 'patients.get', params: {}, extra: true },
    { method: 'patients.get', params: new Date() },
  ];
  for (const b of bad) {
    const r = parseIpcCall(b);
    assert.equal(r.ok, false, JSON.stringify(b));
    if (!r.ok) assert.equal(r.error.code, 'INVALID_INPUT');
  }
});

test('menu: the usual roles, quit on every platform, DevTools only in development', () => {
  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    const roles = menuRoles(applicationMenuTemplate({ platform, appName: 'Auscult', devTools: false }));
    for (const r of [
      'quit',
      'undo',
      'redo',
      'cut',
      'copy',
      'paste',
      'selectAll',
      'resetZoom',
      'zoomIn',
      'zoomOut',
      'togglefullscreen',
      'minimize',
    ]) {
      assert.ok(roles.includes(r), `${platform}: ${r}`);
    }
    assert.ok(!roles.includes('toggleDevTools'), platform);
  }
  assert.ok(
    menuRoles(applicationMenuTemplate({ platform: 'linux', appName: 'Auscult', devTools: true })).includes(
      'toggleDevTools',
    ),
  );
  const items = JSON.stringify(applicationMenuTemplate({ platform: 'linux', appName: 'Auscult', devTools: true }));
  assert.doesNotMatch(items, /https?:/, 'no menu item opens a web page');
});

test('paths: the packaged app reads models from app.asar.unpacked', () => {
  const dev = shellPaths('/work/auscult', false);
  assert.equal(dev.modelsDir, '/work/auscult/models');
  assert.equal(dev.preload, '/work/auscult/dist/preload/preload.cjs');
  assert.equal(dev.rendererDir, '/work/auscult/dist/renderer');
  const packed = shellPaths('/opt/Auscult/resources/app.asar', true);
  assert.equal(packed.modelsDir, '/opt/Auscult/resources/app.asar.unpacked/models');
  assert.equal(packed.rendererDir, '/opt/Auscult/resources/app.asar/dist/renderer');
});
