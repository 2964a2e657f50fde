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

test('what electron-builder.yml names exists: icons are PNGs big enough, unpacked modules are installed', () => {
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
  // Every native module the app loads is unpacked from the asar (a packed .node cannot load).
  for (const dir of config.asarUnpack.filter((g) => g.startsWith('node_modules/'))) {
    const name = dir.replace(/^node_modules\//, '').replace(/\/\*\*\/\*$/, '');
    assert.ok(existsSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json')), `${name} is installed`);
  }
  // The app's entry point is what the main process compiles to (npm run build ran).
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { main: string };
  assert.ok(existsSync(join(PROJECT_ROOT, pkg.main)), `${pkg.main} is built`);
});

test('fuses: runAsNode and the Node options/inspect switches are off, asar integrity on', () => {
  // runAsNode can be off because the capture helper is an Electron utility process
  // (src/main/utility-launcher.ts), not Electron run as Node.
  assert.deepEqual(
    {
      runAsNode: config.electronFuses?.['runAsNode'],
      enableNodeOptionsEnvironmentVariable: config.electronFuses?.['enableNodeOptionsEnvironmentVariable'],
      enableNodeCliInspectArguments: config.electronFuses?.['enableNodeCliInspectArguments'],
      enableEmbeddedAsarIntegrityValidation: config.electronFuses?.['enableEmbeddedAsarIntegrityValidation'],
      onlyLoadAppFromAsar: config.electronFuses?.['onlyLoadAppFromAsar'],
    },
    {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    },
  );
});
