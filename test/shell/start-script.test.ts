/**
 * `npm start` and `npm run dist` without Electron's binary (the state of every machine installed
 * with ELECTRON_SKIP_BINARY_DOWNLOAD=1): one clear line with the fix, exit code 1, nothing built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';

interface ElectronEnv {
  NO_ELECTRON_MESSAGE: string;
  findElectron: (root?: string, env?: NodeJS.ProcessEnv) => { ok: boolean; reason?: string };
}
const envModule = (): Promise<ElectronEnv> =>
  import(join(PROJECT_ROOT, 'scripts', 'electron-env.mjs')) as Promise<ElectronEnv>;

// An ELECTRON_OVERRIDE_DIST_PATH with no binary in it: "no Electron" even where one is installed,
// so these tests never launch a real app.
const noElectron = (): NodeJS.ProcessEnv => ({
  ...process.env,
  ELECTRON_OVERRIDE_DIST_PATH: scratchDir('auscult-no-electron-'),
});

for (const script of ['start.mjs', 'dist.mjs']) {
  test(`${script} without Electron's binary: one line with the fix, exit 1`, async () => {
    const { NO_ELECTRON_MESSAGE, findElectron } = await envModule();
    const env = noElectron();
    assert.equal(findElectron(PROJECT_ROOT, env).ok, false);
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', script)], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '', 'nothing is built before the check');
    assert.equal(r.stderr, NO_ELECTRON_MESSAGE + '\n');
    assert.ok(Date.now() - started < 10_000, 'fails fast');
    assert.match(NO_ELECTRON_MESSAGE, /^auscult: Electron's binary is not installed/);
    assert.match(NO_ELECTRON_MESSAGE, /node node_modules\/electron\/install\.js/);
    assert.match(NO_ELECTRON_MESSAGE, /npx auscult serve/);
    assert.doesNotMatch(NO_ELECTRON_MESSAGE, /\n/);
  });
}

test('the Electron lookup never downloads: it only reads path.txt and checks the file', async () => {
  const { findElectron } = await envModule();
  const r = findElectron(scratchDir('auscult-empty-project-'), {});
  assert.equal(r.ok, false);
  assert.match(r.reason ?? '', /electron package is not installed/);
});
