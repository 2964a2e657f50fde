// Where Electron's binary is, without `require('electron')`: that package's index.js tries to
// DOWNLOAD the binary when it is missing, and our machines have no internet. Used by start.mjs,
// dist.mjs and test/shell.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The one line printed (and exit 1) when the binary is absent. */
export const NO_ELECTRON_MESSAGE =
  "auscult: Electron's binary is not installed (skipped at install time: ELECTRON_SKIP_BINARY_DOWNLOAD=1 or no internet). " +
  'Fix: with internet, run `node node_modules/electron/install.js` (or reinstall without ELECTRON_SKIP_BINARY_DOWNLOAD); ' +
  'without it, run `npx auscult serve` to open the workstation in a browser.';

/**
 * { ok: true, path, version, abi } when node_modules/electron has its binary (or
 * ELECTRON_OVERRIDE_DIST_PATH points at one), else { ok: false, reason }.
 */
export function findElectron(root = PROJECT_ROOT, env = process.env) {
  const pkgDir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkgDir, 'package.json'))) return { ok: false, reason: 'the electron package is not installed' };
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const abi = existsSync(join(pkgDir, 'abi_version')) ? readFileSync(join(pkgDir, 'abi_version'), 'utf8').trim() : null;
  const pathTxt = join(pkgDir, 'path.txt');
  const exe = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : null;
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist');
  if (!exe) return { ok: false, reason: `${pathTxt} is missing`, version, abi };
  const path = join(distDir, exe);
  if (!existsSync(path)) return { ok: false, reason: `${path} is missing`, version, abi };
  return { ok: true, path, distDir, version, abi };
}
