#!/usr/bin/env node
// Runs the compiled test suite with Node's built-in runner. `npm test` builds first, so the
// tests exercise the same JavaScript that ships. Extra arguments filter test files by substring:
//   npm test -- audio features
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testDir = join(root, 'dist', 'test');
if (!existsSync(testDir)) {
  console.error('dist/test is missing: run `npm run build` first (npm test does).');
  process.exit(1);
}

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return collect(full);
    return name.endsWith('.test.js') ? [full] : [];
  });
}

// tsc never deletes output, so a test whose source was removed or renamed would still run from a
// stale dist/ file; only compiled tests with a source under test/ belong to the suite.
const hasSource = (f) => existsSync(join(root, relative(join(root, 'dist'), f).replace(/\.js$/, '.ts')));
const stale = collect(testDir).filter((f) => !hasSource(f));
for (const f of stale) console.error(`not run: ${relative(root, f)} has no source under test/ (stale build output)`);

const filters = process.argv.slice(2);
const files = collect(testDir)
  .filter(hasSource)
  .filter((f) => filters.length === 0 || filters.some((s) => relative(testDir, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
