/**
 * The desktop app's launcher (src/main/utility-launcher.ts) keeps the same child-launcher
 * contract over a stand-in of Electron's utilityProcess (test/shell/standin/utility-process.mjs:
 * the documented surface, on child_process.fork, with process.parentPort in the child), so the
 * mapping and the child's Electron branch (src/capture/parent-port.ts) are exercised here; the
 * real utilityProcess runs only where Electron's binary exists (test/shell/electron-app.test.ts).
 */
import { test } from 'node:test';
import { join } from 'node:path';
import { utilityProcessLauncher, type UtilityProcessModule } from '../../src/main/utility-launcher.js';
import { PROJECT_ROOT } from '../support/paths.js';
import { checkLauncherContract } from '../support/launcher-contract.js';

test('the utilityProcess launcher keeps the child-launcher contract (over a stand-in utilityProcess)', async () => {
  const standin = (await import(join(PROJECT_ROOT, 'test', 'shell', 'standin', 'utility-process.mjs'))) as {
    utilityProcess: UtilityProcessModule;
  };
  await checkLauncherContract(utilityProcessLauncher(standin.utilityProcess), 'electron');
});
