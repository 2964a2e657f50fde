/**
 * The ABI split (scripts/native-abi.mjs, src/main/native-modules.ts): node_modules keeps the
 * Node build of better-sqlite3; the Electron main process loads a separate copy. Here the
 * "separate copy" is a copy of the Node build (the only ABI this machine can run), which is
 * enough to prove the redirection: /proc/self/maps shows which addon file is really mapped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { preferNativeBuilds, NativeModuleError } from '../../src/main/native-modules.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';

const NODE_ADDON = join(PROJECT_ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

test('better-sqlite3 opens a database with the addon from the separate folder, not node_modules', { skip: process.platform !== 'linux' && 'needs /proc/self/maps (Linux)' }, () => {
  const dir = scratchDir('auscult-native-');
  const copyDir = join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release');
  mkdirSync(copyDir, { recursive: true });
  const copy = join(copyDir, 'better_sqlite3.node');
  cpSync(NODE_ADDON, copy);

  assert.equal(preferNativeBuilds(join(dir, 'node_modules'), import.meta.url), copy);
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (p: string) => { prepare(s: string): { get(): unknown }; close(): void };
  const db = new Database(':memory:');
  assert.deepEqual(db.prepare('select 41 + 1 as x').get(), { x: 42 });
  db.close();

  const maps = readFileSync('/proc/self/maps', 'utf8');
  assert.ok(maps.includes(copy), 'the copy is the addon in use');
  assert.ok(!maps.includes(NODE_ADDON), 'the node_modules addon was never loaded');
});

test('a missing Electron build is a clear error that says how to get it', () => {
  const dir = scratchDir('auscult-native-');
  assert.throws(() => preferNativeBuilds(join(dir, 'nothing-here'), import.meta.url), (err: unknown) => {
    assert.ok(err instanceof NativeModuleError);
    assert.equal(err.code, 'ELECTRON_BUILD_MISSING');
    assert.match(err.message, /npm start/);
    return true;
  });
});

test('the ABI check passes on the Node build in node_modules', () => {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'native-abi.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^native modules: better-sqlite3 loads in Node v\d+/);
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
  cpSync(join(PROJECT_ROOT, 'node_modules', 'file-uri-to-path'), join(root, 'node_modules', 'file-uri-to-path'), { recursive: true });

  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'native-abi.mjs'), '--root', root], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^native modules: better-sqlite3 does not load in Node: .+ Fix: run `npm rebuild better-sqlite3`/);
});
