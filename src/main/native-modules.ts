/**
 * Development only (`npm start`): node_modules holds better-sqlite3 compiled for Node (the tests,
 * CLI and server use it), and scripts/native-abi.mjs builds a copy for Electron's ABI under
 * build/electron-native/. This loads that copy's addon and registers it in Node's module cache
 * under the path better-sqlite3 looks for its addon, so `new Database()` in the store uses the
 * Electron build while node_modules stays untouched. A packaged app needs none of this:
 * electron-builder compiles its own node_modules for Electron.
 */
import { existsSync, realpathSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

export class NativeModuleError extends Error {
  override readonly name = 'NativeModuleError';
  constructor(readonly code: 'ELECTRON_BUILD_MISSING', message: string) {
    super(message);
  }
}

const ADDON = join('build', 'Release', 'better_sqlite3.node');

/**
 * Makes better-sqlite3 (resolved from `fromUrl`) use the addon under
 * `<modulesDir>/better-sqlite3/`. Call before anything opens a database. Returns the addon used.
 */
export function preferNativeBuilds(modulesDir: string, fromUrl: string = import.meta.url): string {
  const require = createRequire(fromUrl);
  const pkgDir = dirname(require.resolve('better-sqlite3/package.json'));
  const replacement = join(modulesDir, 'better-sqlite3', ADDON);
  if (!existsSync(replacement)) {
    throw new NativeModuleError(
      'ELECTRON_BUILD_MISSING',
      `The Electron build of better-sqlite3 is missing (${replacement}). Start the app with \`npm start\`, which builds it.`,
    );
  }
  // better-sqlite3 finds its addon through the `bindings` package, which require()s this path.
  const expected = join(pkgDir, ADDON);
  const key = existsSync(expected) ? realpathSync(expected) : expected;
  const mod = new Module(key);
  mod.filename = key;
  process.dlopen(mod, replacement);
  mod.loaded = true;
  require.cache[key] = mod;
  return replacement;
}
