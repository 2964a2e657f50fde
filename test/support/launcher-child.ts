/**
 * The child of the launcher contract tests (test/support/launcher-contract.ts), talking through
 * the same parent port as the capture helper (src/capture/parent-port.ts): 'ready' at start,
 * then echoes, prints to stdout/stderr, or exits with a code, as told.
 */
import { parentPort } from '../../src/capture/parent-port.js';

const port = parentPort();
port.onParentGone(() => process.exit(0));
port.onMessage((raw) => {
  const m = raw as { type: string; payload?: unknown; code?: number; text?: string };
  if (m.type === 'echo') port.send({ type: 'echo', payload: m.payload, env: process.env['LAUNCHER_TEST'] ?? null });
  else if (m.type === 'print') {
    process.stdout.write(`out:${m.text ?? ''}\n`);
    process.stderr.write(`err:${m.text ?? ''}\n`);
    port.send({ type: 'printed' });
  } else if (m.type === 'exit') port.send({ type: 'bye' }, () => process.exit(m.code ?? 0));
});
port.send({ type: 'ready', branch: (process as { parentPort?: unknown }).parentPort ? 'electron' : 'node' });
