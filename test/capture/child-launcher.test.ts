/**
 * The child-launcher contract with the Node implementation (child_process.fork), the one serve,
 * the CLI and the tests use; and the capture helper started through it lists devices.
 */
import { test } from 'node:test';
import { nodeChildLauncher } from '../../src/capture/node-launcher.js';
import { checkLauncherContract } from '../support/launcher-contract.js';

test('the Node launcher keeps the child-launcher contract', async () => {
  await checkLauncherContract(nodeChildLauncher, 'node');
});
