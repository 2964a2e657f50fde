/**
 * The ABI split (scripts/native-abi.mjs, scripts/electron-native-prime.cjs): node_modules keeps
 * the Node builds of the ABI-specific modules; Electron's processes load separate copies. Here
 * the "separate copies" are copies of the Node builds (the only ABI this machine can run), which
 * is enough to prove the redirection: /proc/self/maps shows which addon files are really mapped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';

const require = createRequire(import.meta.url);
const prime = require(join(PROJECT_ROOT, 'scripts', 'electron-native-prime.cjs')) as {
  preferNativeBuilds(modulesDir: string, fromFile?: string): Record<string, string>;
  ADDONS: Record<string, string>;
};

test(
  'better-sqlite3 and segfault-handler load the addons from the separate folder, not node_modules',
  { skip: process.platform !== 'linux' && 'needs /proc/self/maps (Linux)' },
  () => {
    const dir = scratchDir('auscult-native-');
    const copies: Record<string, string> = {};
    const originals: string[] = [];
    for (const [name, rel] of Object.entries(prime.ADDONS)) {
      const original = join(PROJECT_ROOT, 'node_modules', name, rel);
      const copy = join(dir, 'node_modules', name, rel);
      mkdirSync(dirname(copy), { recursive: true });
      cpSync(original, copy);
      copies[name] = copy;
      originals.push(original);
    }
    assert.deepEqual(prime.preferNativeBuilds(join(dir, 'node_modules'), join(PROJECT_ROOT, 'package.json')), copies);

    const Database = require('better-sqlite3') as new (p: string) => {
      prepare(s: string): { get(): unknown };
      close(): void;
    };
    const db = new Database(':memory:');
    assert.deepEqual(db.prepare('select 41 + 1 as x').get(), { x: 42 });
    db.close();
    const handler = require('segfault-handler') as { registerHandler: unknown };
    assert.equal(typeof handler.registerHandler, 'function');

    const maps = readFileSync('/proc/self/maps', 'utf8');
    for (const copy of Object.values(copies)) assert.ok(maps.includes(copy), `${copy} is the addon in use`);
    for (const original of originals) assert.ok(!maps.includes(original), `${original} was never loaded`);
  },
);

test('a missing Electron build is a clear error that says how to get it', () => {
  const dir = scratchDir('auscult-native-');
  assert.throws(
    () => prime.preferNativeBuilds(join(dir, 'nothing-here'), join(PROJECT_ROOT, 'package.json')),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'ELECTRON_BUILD_MISSING');
      assert.match((err as Error).message, /The Electron build of better-sqlite3 is missing .*npm start/);
      return true;
    },
  );
});

test('the ABI check passes on the Node build in node_modules', () => {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'native-abi.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^native modules: better-sqlite3, segfault-handler load in Node v\d+/);
});

test('the ABI check fails, with the fix, when the addon is not loadable by this Node', () => {
  // A project whose better-sqlite3 addon is not a loadable binary (as after an Electron rebuild in place).
  const root = scratchDir('auscult-abi-');
  const pkg = join(root, 'node_modules', 'better-sqlite3');
  cpSync(join(PROJECT_ROOT, 'node_modules', 'better-sqlite3', 'lib'), join(pkg, 'lib'), { recursive: true });
  cpSync(join(PROJECT_ROOT, 'node_modules', 'better-sqlite3', 'package.json'), join(pkg, 'package.json'));
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
  writeFileSync(join(pkg, 'build', 'Release', 'better_sqlite3.node'), 'not an addon');
  writeFileSync(join(root, 'package.json'), '{"name":"probe","private":true}');
  cpSync(join(PROJECT_ROOT, 'node_modules', 'bindings'), join(root, 'node_modules', 'bindings'), { recursive: true });
  cpSync(join(PROJECT_ROOT, 'node_modules', 'file-uri-to-path'), join(root, 'node_modules', 'file-uri-to-path'), {
    recursive: true,
  });

  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'native-abi.mjs'), '--root', root], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^native modules: better-sqlite3 does not load in Node: .+ Fix: run `npm rebuild better-sqlite3`/,
  );
});

test('the launch environment preloads the prime script (a path with spaces survives NODE_OPTIONS)', async () => {
  const { electronLaunchEnv } = (await import(join(PROJECT_ROOT, 'scripts', 'native-abi.mjs'))) as {
    electronLaunchEnv: (dir: string, env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  };
  const env = electronLaunchEnv('/tmp/electron native', {
    PATH: process.env['PATH'],
    NODE_OPTIONS: '--max-old-space-size=256',
  });
  assert.equal(env['AUSCULT_ELECTRON_NATIVE_DIR'], '/tmp/electron native');
  // Under plain Node the prime only loads (it acts in Electron); this proves NODE_OPTIONS parses and finds it.
  const r = spawnSync(
    process.execPath,
    ['-e', "console.log(Object.keys(require.cache).some((k) => k.endsWith('electron-native-prime.cjs')))"],
    { env, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'true');
});
