#!/usr/bin/env node
// Builds the sandboxed preload: type-checks src/preload (its own tsconfig: it runs in the
// renderer, not in Node) and bundles it with esbuild into ONE CommonJS file, because a
// sandboxed preload can `require` nothing but 'electron' (and a few web-safe modules).
//   node scripts/build-preload.mjs [--outfile <path>] [--no-typecheck]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PRELOAD_ENTRY = join(root, 'src', 'preload', 'preload.ts');
export const PRELOAD_OUT = join(root, 'dist', 'preload', 'preload.cjs');

export function typecheckPreload() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'src', 'preload', 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('the preload does not type-check (see above)');
}

/** Bundles the preload to `outfile`; 'electron' stays a require() the sandbox provides. */
export async function bundlePreload(outfile = PRELOAD_OUT) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [PRELOAD_ENTRY],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'browser',
    target: 'es2022',
    external: ['electron'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outfile');
  const outfile = at >= 0 ? args[at + 1] : PRELOAD_OUT;
  try {
    if (!args.includes('--no-typecheck')) typecheckPreload();
    console.log(`preload: ${await bundlePreload(outfile)}`);
  } catch (err) {
    console.error(`build-preload: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
