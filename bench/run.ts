/**
 * `npm run bench`: runs every benchmark module in this folder, one after the other.
 * To add one, drop a file bench/<name>.ts that exports `async function run(): Promise<void>`
 * (it prints its own figures) and optionally `export const title = '…'`. No list to edit:
 * the folder is scanned (files starting with `_` and this runner are skipped).
 *   npm run bench                 all modules
 *   npm run bench -- analysis     only modules whose name contains "analysis"
 * Figures are printed, never asserted: timing goals live here, not in tests.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';

interface BenchModule {
  run: () => Promise<void>;
  title?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const ext = self.endsWith('.ts') ? '.ts' : '.js';
const filters = process.argv.slice(2);

const files = readdirSync(here)
  .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && f !== self && !f.startsWith('_'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

// figures from a shared machine mean little without its load: print it before and after
const load = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
console.log(
  `bench: ${files.length} module(s) on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${load()}`,
);
let failures = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as Partial<BenchModule>;
  if (typeof mod.run !== 'function') {
    console.log(`\n== ${file}: no exported run(), skipped`);
    continue;
  }
  console.log(`\n== ${mod.title ?? basename(file, ext)}`);
  const t0 = performance.now();
  try {
    await mod.run();
  } catch (err) {
    failures++;
    console.log(`   FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  console.log(`   (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`\nbench: done, load average ${load()}`);
process.exitCode = failures > 0 ? 1 : 0;
