/**
 * The real main process (src/main/main.ts, compiled) and the real service it opens, run under
 * plain Node with a stand-in for the 'electron' module (test/shell/standin/): Electron's binary
 * cannot run here, so this is how the wiring of main.ts is exercised: what is registered before
 * and after 'ready', the window's options, the app:// handler, IPC as our page and as a
 * stranger, the guards, and closing the window turning into a graceful quit. The stand-in plays
 * Electron's documented lifecycle; everything on our side is real (SQLite file, log file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { seedUsers, USERS } from '../e2e/seed.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/csp.js';

const UNDER_TSX = fileURLToPath(import.meta.url).endsWith('.ts');
const rendererMissing = existsSync(join(PROJECT_ROOT, 'dist', 'renderer', 'index.html'))
  ? false
  : 'the renderer is not built: run `npm run build`';

interface Reply {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string };
}
interface Report {
  calls: string[];
  windows: Array<{ options: { webPreferences: Record<string, unknown> } }>;
  errors: string[];
  menu: string[];
  schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>;
  driver: {
    error?: string;
    index: { status: number; csp: string };
    escapeStatus: number;
    strangerSignIn: Reply;
    signIn: Reply;
    whoami: Reply;
    bogus: Reply;
    navigationPrevented: boolean;
    windowOpen: { action: string };
    permission: boolean;
    permissionCheck: boolean;
    remoteRequest: { cancel: boolean };
    appRequest: { cancel: boolean };
    firstClosePrevented: boolean;
  };
}

test(
  'main process: locks before ready, hardened window, IPC for our page only, close = graceful quit',
  { skip: rendererMissing, timeout: 120_000 },
  async () => {
    const dir = scratchDir('auscult-main-');
    const dataDir = join(dir, 'data');
    await seedUsers(join(dataDir, 'auscult.sqlite'), [USERS.nurse]);
    const entry = UNDER_TSX
      ? ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'main', 'main.ts')]
      : [join(PROJECT_ROOT, 'dist', 'src', 'main', 'main.js')];
    const r = spawnSync(
      process.execPath,
      ['--import', join(PROJECT_ROOT, 'test', 'shell', 'standin', 'register.mjs'), ...entry],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        timeout: 100_000,
        env: {
          ...process.env,
          AUSCULT_DATA_DIR: dataDir,
          AUSCULT_MODELS_DIR: join(dir, 'no-models'), // the engine fails fast; the app must still work
          STANDIN_APP_PATH: PROJECT_ROOT,
          STANDIN_USER: USERS.nurse.username,
          STANDIN_PASSWORD: USERS.nurse.password,
        },
      },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('STANDIN-REPORT '));
    assert.ok(line, `no report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(line.slice('STANDIN-REPORT '.length)) as Report;
    const d = report.driver;
    assert.equal(d.error, undefined);
    assert.deepEqual(report.errors, []);

    // Order: the scheme before ready; every lock before the page loads.
    const at = (c: string) => report.calls.indexOf(c);
    assert.ok(
      at('registerSchemesAsPrivileged') >= 0 && at('registerSchemesAsPrivileged') < at('ready'),
      report.calls.join(' > '),
    );
    assert.ok(at('enableSandbox') >= 0 && at('enableSandbox') < at('ready'), report.calls.join(' > '));
    assert.deepEqual(
      report.schemes.map((s) => s.scheme),
      ['app'],
    );
    assert.ok(at('requestSingleInstanceLock') >= 0);
    for (const c of [
      'setPermissionRequestHandler',
      'setPermissionCheckHandler',
      'setDevicePermissionHandler',
      'webRequest.onBeforeRequest',
      'protocol.handle app',
      'setApplicationMenu',
      'ipcMain.handle auscult:call',
    ]) {
      assert.ok(
        at(c) > at('ready') && at(c) < at('loadURL app://auscult/index.html'),
        `${c}: ${report.calls.join(' > ')}`,
      );
    }
    assert.deepEqual(report.menu, ['File', 'Edit', 'View', 'Window']);

    // One window, with the hardened options and our preload.
    assert.equal(report.windows.length, 1);
    const prefs = report.windows[0]?.options.webPreferences ?? {};
    assert.equal(prefs['contextIsolation'], true);
    assert.equal(prefs['sandbox'], true);
    assert.equal(prefs['nodeIntegration'], false);
    assert.equal(prefs['preload'], join(PROJECT_ROOT, 'dist', 'preload', 'preload.cjs'));

    // app:// serves the built renderer with the CSP header, and nothing outside it.
    assert.deepEqual(d.index, { status: 200, csp: CONTENT_SECURITY_POLICY });
    assert.equal(d.escapeStatus, 404);

    // IPC: a stranger is refused before the service; our page signs in without seeing the token.
    assert.equal(d.strangerSignIn.ok, false);
    assert.equal(d.strangerSignIn.error?.code, 'FORBIDDEN');
    assert.equal(d.signIn.ok, true, JSON.stringify(d.signIn));
    assert.equal(d.signIn.result?.['token'], '');
    assert.equal((d.whoami.result?.['user'] as { username: string } | undefined)?.username, USERS.nurse.username);
    assert.equal(d.bogus.error?.code, 'INVALID_INPUT');

    // Guards wired to the real webContents and session.
    assert.equal(d.navigationPrevented, true);
    assert.deepEqual(d.windowOpen, { action: 'deny' });
    assert.equal(d.permission, false);
    assert.equal(d.permissionCheck, false);
    assert.deepEqual(d.remoteRequest, { cancel: true });
    assert.deepEqual(d.appRequest, { cancel: false });

    // Closing the window quits through the graceful path: the first quit is held for the shutdown.
    assert.equal(d.firstClosePrevented, true);
    assert.ok(at('before-quit prevented') > at('app.quit'));
    assert.equal(report.calls.at(-1), 'quit');

    const log = readFileSync(join(dataDir, 'logs', 'main.log'), 'utf8');
    assert.match(log, /ipc: signed in \{"user":"nina","peer":"electron-window-1"\}/);
    assert.match(log, /ipc: message refused/);
    assert.match(log, /shutdown: done \{"stopped":0,"cancelled":0,"timedOut":false\}/);
    assert.doesNotMatch(log, new RegExp(USERS.nurse.password), 'no secrets in the log');
  },
);

test(
  'main process: a start-up failure is shown in one dialog with the fix, logged, and exits 1',
  { timeout: 60_000 },
  () => {
    const dir = scratchDir('auscult-main-fail-');
    const entry = UNDER_TSX
      ? ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'main', 'main.ts')]
      : [join(PROJECT_ROOT, 'dist', 'src', 'main', 'main.js')];
    const r = spawnSync(
      process.execPath,
      ['--import', join(PROJECT_ROOT, 'test', 'shell', 'standin', 'register.mjs'), ...entry],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        timeout: 50_000,
        // An app folder without a built renderer.
        env: { ...process.env, AUSCULT_DATA_DIR: join(dir, 'data'), STANDIN_APP_PATH: join(dir, 'empty-app') },
      },
    );
    assert.equal(r.status, 1, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('STANDIN-REPORT '));
    assert.ok(line);
    const report = JSON.parse(line.slice('STANDIN-REPORT '.length)) as Report;
    assert.equal(report.errors.length, 1);
    assert.match(
      report.errors[0] ?? '',
      /^Auscult could not start: The user interface is not built .* Run `npm run build`/,
    );
    assert.equal(report.windows.length, 0, 'no window for a broken start');
    assert.equal(report.calls.at(-1), 'app.exit(1)');
    assert.match(readFileSync(join(dir, 'data', 'logs', 'main.log'), 'utf8'), /ERROR start-up failed/);
  },
);
