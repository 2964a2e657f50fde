#!/usr/bin/env node
// The `auscult` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (which `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('auscult: not built yet. Run `npm run build` in the project folder.');
  process.exit(1);
}
await import(entry.href);
