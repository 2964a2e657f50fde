/**
 * What only the IPC door does, against the REAL workstation service: sender checks, message
 * shape checks, the shutdown sequence. (Sign-in and events are one table over both doors:
 * test/transports/sessions-and-events.test.ts.) A window is { id, send, isDestroyed } and an IPC
 * event is { sender, senderFrame }, exactly the fields the bridge reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Workstation } from '../../src/service/workstation.js';
import { hashPassword } from '../../src/store/passwords.js';
import type { IpcEvent, IpcReply } from '../../src/main/ipc-contract.js';
import { EVENT_CHANNEL } from '../../src/main/ipc-contract.js';
import { IpcBridge } from '../../src/main/ipc-bridge.js';
import { gracefulShutdown } from '../../src/main/shutdown.js';
import { createFileLog } from '../../src/main/file-log.js';
import { scratchDir } from '../support/paths.js';
import { createAccount } from '../support/accounts.js';

async function setup() {
  const dir = scratchDir('auscult-ipc-');
  const ws = await Workstation.open({ dbPath: join(dir, 'auscult.sqlite'), dataDir: dir, engine: null });
  const store = ws.internals.store;
  const passwordHash = await hashPassword('correct horse 42');
  store.tx(() => createAccount(store, { username: 'nina', displayName: 'Nina Nurse', role: 'nurse', passwordHash }));
  const log = createFileLog({ dir: join(dir, 'logs') });
  const bridge = new IpcBridge(ws, log);
  const sent: Array<{ window: number; message: IpcEvent }> = [];
  const window = (id: number) => ({
    id,
    send: (channel: string, message: IpcEvent) => {
      assert.equal(channel, EVENT_CHANNEL);
      sent.push({ window: id, message });
    },
    isDestroyed: () => false,
  });
  const from = (id: number, url = 'app://auscult/index.html') => ({
    sender: { id },
    senderFrame: { url, parent: null },
  });
  return { dir, ws, bridge, sent, window, from, log };
}

function result(reply: IpcReply): unknown {
  assert.equal(reply.ok, true, JSON.stringify(reply));
  return reply.ok ? reply.result : undefined;
}

test('messages from another webContents, a subframe or another origin never reach the service', async () => {
  const { ws, bridge, window, from } = await setup();
  try {
    bridge.attach(window(1));
    const refused = [
      from(2),
      from(1, 'https://evil.example/'),
      { sender: { id: 1 }, senderFrame: { url: 'app://auscult/x.html', parent: {} } },
      { sender: { id: 1 }, senderFrame: null },
    ];
    for (const ev of refused) {
      const r = await bridge.handle(ev, {
        method: 'auth.signIn',
        params: { username: 'nina', password: 'correct horse 42' },
      });
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.code, 'FORBIDDEN');
    }
    const actions = ws.internals.store.audit.list({}, 50, 0).items.map((e: { action: string }) => e.action);
    assert.ok(!actions.includes('auth.login') && !actions.includes('auth.login.failed'), 'the service never saw them');
  } finally {
    await bridge.dispose();
    await ws.close();
  }
});

test('malformed calls are refused with INVALID_INPUT; the service validates params too', async () => {
  const { ws, bridge, window, from } = await setup();
  try {
    bridge.attach(window(1));
    for (const payload of [
      { method: 'fs.readFile', params: {} },
      { method: 'auth.signIn', params: [1] },
      'auth.whoami',
    ]) {
      const r = await bridge.handle(from(1), payload);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.code, 'INVALID_INPUT');
    }
    const r = await bridge.handle(from(1), {
      method: 'auth.signIn',
      params: { username: 'nina', password: 'x', extra: 1 },
    });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'INVALID_INPUT', 'zod in the service refuses unknown keys');
  } finally {
    await bridge.dispose();
    await ws.close();
  }
});

test('graceful shutdown settles every session and closes the service', async () => {
  const { ws, bridge, window, from, log } = await setup();
  bridge.attach(window(1));
  result(
    await bridge.handle(from(1), { method: 'auth.signIn', params: { username: 'nina', password: 'correct horse 42' } }),
  );
  const report = await gracefulShutdown({
    connections: bridge.signedIn(),
    close: () => ws.close(),
    log,
    timeoutMs: 10_000,
  });
  assert.deepEqual(report, { stopped: 0, cancelled: 0, timedOut: false });
  const r = await bridge.handle(from(1), { method: 'system.status', params: {} });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.code, 'BUSY', 'the service is closed');
  await bridge.dispose();
});

test('graceful shutdown does not hang on a service that never finishes', async () => {
  const dir = scratchDir('auscult-shutdown-');
  const log = createFileLog({ dir });
  const started = Date.now();
  const report = await gracefulShutdown({
    connections: [{ peer: 'electron-window-1', call: () => new Promise(() => {}) }],
    close: () => undefined,
    log,
    timeoutMs: 200,
  });
  assert.equal(report.timedOut, true);
  assert.ok(Date.now() - started < 5000);
});
