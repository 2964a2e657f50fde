#!/usr/bin/env node
// `npm start`: build everything and launch the Electron app.
//   1. Electron's binary must be installed; if not, ONE line says so with the fix, exit 1.
//   2. `npm run build` (TypeScript + renderer), then the sandboxed preload bundle.
//   3. better-sqlite3 and segfault-handler for Electron's ABI in build/electron-native/ (SEPARATE
//      copies: node_modules keeps the Node builds that tests, CLI and server use; see
//      scripts/native-abi.mjs).
//   4. Electron runs the app (package.json "main") with scripts/electron-native-prime.cjs
//      preloaded (NODE_OPTIONS, inherited by the capture helper it forks), which points those
//      modules at the copies.
// `--no-build` skips step 2 (relaunch after a build).
import { spawn, spawnSync } from 'node:child_process';
import { NO_ELECTRON_MESSAGE, PROJECT_ROOT, findElectron } from './electron-env.mjs';

const electron = findElectron();
if (!electron.ok) {
  console.error(NO_ELECTRON_MESSAGE);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: PROJECT_ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    console.error(
      `start: \`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal}); fix the errors above and run npm start again.`,
    );
    process.exit(1);
  }
}

try {
  if (!process.argv.includes('--no-build')) {
    run('npm', ['run', 'build']);
    run(process.execPath, ['scripts/build-preload.mjs']);
  }
  const { buildElectronCopy, electronLaunchEnv } = await import('./native-abi.mjs');
  const nativeDir = await buildElectronCopy(electron);

  const child = spawn(electron.path, ['.'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    env: { ...electronLaunchEnv(nativeDir), ELECTRON_ENABLE_LOGGING: '1' },
  });
  // Ctrl-C reaches Electron, which quits gracefully (any recording is stopped and saved first).
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} catch (err) {
  console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
