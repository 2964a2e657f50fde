#!/usr/bin/env node
// Native modules and the two runtimes. better-sqlite3 and segfault-handler (loaded by naudiodon)
// are not N-API, so each compiled addon works in exactly one ABI. Our choice: node_modules keeps
// the NODE builds (tests, CLI, server use them); `npm start` builds SEPARATE copies for Electron
// under build/electron-native/, which Electron's processes load instead
// (scripts/electron-native-prime.cjs). Nothing here ever rewrites node_modules, so `npm test`
// cannot be broken by `npm start`. (naudiodon and onnxruntime-node are N-API: one build serves both.)
//
//   node scripts/native-abi.mjs [--root <project>]   check that the Node builds load in this Node
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from './electron-env.mjs';

export const ABI_MODULES = ['better-sqlite3', 'segfault-handler'];
export const ELECTRON_NATIVE_DIR = join(PROJECT_ROOT, 'build', 'electron-native');

const PROBES = {
  'better-sqlite3': "const D=require('better-sqlite3');const d=new D(':memory:');d.prepare('select 1').get();d.close()",
  'segfault-handler': "require('segfault-handler')",
};

/**
 * Loads each ABI-specific module from `root`'s node_modules in a child Node (better-sqlite3 also
 * opens an in-memory database). { ok: true, line } or { ok: false, line } naming the module and the fix.
 */
export function checkNodeBuild(root = PROJECT_ROOT) {
  const checked = [];
  for (const m of ABI_MODULES) {
    if (!existsSync(join(root, 'node_modules', m, 'package.json'))) continue; // not installed there
    const r = spawnSync(process.execPath, ['-e', PROBES[m]], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) {
      const err = `${r.stderr ?? ''}`;
      const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(err);
      const why = abi
        ? `it was compiled for ABI ${abi[1]} (another runtime, e.g. Electron) but Node ${process.version} needs ABI ${abi[2]}`
        : (err.split('\n').find((l) => /Error/.test(l)) ?? 'it failed to load').trim().slice(0, 200);
      return {
        ok: false,
        line: `native modules: ${m} does not load in Node: ${why}. Fix: run \`npm rebuild ${m}\` in ${root}.`,
      };
    }
    checked.push(m);
  }
  return {
    ok: true,
    line: `native modules: ${checked.join(', ')} load in Node ${process.version} (ABI ${process.versions.modules})`,
  };
}

/**
 * The environment Electron runs with in development: the prime script preloaded (also in every
 * child Electron forks) and told where the Electron builds are.
 */
export function electronLaunchEnv(nativeModulesDir, env = process.env) {
  const prime = `--require ${JSON.stringify(join(PROJECT_ROOT, 'scripts', 'electron-native-prime.cjs'))}`;
  return {
    ...env,
    AUSCULT_ELECTRON_NATIVE_DIR: nativeModulesDir,
    NODE_OPTIONS: [prime, env.NODE_OPTIONS ?? ''].join(' ').trim(),
  };
}

/** The Node builds' addon files (dist.mjs saves and restores them around electron-builder). */
export function nodeAddons(root = PROJECT_ROOT) {
  return [
    join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
    join(root, 'node_modules', 'segfault-handler', 'build', 'Release', 'segfault-handler.node'),
  ];
}

/** What the Electron copy was built for; a different stamp means rebuild. */
export function electronStamp(electron, root = PROJECT_ROOT) {
  const versions = Object.fromEntries(
    ABI_MODULES.map((m) => [
      m,
      JSON.parse(readFileSync(join(root, 'node_modules', m, 'package.json'), 'utf8')).version,
    ]),
  );
  return {
    electron: electron.version,
    abi: electron.abi,
    platform: process.platform,
    arch: process.arch,
    modules: versions,
  };
}

export function electronCopyUpToDate(stamp, dir = ELECTRON_NATIVE_DIR) {
  try {
    const have = JSON.parse(readFileSync(join(dir, 'stamp.json'), 'utf8'));
    return (
      JSON.stringify(have) === JSON.stringify(stamp) &&
      ABI_MODULES.every((m) => existsSync(join(dir, 'node_modules', m, 'build', 'Release')))
    );
  } catch {
    return false;
  }
}

/**
 * Copies the modules to `dir`/node_modules and rebuilds them there for Electron with
 * @electron/rebuild (prebuilt download or compile against Electron's headers: needs internet
 * the first time). Returns the node_modules folder the Electron main process should load from.
 */
export async function buildElectronCopy(
  electron,
  { root = PROJECT_ROOT, dir = ELECTRON_NATIVE_DIR, log = console.log } = {},
) {
  const stamp = electronStamp(electron, root);
  const modulesDir = join(dir, 'node_modules');
  if (electronCopyUpToDate(stamp, dir)) return modulesDir;
  log(
    `native modules: building ${ABI_MODULES.join(', ')} for Electron ${electron.version} (ABI ${electron.abi}) in ${dir}`,
  );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(modulesDir, { recursive: true });
  for (const m of ABI_MODULES) {
    // The compiled output is rebuilt; leave the Node build behind so it can never be loaded here.
    cpSync(join(root, 'node_modules', m), join(modulesDir, m), {
      recursive: true,
      filter: (src) => !src.startsWith(join(root, 'node_modules', m, 'build')),
    });
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'auscult-electron-native', private: true, dependencies: stamp.modules }, null, 2),
  );
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({
    buildPath: dir,
    electronVersion: electron.version,
    onlyModules: ABI_MODULES,
    force: true,
    mode: 'sequential',
  });
  writeFileSync(join(dir, 'stamp.json'), JSON.stringify(stamp));
  return modulesDir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--root');
  const result = checkNodeBuild(at > 0 ? process.argv[at + 1] : PROJECT_ROOT);
  (result.ok ? console.log : console.error)(result.line);
  process.exit(result.ok ? 0 : 1);
}
