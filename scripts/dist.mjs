#!/usr/bin/env node
// `npm run dist`: installers for the current platform with electron-builder
// (electron-builder.yml: AppImage + deb on Linux, NSIS on Windows, dmg on macOS).
// It packages the LOCAL Electron binary (electronDist), so it needs that binary like `npm start`.
// electron-builder rebuilds native modules for Electron in node_modules itself; the Node builds
// of the ABI-specific addons are saved first and put back afterwards (even on failure), so
// `npm test` keeps working, and checked at the end.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { NO_ELECTRON_MESSAGE, PROJECT_ROOT, findElectron } from './electron-env.mjs';
import { checkNodeBuild, nodeAddons } from './native-abi.mjs';

const electron = findElectron();
if (!electron.ok) {
  console.error(NO_ELECTRON_MESSAGE);
  process.exit(1);
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: PROJECT_ROOT, stdio: 'inherit', env, shell: process.platform === 'win32' });
  return r.status === 0;
}

if (!run('npm', ['run', 'build']) || !run(process.execPath, ['scripts/build-preload.mjs'])) {
  console.error('dist: the build failed (see above); nothing was packaged.');
  process.exit(1);
}

const savedDir = join(PROJECT_ROOT, 'build', 'node-native');
mkdirSync(savedDir, { recursive: true });
const saved = nodeAddons()
  .filter((a) => existsSync(a))
  .map((addon, i) => {
    const copy = join(savedDir, `${i}-${basename(addon)}`);
    copyFileSync(addon, copy);
    return { addon, copy };
  });
let ok;
try {
  ok = run(process.execPath, [
    join(PROJECT_ROOT, 'node_modules', 'electron-builder', 'cli.js'),
    '--config',
    'electron-builder.yml',
    '--publish',
    'never',
  ]);
} finally {
  for (const { addon, copy } of saved) copyFileSync(copy, addon);
}
const check = checkNodeBuild();
(check.ok ? console.log : console.error)(check.line);
if (!ok) console.error('dist: electron-builder failed (see above).');
else console.log('dist: installers are in release/');
process.exit(ok && check.ok ? 0 : 1);
