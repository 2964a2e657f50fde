/**
 * The IPC transport against the REAL workstation service (real SQLite file, real sessions and
 * audit log). Only Electron's side is stood in for: a window is { id, send, isDestroyed } and an
 * IPC event is { sender, senderFrame }, exactly the fields the bridge reads.
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

async function setup() {
  const dir = scratchDir('auscult-ipc-');
  const ws = await Workstation.open({ dbPath: join(dir, 'auscult.sqlite'), dataDir: dir, engine: null });
  const store = ws.internals.store;
  const passwordHash = await hashPassword('correct horse 42');
  store.tx(() => store.users.create({ username: 'nina', displayName: 'Nina Nurse', role: 'nurse', passwordHash }));
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

test('sign-in through IPC: the window keeps the token, the page gets none', async () => {
  const { ws, bridge, window, from } = await setup();
  try {
    bridge.attach(window(1));
    const whoBefore = result(await bridge.handle(from(1), { method: 'auth.whoami', params: {} }));
    assert.deepEqual(whoBefore, { user: null });

    const session = result(
      await bridge.handle(from(1), {
        method: 'auth.signIn',
        params: { username: 'nina', password: 'correct horse 42' },
      }),
    ) as { token: string; user: { username: string } };
    assert.equal(session.token, '', 'the renderer never holds the session token');
    assert.equal(session.user.username, 'nina');
    assert.equal(bridge.sessions().length, 1);
    assert.ok(ws.isSessionLive(bridge.sessions()[0]?.token));

    const who = result(await bridge.handle(from(1), { method: 'auth.whoami', params: {} })) as {
      user: { username: string };
    };
    assert.equal(who.user.username, 'nina', 'later calls carry the kept token');

    // The audit log names the window as the peer and IPC as the transport.
    const login = ws.internals.store.audit
      .list({}, 50, 0)
      .items.find((e: { action: string }) => e.action === 'auth.login');
    assert.ok(login, 'auth.login audited');
    assert.equal(login.transport, 'ipc');
    assert.equal((login.details as { peer?: string }).peer, 'electron-window-1');

    result(await bridge.handle(from(1), { method: 'auth.signOut', params: {} }));
    assert.equal(bridge.sessions().length, 0);
    const after = await bridge.handle(from(1), { method: 'patients.search', params: {} });
    assert.equal(after.ok, false);
    if (!after.ok) assert.equal(after.error.code, 'UNAUTHENTICATED');
  } finally {
    bridge.dispose();
    await ws.close();
  }
});

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
    bridge.dispose();
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
    bridge.dispose();
    await ws.close();
  }
});

test('events go to signed-in windows only; a session-specific event only to its window', async () => {
  const { ws, bridge, window, from, sent } = await setup();
  try {
    bridge.attach(window(1));
    bridge.attach(window(2));
    result(
      await bridge.handle(from(1), {
        method: 'auth.signIn',
        params: { username: 'nina', password: 'correct horse 42' },
      }),
    );

    ws.internals.events.emit('devices.changed', { devices: [], added: ['Stethoscope'], removed: [] });
    assert.deepEqual(
      sent.map((s) => [s.window, s.message.event]),
      [[1, 'devices.changed']],
      'window 2 is not signed in',
    );
    assert.deepEqual(sent[0]?.message.payload, { devices: [], added: ['Stethoscope'], removed: [] });

    ws.internals.events.emit('session.ended', { reason: 'expired' }, 'some-other-session');
    assert.equal(sent.length, 1, 'not for this window');

    result(await bridge.handle(from(1), { method: 'auth.signOut', params: {} }));
    const ended = sent.filter((s) => s.message.event === 'session.ended');
    assert.deepEqual(
      ended.map((s) => [s.window, s.message.payload]),
      [[1, { reason: 'signed-out' }]],
    );
    sent.length = 0;
    ws.internals.events.emit('devices.changed', { devices: [], added: [], removed: [] });
    assert.equal(sent.length, 0, 'signed out: no more events');
  } finally {
    bridge.dispose();
    await ws.close();
  }
});

test('closing a window signs its session out', async () => {
  const { ws, bridge, window, from } = await setup();
  try {
    bridge.attach(window(1));
    result(
      await bridge.handle(from(1), {
        method: 'auth.signIn',
        params: { username: 'nina', password: 'correct horse 42' },
      }),
    );
    const token = bridge.sessions()[0]?.token;
    assert.ok(ws.isSessionLive(token));
    await bridge.detach(1);
    assert.equal(ws.isSessionLive(token), false);
    const r = await bridge.handle(from(1), { method: 'auth.whoami', params: {} });
    assert.equal(r.ok, false, 'a detached window is no longer accepted');
  } finally {
    bridge.dispose();
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
    service: ws,
    sessions: bridge.sessions(),
    close: () => ws.close(),
    log,
    timeoutMs: 10_000,
  });
  assert.deepEqual(report, { stopped: 0, cancelled: 0, timedOut: false });
  const r = await bridge.handle(from(1), { method: 'system.status', params: {} });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.code, 'BUSY', 'the service is closed');
  bridge.dispose();
});

test('graceful shutdown does not hang on a service that never finishes', async () => {
  const dir = scratchDir('auscult-shutdown-');
  const log = createFileLog({ dir });
  const started = Date.now();
  const report = await gracefulShutdown({
    service: { call: () => new Promise(() => {}) },
    sessions: [{ token: 't', peer: 'electron-window-1' }],
    close: () => undefined,
    log,
    timeoutMs: 200,
  });
  assert.equal(report.timedOut, true);
  assert.ok(Date.now() - started < 5000);
});

test('signing in again replaces the window session; the old token is dead', async () => {
  const { ws, bridge, window, from } = await setup();
  try {
    bridge.attach(window(1));
    const signIn = { method: 'auth.signIn', params: { username: 'nina', password: 'correct horse 42' } };
    result(await bridge.handle(from(1), signIn));
    const first = bridge.sessions()[0]?.token;
    result(await bridge.handle(from(1), signIn));
    const second = bridge.sessions()[0]?.token;
    assert.equal(bridge.sessions().length, 1);
    assert.notEqual(first, second);
    assert.equal(ws.isSessionLive(first), false);
    assert.equal(ws.isSessionLive(second), true);
  } finally {
    bridge.dispose();
    await ws.close();
  }
});
