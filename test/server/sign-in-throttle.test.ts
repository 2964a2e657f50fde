/**
 * Authentication that holds (issue 14 §5), at the real loopback server and the service:
 * 200 parallel wrong passwords plus the right one, each on its own WebSocket, evaluate at most
 * the lockout's number of guesses; a lockout on the loopback server does not keep the admin out of
 * the desktop window (another transport) and attempts during a lock do not extend it; a password
 * change ends the user's other sessions and a self-change needs the current password; sessions
 * end after an absolute lifetime however active; old scrypt hashes are replaced at sign-in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackServer } from '../../src/server/loopback-server.js';
import { MAX_FAILURES } from '../../src/service/sign-in-guard.js';
import { Workstation, type CallContext } from '../../src/service/workstation.js';
import { hashPassword, needsRehash } from '../../src/store/index.js';
import { rejectsWith } from '../service/helpers.js';
import { scratchDir } from '../support/paths.js';
import { WireClient } from '../support/wire-client.js';
import { createAccount } from '../support/accounts.js';

const RIGHT = 'the-admins-real-password';

async function workstation(now?: () => number): Promise<{ ws: Workstation; dir: string }> {
  const dir = scratchDir('auscult-throttle-');
  const ws = await Workstation.open({ dbPath: join(dir, 'auscult.sqlite'), dataDir: dir, engine: null, now });
  const store = ws.internals.store;
  const passwordHash = await hashPassword(RIGHT);
  store.tx(() => {
    createAccount(store, { username: 'ada', displayName: 'Ada Admin', role: 'admin', passwordHash });
    createAccount(store, { username: 'nina', displayName: 'Nina Nurse', role: 'nurse', passwordHash });
  });
  return { ws, dir };
}

function evaluated(ws: Workstation): { wrong: number; lockedOut: number; ok: number } {
  const items = ws.internals.store.audit.list({ action: 'auth.login' }, 10_000, 0).items;
  return {
    wrong: items.filter((e) => e.action === 'auth.login.failed' && e.details['reason'] === 'wrong-password').length,
    lockedOut: items.filter((e) => e.action === 'auth.login.failed' && e.details['reason'] === 'locked-out').length,
    ok: items.filter((e) => e.action === 'auth.login').length,
  };
}

test('200 parallel wrong passwords + the right one at the loopback server: at most the lockout evaluates', async () => {
  const { ws, dir } = await workstation();
  const rendererDir = join(dir, 'renderer');
  mkdirSync(rendererDir);
  const server = await startLoopbackServer({ workstation: ws, rendererDir });
  try {
    const clients = await Promise.all(Array.from({ length: 201 }, () => WireClient.open(server.port, server.token)));
    const answers = await Promise.all(
      clients.map((c, i) => c.call('auth.signIn', { username: 'ada', password: i === 100 ? RIGHT : `guess-${i}` })),
    );
    for (const c of clients) c.close();
    const e = evaluated(ws);
    assert.ok(e.wrong + e.ok <= MAX_FAILURES, `${e.wrong + e.ok} guesses were evaluated (limit ${MAX_FAILURES})`);
    assert.equal(e.wrong + e.ok + e.lockedOut, 201, 'every attempt is audited');
    assert.equal(answers.filter((a) => !a.ok).length, 201 - e.ok);
  } finally {
    await server.close();
    await ws.close();
  }
});

test('a lockout on one transport does not lock the admin out of another; attempts during the lock do not extend it', async () => {
  let t = 1_000_000;
  const { ws } = await workstation(() => t);
  const http = (i: number): CallContext => ({ sessionToken: null, transport: 'http', peer: `127.0.0.1:${40000 + i}` });
  for (let i = 0; i < MAX_FAILURES; i++)
    await rejectsWith(ws.call(http(i), 'auth.signIn', { username: 'ada', password: 'wrong' }), 'UNAUTHENTICATED');
  await rejectsWith(
    ws.call(http(99), 'auth.signIn', { username: 'ada', password: RIGHT }),
    'UNAUTHENTICATED',
    /Too many wrong passwords/,
  );
  // The desktop window is another door: the stranger on the loopback server cannot close it.
  const ipc: CallContext = { sessionToken: null, transport: 'ipc', peer: 'window:1' };
  const s = await ws.call(ipc, 'auth.signIn', { username: 'ada', password: RIGHT });
  assert.equal(s.user.username, 'ada');
  // Strangers keep trying during the lock: refused unevaluated, and the lock still ends on time.
  t += 30_000;
  for (let i = 0; i < 20; i++)
    await rejectsWith(ws.call(http(200 + i), 'auth.signIn', { username: 'ada', password: 'x' }), 'UNAUTHENTICATED');
  t += 31_000;
  const after = await ws.call(http(500), 'auth.signIn', { username: 'ada', password: RIGHT });
  assert.equal(after.user.username, 'ada');
  await ws.close();
});

test('one source is backed off whatever user names it tries', async () => {
  let t = 5_000_000;
  const { ws } = await workstation(() => t);
  const src: CallContext = { sessionToken: null, transport: 'http', peer: '127.0.0.1:5555' };
  for (let i = 0; i < 10; i++)
    await rejectsWith(ws.call(src, 'auth.signIn', { username: `user${i}`, password: 'x' }), 'UNAUTHENTICATED');
  const before = evaluated(ws).wrong;
  await rejectsWith(
    ws.call(src, 'auth.signIn', { username: 'nina', password: RIGHT }),
    'UNAUTHENTICATED',
    /from this connection/,
  );
  assert.equal(evaluated(ws).wrong, before);
  t += 61_000;
  assert.equal((await ws.call(src, 'auth.signIn', { username: 'nina', password: RIGHT })).user.username, 'nina');
  await ws.close();
});

test('a password change ends the other sessions; a self-change needs the current password', async () => {
  const { ws } = await workstation();
  const ctx = (peer: string): CallContext => ({ sessionToken: null, transport: 'http', peer });
  const a = ctx('a');
  const b = ctx('b');
  const admin = ctx('c');
  for (const [c, u] of [
    [a, 'nina'],
    [b, 'nina'],
    [admin, 'ada'],
  ] as const)
    c.sessionToken = (await ws.call(c, 'auth.signIn', { username: u, password: RIGHT })).token;
  await rejectsWith(
    ws.call(a, 'users.setPassword', { username: 'nina', password: 'a-new-password' }),
    'INVALID_INPUT',
    /current password/,
  );
  await rejectsWith(
    ws.call(a, 'users.setPassword', { username: 'nina', password: 'a-new-password', currentPassword: 'nope' }),
    'FORBIDDEN',
  );
  assert.equal(ws.isSessionLive(a.sessionToken), true, 'a wrong current password does not sign out');
  await ws.call(a, 'users.setPassword', { username: 'nina', password: 'a-new-password', currentPassword: RIGHT });
  assert.equal(ws.isSessionLive(a.sessionToken), true, 'the session that changed it stays');
  assert.equal(ws.isSessionLive(b.sessionToken), false, 'the other session ended');
  // An admin reset ends all of them.
  await ws.call(admin, 'users.setPassword', { username: 'nina', password: 'reset-by-admin' });
  assert.equal(ws.isSessionLive(a.sessionToken), false);
  await ws.close();
});

test('a session ends after its absolute lifetime however active it is; an old-cost hash is replaced at sign-in', async () => {
  let t = 9_000_000;
  const { ws } = await workstation(() => t);
  const store = ws.internals.store;
  const c: CallContext = { sessionToken: null, transport: 'http', peer: 'p' };
  c.sessionToken = (await ws.call(c, 'auth.signIn', { username: 'nina', password: RIGHT })).token;
  // Active every 10 minutes (below the idle limit) for 13 hours.
  for (let i = 0; i < 13 * 6; i++) {
    t += 10 * 60_000;
    if (!ws.isSessionLive(c.sessionToken)) break;
    await ws.call(c, 'auth.whoami', {});
  }
  assert.equal(ws.isSessionLive(c.sessionToken), false);
  assert.ok(t - 9_000_000 <= 12 * 60 * 60_000 + 10 * 60_000, 'it ended at 12 h');
  // A hash made at the old cost (N = 2^14) verifies once and is replaced.
  const old =
    'scrypt$16384$8$1$' +
    Buffer.alloc(16, 1).toString('base64') +
    '$' +
    (await import('node:crypto'))
      .scryptSync(RIGHT, Buffer.alloc(16, 1), 32, { N: 16384, r: 8, p: 1 })
      .toString('base64');
  // as an older Auscult set it: the change and its sealed entry (user-credential.ts)
  store.tx(() => {
    store.users.setPasswordHash('ada', old);
    const id = store.users.byUsername('ada')!.id;
    store.audit.append({
      username: null,
      action: 'user.password',
      objectType: 'user',
      objectId: id,
      transport: 'cli',
      details: { username: 'ada', credential: store.users.credential(id) },
    });
  });
  assert.ok(needsRehash(store.users.byUsername('ada')!.passwordHash));
  await ws.call({ sessionToken: null, transport: 'http', peer: 'q' }, 'auth.signIn', {
    username: 'ada',
    password: RIGHT,
  });
  const now = store.users.byUsername('ada')!.passwordHash;
  assert.ok(now.startsWith('scrypt$131072$8$1$'), now);
  await ws.close();
});
