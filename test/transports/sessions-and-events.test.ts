/**
 * Sign-in, sign-out and event delivery: ONE table of cases, run over BOTH doors against the
 * real service (real SQLite file, real sessions and audit log):
 * - ipc: the Electron bridge under Node, a window being { id, send, isDestroyed } and an IPC
 *   event { sender, senderFrame } (exactly the fields the bridge reads);
 * - http: the real loopback server and a real WebSocket client.
 * Both must behave identically: the session logic is the service connection's, not theirs.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { ApiErrorBody, Transport, WireEvent, WireResponse } from '../../src/service/api.js';
import { Workstation } from '../../src/service/workstation.js';
import { IpcBridge } from '../../src/main/ipc-bridge.js';
import { EVENT_CHANNEL } from '../../src/main/ipc-contract.js';
import { createFileLog } from '../../src/main/file-log.js';
import { startLoopbackServer } from '../../src/server/loopback-server.js';
import { USERS, seedUsers } from '../e2e/seed.js';
import { scratchDir } from '../support/paths.js';

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

interface Client {
  call(method: string, params: unknown): Promise<Reply>;
  /** Events this client has received so far. */
  readonly events: WireEvent[];
  /** Resolves once everything the service sent before now has arrived. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

interface Door {
  transport: Transport;
  /** How the audit log names a client of this door. */
  peer: RegExp;
  open(): Promise<Client>;
  stop(): Promise<void>;
}

interface Rig {
  ws: Workstation;
  door: Door;
  clock: { ms: number };
}

const IDLE_MS = 60_000;

async function workstation(clock: { ms: number }): Promise<Workstation> {
  const dir = scratchDir('auscult-doors-');
  const dbPath = join(dir, 'db.sqlite');
  await seedUsers(dbPath, [USERS.nurse, USERS.doctor, USERS.admin]);
  return Workstation.open({
    dbPath,
    dataDir: join(dir, 'data'),
    engine: null,
    sessionIdleMs: IDLE_MS,
    now: () => clock.ms,
  });
}

async function ipcDoor(ws: Workstation): Promise<Door> {
  const bridge = new IpcBridge(ws, createFileLog({ dir: scratchDir('auscult-doors-log-') }));
  let nextId = 1;
  return {
    transport: 'ipc',
    peer: /^electron-window-\d+$/,
    open() {
      const id = nextId++;
      const events: WireEvent[] = [];
      bridge.attach({
        id,
        send: (channel, message) => {
          assert.equal(channel, EVENT_CHANNEL);
          events.push(message);
        },
        isDestroyed: () => false,
      });
      const from = { sender: { id }, senderFrame: { url: 'app://auscult/index.html', parent: null } };
      return Promise.resolve({
        call: (method, params) => bridge.handle(from, { method, params }),
        events,
        settle: () => Promise.resolve(), // IPC events are sent synchronously
        close: () => bridge.detach(id),
      });
    },
    stop: () => bridge.dispose(),
  };
}

async function httpDoor(ws: Workstation): Promise<Door> {
  const server = await startLoopbackServer({ workstation: ws, rendererDir: scratchDir('auscult-doors-ui-') });
  return {
    transport: 'http',
    peer: /^127\.0\.0\.1:\d+$/,
    async open() {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, [
        'auscult.v1',
        `auscult-token.${server.token}`,
      ]);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const events: WireEvent[] = [];
      const pending = new Map<number, (r: WireResponse) => void>();
      let nextId = 1;
      socket.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as WireResponse | WireEvent;
        if ('event' in msg) events.push(msg);
        else pending.get(msg.id)?.(msg);
      });
      const call = (method: string, params: unknown): Promise<Reply> => {
        const id = nextId++;
        return new Promise((resolve) => {
          pending.set(id, (r) => {
            pending.delete(id);
            resolve(r.ok ? { ok: true, result: r.result } : { ok: false, error: r.error });
          });
          socket.send(JSON.stringify({ id, method, params }));
        });
      };
      return {
        call,
        events,
        // One socket keeps order: the answer to a message the server refuses unread (it never
        // reaches the service) comes after every event sent before it.
        settle: async () => {
          const r = await call('no.such.command', {});
          assert.equal(r.ok, false);
        },
        close: async () => {
          const closed = new Promise((resolve) => socket.once('close', resolve));
          socket.close();
          await closed;
          // The server closes the connection's session on 'close'; wait until it has.
          for (let i = 0; i < 100 && ws.internals.sessions.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
        },
      };
    },
    stop: () => server.close(),
  };
}

function ok(r: Reply): unknown {
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.result;
}
function code(r: Reply): string {
  assert.equal(r.ok, false, 'expected an error');
  return r.ok ? '' : r.error.code;
}
const signIn = (c: Client, who = USERS.nurse) =>
  c.call('auth.signIn', { username: who.username, password: who.password });
const tokenOf = (ws: Workstation, username: string): string => {
  const s = ws.internals.sessions.list().find((x) => x.username === username);
  assert.ok(s, `${username} has a session`);
  return s.token;
};

const CASES: Array<{ name: string; run(rig: Rig): Promise<void> }> = [
  {
    name: 'signed out: whoami answers no user, a command is UNAUTHENTICATED',
    async run({ door }) {
      const c = await door.open();
      assert.deepEqual(ok(await c.call('auth.whoami', {})), { user: null });
      assert.equal(code(await c.call('patients.search', {})), 'UNAUTHENTICATED');
    },
  },
  {
    name: 'sign-in: the client gets the session without its token; later calls carry the kept one',
    async run({ ws, door }) {
      const c = await door.open();
      const session = ok(await signIn(c)) as { token: string; user: { username: string }; expiresAt: string };
      assert.equal(session.token, '', 'the page never holds the session token');
      assert.equal(session.user.username, USERS.nurse.username);
      assert.ok(ws.isSessionLive(tokenOf(ws, USERS.nurse.username)), 'the service holds a live session');
      const who = ok(await c.call('auth.whoami', {})) as { user: { username: string } };
      assert.equal(who.user.username, USERS.nurse.username);
      const login = ws.internals.store.audit.list({ action: 'auth.login' }, 10, 0).items[0];
      assert.ok(login, 'auth.login audited');
      assert.equal(login.transport, door.transport);
      assert.match(String(login.details['peer']), door.peer);
    },
  },
  {
    name: 'a wrong password: UNAUTHENTICATED, still signed out, no events',
    async run({ ws, door }) {
      const c = await door.open();
      assert.equal(
        code(await c.call('auth.signIn', { username: USERS.nurse.username, password: 'wrong' })),
        'UNAUTHENTICATED',
      );
      assert.deepEqual(ok(await c.call('auth.whoami', {})), { user: null });
      ws.internals.events.emit('devices.changed', { devices: [], added: ['x'], removed: [] });
      await c.settle();
      assert.deepEqual(c.events, []);
    },
  },
  {
    name: 'sign-out: session.ended (signed-out) reaches the client, then nothing more',
    async run({ ws, door }) {
      const c = await door.open();
      ok(await signIn(c));
      ok(await c.call('auth.signOut', {}));
      await c.settle();
      assert.deepEqual(c.events, [{ event: 'session.ended', payload: { reason: 'signed-out' } }]);
      assert.equal(code(await c.call('patients.search', {})), 'UNAUTHENTICATED');
      ws.internals.events.emit('devices.changed', { devices: [], added: [], removed: [] });
      await c.settle();
      assert.equal(c.events.length, 1, 'signed out: no more events');
      assert.equal(ws.internals.sessions.size, 0);
    },
  },
  {
    name: 'an event for everyone reaches signed-in clients only',
    async run({ ws, door }) {
      const signedIn = await door.open();
      const anonymous = await door.open();
      ok(await signIn(signedIn));
      ws.internals.events.emit('devices.changed', { devices: [], added: ['Stethoscope'], removed: [] });
      await signedIn.settle();
      await anonymous.settle();
      assert.deepEqual(signedIn.events, [
        { event: 'devices.changed', payload: { devices: [], added: ['Stethoscope'], removed: [] } },
      ]);
      assert.deepEqual(anonymous.events, []);
    },
  },
  {
    name: "an event for one session reaches that session's client only",
    async run({ ws, door }) {
      const nurse = await door.open();
      const doctor = await door.open();
      ok(await signIn(nurse, USERS.nurse));
      ok(await signIn(doctor, USERS.doctor));
      const state = { ...IDLE_STATE, captureId: 'c1' };
      ws.internals.events.emit('capture.state', state, tokenOf(ws, USERS.nurse.username));
      ws.internals.events.emit('session.ended', { reason: 'expired' }, 'some-other-session');
      await nurse.settle();
      await doctor.settle();
      assert.deepEqual(nurse.events, [{ event: 'capture.state', payload: state }]);
      assert.deepEqual(doctor.events, []);
    },
  },
  {
    name: 'a session idle past its limit hears nothing, then its own session.ended (expired)',
    async run({ ws, door, clock }) {
      const c = await door.open();
      ok(await signIn(c));
      const token = tokenOf(ws, USERS.nurse.username);
      clock.ms += IDLE_MS + 1;
      // Not swept yet: neither a broadcast nor an event addressed to it is delivered.
      ws.internals.events.emit('devices.changed', { devices: [], added: [], removed: [] });
      ws.internals.events.emit('capture.state', IDLE_STATE, token);
      await c.settle();
      assert.deepEqual(c.events, []);
      ws.internals.sessions.sweep();
      await c.settle();
      assert.deepEqual(c.events, [{ event: 'session.ended', payload: { reason: 'expired' } }]);
      assert.equal(code(await c.call('patients.search', {})), 'UNAUTHENTICATED');
      assert.equal(ws.internals.store.audit.list({ action: 'auth.session.expired' }, 10, 0).total, 1);
    },
  },
  {
    name: 'an account deactivated mid-session: session.ended (locked), then UNAUTHENTICATED',
    async run({ door }) {
      const c = await door.open();
      const admin = await door.open();
      ok(await signIn(c, USERS.doctor));
      ok(await signIn(admin, USERS.admin));
      ok(await admin.call('users.setActive', { username: USERS.doctor.username, active: false }));
      await c.settle();
      assert.deepEqual(c.events, [{ event: 'session.ended', payload: { reason: 'locked' } }]);
      assert.equal(code(await c.call('recordings.reviewQueue', {})), 'UNAUTHENTICATED');
      assert.deepEqual(ok(await c.call('auth.whoami', {})), { user: null }, 'the token was dropped');
    },
  },
  {
    name: 'signing in again replaces the session: one session, the old token dead',
    async run({ ws, door }) {
      const c = await door.open();
      ok(await signIn(c));
      const first = tokenOf(ws, USERS.nurse.username);
      ok(await signIn(c));
      const second = tokenOf(ws, USERS.nurse.username);
      assert.notEqual(first, second);
      assert.equal(ws.internals.sessions.size, 1);
      assert.equal(ws.isSessionLive(first), false);
      const who = ok(await c.call('auth.whoami', {})) as { user: { username: string } };
      assert.equal(who.user.username, USERS.nurse.username);
    },
  },
  {
    name: 'closing the client signs its session out (audited)',
    async run({ ws, door }) {
      const c = await door.open();
      ok(await signIn(c));
      assert.equal(ws.internals.sessions.size, 1);
      await c.close();
      assert.equal(ws.internals.sessions.size, 0);
      const logout = ws.internals.store.audit.list({ action: 'auth.logout' }, 10, 0).items[0];
      assert.equal(logout?.transport, door.transport);
    },
  },
];

const IDLE_STATE = {
  captureId: null,
  state: 'idle' as const,
  patientId: null,
  site: null,
  deviceName: null,
  sampleRate: null,
  elapsedSec: 0,
  targetSec: null,
  message: null,
  recordingId: null,
};

for (const [name, makeDoor] of [
  ['ipc', ipcDoor],
  ['http', httpDoor],
] as const) {
  describe(`sessions and events over ${name}`, () => {
    const open: Rig[] = [];
    after(async () => {
      for (const rig of open) {
        await rig.door.stop();
        await rig.ws.close();
      }
    });
    for (const c of CASES) {
      test(c.name, async () => {
        const clock = { ms: Date.parse('2026-12-01T09:00:00Z') };
        const ws = await workstation(clock);
        const rig = { ws, door: await makeDoor(ws), clock };
        open.push(rig);
        await c.run(rig);
      });
    }
  });
}
