#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js) into dist/cli/ with esbuild: one entry file plus
// one chunk per command (code splitting keeps `auscult analyze` from loading SQLite, PortAudio or
// the exporters), so start-up resolves and reads a few files instead of ~250 modules. Part of
// `npm run build`, after tsc. bin/auscult.js runs the bundle when it is at least as new as
// dist/src/cli/main.js, else the unbundled build.
//   Measured (README "Measured"): `analyze --json` of a 1 s file, CPU 0.50 → 0.43 s.
// Kept out of the bundle: native modules, packages that load files beside themselves (WASM, fonts),
// and what only a few commands use. The worker files (device helper, re-analysis worker) are entries
// of their own, next to the chunks that start them; the resampler's WASM kernel is copied beside them.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'dist', 'src');
const out = join(root, 'dist', 'cli');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: {
    main: join(src, 'cli', 'main.js'),
    'portaudio-worker': join(src, 'capture', 'portaudio-worker.js'),
    worker: join(src, 'service', 'reanalysis', 'worker.js'),
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  chunkNames: 'chunk-[hash]',
  external: [
    'onnxruntime-node',
    'better-sqlite3',
    'naudiodon',
    'pdfkit',
    'dejavu-fonts-ttf',
    '@tensorflow/*',
    '@echogarden/*',
    '@wasm-audio-decoders/*',
    'ws',
    'yazl',
    'pngjs',
    // node-postgres: pg-native finds its libpq binding relative to __filename, which an ES bundle lacks
    'pg',
    'pg-native',
    'pg-types',
    'libpq',
  ],
  // CommonJS packages inside an ES module bundle call require() for Node's built-ins
  banner: {
    js: "import { createRequire as __auscultRequire } from 'node:module'; const require = __auscultRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
for (const f of readdirSync(join(src, 'audio')))
  if (f.endsWith('.wasm')) copyFileSync(join(src, 'audio', f), join(out, f));
console.log(`bundle-cli: dist/cli/ (${readdirSync(out).length} files)`);
