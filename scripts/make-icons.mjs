#!/usr/bin/env node
// Renders assets/icon.svg to the PNG icon set electron-builder and the window use:
// assets/icon.png (1024 px: macOS .icns and Windows .ico are made from it by electron-builder)
// and assets/icons/<n>x<n>.png (Linux). Uses the system Chromium through playwright-core; the
// PNGs are committed, so this only runs when the SVG changes.
//   node scripts/make-icons.mjs [--chromium <path>]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { PROJECT_ROOT } from './electron-env.mjs';

const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const at = process.argv.indexOf('--chromium');
const executablePath = at > 0 ? process.argv[at + 1] : (process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');
const svg = readFileSync(join(PROJECT_ROOT, 'assets', 'icon.svg'), 'utf8');
const outDir = join(PROJECT_ROOT, 'assets', 'icons');
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  for (const n of SIZES) {
    await page.setViewportSize({ width: n, height: n });
    const sized = svg.replace('width="1024" height="1024"', `width="${n}" height="${n}"`);
    await page.setContent(`<html><body style="margin:0;background:transparent">${sized}</body></html>`);
    const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: n, height: n } });
    writeFileSync(join(outDir, `${n}x${n}.png`), png);
    if (n === 1024) writeFileSync(join(PROJECT_ROOT, 'assets', 'icon.png'), png);
  }
} finally {
  await browser.close();
}
console.log(`icons: ${SIZES.map((n) => `${n}x${n}`).join(' ')} in ${outDir}`);
