/**
 * The preload's behaviour: what it exposes, that it forwards the API's commands and refuses
 * others without IPC, how errors and events cross. (That the name lists match api.ts's
 * interfaces is a compile-time check in schemas.ts, not a test.) The preload is bundled exactly as `npm start` bundles it and run in a fresh V8
 * context against a recording stand-in for Electron's contextBridge/ipcRenderer (Electron
 * itself cannot run on this machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { COMMAND_NAMES, EVENT_NAMES } from '../../src/service/api.js';
import { BRIDGE_KEY, CALL_CHANNEL, EVENT_CHANNEL } from '../../src/main/ipc-contract.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';

interface Invoke {
  channel: string;
  payload: unknown;
}
interface Loaded {
  exposed: Map<string, unknown>;
  invokes: Invoke[];
  emit: (message: unknown) => void;
  replyWith: (reply: unknown) => void;
  required: string[];
}

async function loadPreload(): Promise<Loaded> {
  const { bundlePreload } = (await import(join(PROJECT_ROOT, 'scripts', 'build-preload.mjs'))) as {
    bundlePreload: (out: string) => Promise<string>;
  };
  const out = await bundlePreload(join(scratchDir('auscult-preload-'), 'preload.cjs'));
  const exposed = new Map<string, unknown>();
  const invokes: Invoke[] = [];
  const required: string[] = [];
  let onEvent: ((event: unknown, message: unknown) => void) | null = null;
  let nextReply: unknown = { ok: true, result: { fine: true } };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: (channel: string, payload: unknown) => {
        // IPC structured-clones what crosses it (and so gives us this realm's objects).
        invokes.push({ channel, payload: structuredClone(payload) });
        return Promise.resolve(nextReply);
      },
      on: (channel: string, fn: (event: unknown, message: unknown) => void) => {
        assert.equal(channel, EVENT_CHANNEL);
        onEvent = fn;
      },
    },
  };
  // A sandboxed preload gets a require() that knows 'electron' only; so does this one.
  const sandboxRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require '${id}'`);
  };
  const module = { exports: {} };
  runInNewContext(
    readFileSync(out, 'utf8'),
    { require: sandboxRequire, module, exports: module.exports, console, Promise },
    { filename: out },
  );
  return {
    exposed,
    invokes,
    required,
    emit: (message) => onEvent?.({ sender: 'ipc-event-object' }, message),
    replyWith: (reply) => (nextReply = reply),
  };
}

test('the preload exposes window.auscult = { call, on } and nothing else, requiring only electron', async () => {
  const p = await loadPreload();
  assert.deepEqual([...p.exposed.keys()], [BRIDGE_KEY]);
  const api = p.exposed.get(BRIDGE_KEY) as Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), ['call', 'on']);
  assert.equal(typeof api['call'], 'function');
  assert.equal(typeof api['on'], 'function');
  assert.deepEqual([...new Set(p.required)], ['electron']);
});

test('the preload forwards every command of api.ts, and refuses any other without IPC', async () => {
  const p = await loadPreload();
  const api = p.exposed.get(BRIDGE_KEY) as { call(m: unknown, params?: unknown): Promise<unknown> };
  for (const name of [...COMMAND_NAMES]) {
    assert.deepEqual(await api.call(name, { a: 1 }), { fine: true }, name);
  }
  assert.deepEqual(
    p.invokes.map((i) => (i.payload as { method: string }).method),
    [...COMMAND_NAMES],
  );
  assert.ok(p.invokes.every((i) => i.channel === CALL_CHANNEL));
  assert.deepEqual(p.invokes[0]?.payload, { method: [...COMMAND_NAMES][0], params: { a: 1 } });

  const before = p.invokes.length;
  for (const bad of ['system.shutdown', '', 42, null]) {
    await assert.rejects(api.call(bad, {}), (err: unknown) => {
      // A plain object (what contextBridge copies whole), not an Error; String(err) is its message.
      const e = err as Record<string, unknown>;
      assert.deepEqual(Object.keys(e).sort(), ['code', 'message', 'name', 'toString']);
      assert.equal(e['name'], 'ApiError');
      assert.equal(e['code'], 'INVALID_INPUT');
      assert.match(String(e['message']), /^Unknown command/);
      assert.equal(String(err), e['message']);
      return true;
    });
  }
  assert.equal(p.invokes.length, before, 'refused calls never reach the main process');
});

test('the preload turns an error reply into a rejection the page can read (code kept)', async () => {
  const p = await loadPreload();
  const api = p.exposed.get(BRIDGE_KEY) as { call(m: string, params?: unknown): Promise<unknown> };
  p.replyWith({
    ok: false,
    error: { code: 'FORBIDDEN', message: 'A nurse account cannot do that.', details: { x: 1 } },
  });
  await assert.rejects(api.call('users.list', {}), (err: unknown) => {
    const e = err as Record<string, unknown>;
    assert.deepEqual(
      [e['name'], e['code'], e['message'], e['details']],
      ['ApiError', 'FORBIDDEN', 'A nurse account cannot do that.', { x: 1 }],
    );
    assert.equal(String(err), 'A nurse account cannot do that.');
    return true;
  });
  p.replyWith('garbage');
  await assert.rejects(api.call('users.list', {}), { name: 'ApiError', code: 'INTERNAL' });
});

test('the preload subscribes to every event of api.ts; listeners get the payload only', async () => {
  const p = await loadPreload();
  const api = p.exposed.get(BRIDGE_KEY) as { on(e: unknown, l: unknown): () => void };
  const heard: Array<[string, unknown[]]> = [];
  const offs = [...EVENT_NAMES].map((name) => api.on(name, (...args: unknown[]) => heard.push([name, args])));
  for (const name of [...EVENT_NAMES]) p.emit({ event: name, payload: { for: name } });
  assert.deepEqual(
    heard,
    [...EVENT_NAMES].map((name) => [name, [{ for: name }]]),
  );

  offs.forEach((off) => off());
  p.emit({ event: 'capture.state', payload: {} });
  assert.equal(heard.length, [...EVENT_NAMES].length, 'unsubscribed listeners hear nothing');

  assert.throws(() => api.on('not.an.event', () => {}), {
    name: 'TypeError',
    message: 'Unknown event "not.an.event".',
  });
  assert.throws(() => api.on('capture.state', 'not a function'), { name: 'TypeError' });
});

test('one failing listener does not stop the others', async () => {
  const p = await loadPreload();
  const api = p.exposed.get(BRIDGE_KEY) as { on(e: string, l: (x: unknown) => void): () => void };
  const got: unknown[] = [];
  const originalError = console.error;
  console.error = () => {};
  try {
    api.on('capture.level', () => {
      throw new Error('broken widget');
    });
    api.on('capture.level', (x) => got.push(x));
    p.emit({ event: 'capture.level', payload: { rmsDbfs: -20 } });
  } finally {
    console.error = originalError;
  }
  assert.deepEqual(got, [{ rmsDbfs: -20 }]);
});

test('the preload type-checks under its own tsconfig (the root build excludes it)', async () => {
  const { typecheckPreload } = (await import(join(PROJECT_ROOT, 'scripts', 'build-preload.mjs'))) as {
    typecheckPreload: () => void;
  };
  assert.doesNotThrow(() => typecheckPreload());
});
