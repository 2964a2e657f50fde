#!/usr/bin/env node
// Compiles the AssemblyScript kernels under src/**/wasm/ to WebAssembly next to the compiled
// JavaScript that loads them (dist/src/<room>/<name>.wasm). Part of `npm run build`.
// Release settings: -O3, no runtime (the kernels allocate nothing), memory imported from the caller,
// 128-bit SIMD on (Node 20 and Electron have it).
import asc from 'assemblyscript/asc';
import { readdirSync, mkdirSync } from 'node:fs';
import { join, relative, dirname, basename } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const kernels = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full);
    else if (basename(dir) === 'wasm' && e.name.endsWith('.ts')) kernels.push(full);
  }
})(join(root, 'src'));

for (const file of kernels) {
  const rel = relative(root, file); // src/audio/wasm/x.ts
  const out = join(root, 'dist', dirname(dirname(rel)), basename(rel, '.ts') + '.wasm');
  mkdirSync(dirname(out), { recursive: true });
  const { error, stderr } = await asc.main([
    file,
    '--outFile',
    out,
    '-O3',
    '--noAssert',
    '--runtime',
    'stub',
    '--importMemory',
    '--enable',
    'simd',
    '--use',
    'abort=',
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${rel} failed: ${error.message}`);
    process.exit(1);
  }
}
