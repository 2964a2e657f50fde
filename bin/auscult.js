#!/usr/bin/env node
// The `auscult` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (which `npm ci` runs through the prepare script), and the CLI is bundled into dist/cli/
// (scripts/bundle-cli.mjs: fewer files to resolve at start-up). The bundle runs when it is at
// least as new as the compiled sources; after a bare `tsc` the unbundled build runs instead.
import { existsSync, statSync } from 'node:fs';
const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
const bundled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  console.error('auscult: not built yet. Run `npm run build` in the project folder.');
  process.exit(1);
}
const fresh = existsSync(bundled) && statSync(bundled).mtimeMs >= statSync(compiled).mtimeMs;
await import((fresh ? bundled : compiled).href);
