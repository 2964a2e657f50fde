// Development only (`npm start`). node_modules holds the NODE builds of the ABI-specific native
// modules (tests, CLI and server use them); scripts/native-abi.mjs builds copies for Electron's
// ABI under build/electron-native/node_modules. start.mjs loads this file into Electron with
// NODE_OPTIONS=--require, so it runs first in the main process AND in every child it forks
// (capture's PortAudio helper runs as Electron-as-Node and loads naudiodon -> segfault-handler).
//
// For each module, it loads the Electron build's addon and registers it in Node's module cache
// under the path where the module looks for its addon (`bindings` require()s
// <module>/build/Release/<name>.node), so the module uses the Electron build while node_modules
// stays untouched. A packaged app needs none of this: electron-builder compiles its own copy.
'use strict';
const { existsSync, realpathSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');

/** Module name -> its addon, relative to the module folder. */
const ADDONS = {
  'better-sqlite3': join('build', 'Release', 'better_sqlite3.node'),
  'segfault-handler': join('build', 'Release', 'segfault-handler.node'),
};

/**
 * Makes each module in ADDONS (as resolved from `fromFile`) use the addon under
 * `<modulesDir>/<module>/`. Returns { module: addon used }. Throws with the fix when a build is missing.
 */
function preferNativeBuilds(modulesDir, fromFile = join(__dirname, '..', 'package.json')) {
  const req = Module.createRequire(fromFile);
  const used = {};
  for (const [name, rel] of Object.entries(ADDONS)) {
    let pkgDir;
    try {
      pkgDir = dirname(req.resolve(`${name}/package.json`));
    } catch {
      continue; // not installed here: nothing to redirect
    }
    const replacement = join(modulesDir, name, rel);
    if (!existsSync(replacement)) {
      const err = new Error(
        `The Electron build of ${name} is missing (${replacement}). Start the app with \`npm start\`, which builds it.`,
      );
      err.code = 'ELECTRON_BUILD_MISSING';
      throw err;
    }
    const expected = join(pkgDir, rel);
    const key = existsSync(expected) ? realpathSync(expected) : expected;
    const mod = new Module(key);
    mod.filename = key;
    process.dlopen(mod, replacement);
    mod.loaded = true;
    req.cache[key] = mod;
    used[name] = replacement;
  }
  return used;
}

module.exports = { preferNativeBuilds, ADDONS };

// Loaded through NODE_OPTIONS by start.mjs: apply at once.
if (process.env.AUSCULT_ELECTRON_NATIVE_DIR && process.versions.electron) {
  preferNativeBuilds(process.env.AUSCULT_ELECTRON_NATIVE_DIR);
}
