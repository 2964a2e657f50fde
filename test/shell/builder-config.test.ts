/** electron-builder.yml against electron-builder's own schema, and the files it names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { PROJECT_ROOT } from '../support/paths.js';

// Read the YAML the way electron-builder does (its own js-yaml), validate with its scheme.json.
const builderRequire = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };

interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  electronDist?: string;
  linux: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
  electronFuses?: Record<string, boolean>;
}

const config = yaml.load(readFileSync(join(PROJECT_ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

test('electron-builder.yml is valid for the installed electron-builder', () => {
  const schema = JSON.parse(readFileSync(builderRequire.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  assert.equal(validate(config), true, JSON.stringify(validate.errors, null, 1));
});

test('targets, identity, icons, unpacked native modules and models', () => {
  assert.equal(config.appId, 'org.auscult.workstation');
  assert.equal(config.productName, 'Auscult');
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.deepEqual(config.mac.target, ['dmg']);
  for (const m of ['better-sqlite3', 'naudiodon', 'onnxruntime-node']) {
    assert.ok(config.asarUnpack.includes(`node_modules/${m}/**/*`), m);
  }
  assert.ok(config.asarUnpack.includes('models/**/*'));
  for (const f of [
    'package.json',
    'dist/src/**/*',
    'dist/preload/**/*',
    'dist/renderer/**/*',
    'assets/**/*',
    'models/**/*',
  ]) {
    assert.ok(config.files.includes(f), f);
  }
  assert.equal(config.electronDist, 'node_modules/electron/dist', 'packages the local binary, no download');
  // Capture forks its PortAudio helper (child_process.fork needs ELECTRON_RUN_AS_NODE).
  assert.equal(config.electronFuses?.['runAsNode'], true);
  assert.equal(config.electronFuses?.['enableNodeOptionsEnvironmentVariable'], false);
  assert.equal(config.electronFuses?.['enableNodeCliInspectArguments'], false);
  assert.equal(config.electronFuses?.['onlyLoadAppFromAsar'], true);
  // Icons exist and are real PNGs of the sizes electron-builder needs (512+ for macOS).
  for (const icon of [
    config.win.icon,
    config.mac.icon,
    join(config.linux.icon, '512x512.png'),
    join(config.linux.icon, '16x16.png'),
  ]) {
    const png = readFileSync(join(PROJECT_ROOT, icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', icon);
  }
  const big = readFileSync(join(PROJECT_ROOT, config.mac.icon));
  assert.ok(big.readUInt32BE(16) >= 512 && big.readUInt32BE(20) >= 512, 'macOS icon at least 512 px');
  // The app's entry point is what the main process compiles to.
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { main: string };
  assert.equal(pkg.main, 'dist/src/main/main.js');
  assert.ok(existsSync(join(PROJECT_ROOT, 'src', 'main', 'main.ts')));
});
