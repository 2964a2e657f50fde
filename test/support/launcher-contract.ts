/**
 * The child-launcher contract (src/common/child-launcher.ts), as one check any implementation
 * must pass: start a real child, messages both ways as structured clones in order (a Uint8Array
 * arrives as one), the environment given, stdout/stderr as bytes, an exit code, `connected` and
 * `onDisconnect` after the exit, and `kill` ending a child at once.
 */
import assert from 'node:assert/strict';
import { extname, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildLauncher, LaunchedChild } from '../../src/common/child-launcher.js';

const here = fileURLToPath(import.meta.url);
const compiled = extname(here) === '.js';
const CHILD = join(dirname(here), compiled ? 'launcher-child.js' : 'launcher-child.ts');
const EXEC_ARGV = compiled ? [] : ['--import', 'tsx'];

function next(child: LaunchedChild, type: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${type}' from the child within ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    child.onMessage((m) => {
      const msg = m as Record<string, unknown>;
      if (!done && msg['type'] === type) {
        done = true;
        clearTimeout(t);
        resolve(msg);
      }
    });
  });
}

function exited(child: LaunchedChild): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => child.onExit((code, signal) => resolve({ code, signal })));
}

export async function checkLauncherContract(launcher: ChildLauncher, expectBranch: 'node' | 'electron'): Promise<void> {
  const opts = { env: { ...process.env, LAUNCHER_TEST: 'given' }, execArgv: EXEC_ARGV, serviceName: 'contract' };
  const child = launcher.launch(CHILD, opts);
  const ready = await next(child, 'ready');
  assert.equal(ready['branch'], expectBranch, 'the child talks through the parent port of its kind');
  assert.ok(typeof child.pid === 'number' && child.pid > 0);
  assert.equal(child.connected, true);

  // In order, structured clones: 50 messages, each with a Uint8Array.
  const got: Record<string, unknown>[] = [];
  const all = new Promise<void>((resolve) =>
    child.onMessage((m) => {
      const msg = m as Record<string, unknown>;
      if (msg['type'] === 'echo') got.push(msg);
      if (got.length === 50) resolve();
    }),
  );
  for (let i = 0; i < 50; i++) child.send({ type: 'echo', payload: { i, pcm: Uint8Array.from([i, 255 - i, 7]) } });
  await all;
  got.forEach((m, i) => {
    const payload = m['payload'] as { i: number; pcm: unknown };
    assert.equal(payload.i, i);
    assert.ok(payload.pcm instanceof Uint8Array, 'a Uint8Array arrives as a Uint8Array');
    assert.deepEqual([...payload.pcm], [i, 255 - i, 7]);
    assert.equal(m['env'], 'given', 'the environment given reaches the child');
  });

  // stdout and stderr as bytes.
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.onStdout((b) => out.push(Buffer.from(b)));
  child.onStderr((b) => err.push(Buffer.from(b)));
  child.send({ type: 'print', text: 'héllo' });
  await next(child, 'printed');
  const exit = exited(child);
  const disconnected = new Promise<void>((resolve) => child.onDisconnect(resolve));
  child.send({ type: 'exit', code: 3 });
  await next(child, 'bye');
  assert.deepEqual(await exit, { code: 3, signal: null });
  await disconnected;
  assert.equal(child.connected, false, 'not connected after the exit');
  // Output written before the exit has arrived by now (give the pipes a turn).
  await new Promise((r) => setTimeout(r, 50));
  assert.match(Buffer.concat(out).toString('utf8'), /out:héllo\n/);
  assert.match(Buffer.concat(err).toString('utf8'), /err:héllo\n/);
  // Late listeners and sends after the exit: no throw, onDisconnect answers at once.
  child.send({ type: 'echo', payload: 1 });
  await new Promise<void>((resolve) => child.onDisconnect(resolve));

  // kill ends a live child at once.
  const second = launcher.launch(CHILD, opts);
  await next(second, 'ready');
  const gone = exited(second);
  second.kill();
  const ended = await gone;
  assert.ok(ended.code !== 0 || ended.signal !== null, `killed, not a clean exit: ${JSON.stringify(ended)}`);
  assert.equal(second.connected, false);
}
