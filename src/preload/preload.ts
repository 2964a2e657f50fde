/**
 * The preload: the only code in the renderer process that can reach Electron. It exposes
 * exactly the workstation API (`ApiClient`: call + on) on `window.auscult` through contextBridge,
 * and nothing else: no ipcRenderer, no event objects, no Node values cross into the page.
 *
 * It runs sandboxed, so it must be one CommonJS file that requires only 'electron':
 * scripts/build-preload.mjs bundles it (with the two constant lists from api.ts) to
 * dist/preload/preload.cjs. The main process checks every call again (src/main/ipc-guard.ts):
 * these checks only fail fast in the page.
 */
/* eslint-disable @typescript-eslint/only-throw-error, @typescript-eslint/prefer-promise-reject-errors --
   contextBridge copies an Error's message only: the page is given plain { name, code, message } objects. */
import { contextBridge, ipcRenderer } from 'electron';
import { COMMAND_NAMES, EVENT_NAMES } from '../service/api.js';
import type { ApiClient, ApiErrorBody } from '../service/api.js';
import { BRIDGE_KEY, CALL_CHANNEL, EVENT_CHANNEL } from '../main/ipc-contract.js';
import type { IpcReply } from '../main/ipc-contract.js';

const COMMANDS: ReadonlySet<string> = new Set(COMMAND_NAMES);
const EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES);

/**
 * A rejection the page can read. A plain object, not an Error: contextBridge copies an Error's
 * message only, so `code` (what the UI reacts to) would be lost.
 */
interface BridgeError extends ApiErrorBody {
  name: 'ApiError';
  toString(): string;
}

function bridgeError(body: ApiErrorBody): BridgeError {
  const message = body.message;
  // toString (proxied across the bridge like any function) keeps String(err) readable for code
  // that expects an Error.
  const out: BridgeError = { name: 'ApiError', code: body.code, message, toString: () => message };
  if (body.details !== undefined) out.details = body.details;
  return out;
}

function isReply(value: unknown): value is IpcReply {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

const listeners = new Map<string, Set<(payload: unknown) => void>>();

// One subscription for all events; the page only ever sees the payload, never the IPC event.
ipcRenderer.on(EVENT_CHANNEL, (_event: unknown, message: unknown) => {
  if (typeof message !== 'object' || message === null) return;
  const { event, payload } = message as { event?: unknown; payload?: unknown };
  if (typeof event !== 'string') return;
  for (const listener of [...(listeners.get(event) ?? [])]) {
    try {
      listener(payload);
    } catch (err) {
      // A failing listener must not stop the others from hearing the event.
      console.error(`auscult: a listener for ${event} failed`, err);
    }
  }
});

function call(method: unknown, params: unknown): Promise<unknown> {
  if (typeof method !== 'string' || !COMMANDS.has(method)) {
    return Promise.reject(
      bridgeError({ code: 'INVALID_INPUT', message: `Unknown command "${String(method).slice(0, 80)}".` }),
    );
  }
  return ipcRenderer.invoke(CALL_CHANNEL, { method, params: params ?? {} }).then((reply: unknown) => {
    if (!isReply(reply)) {
      throw bridgeError({
        code: 'INTERNAL',
        message: 'The workstation sent an unreadable answer. Restart Auscult; tell your administrator if it repeats.',
      });
    }
    if (!reply.ok) throw bridgeError(reply.error);
    return reply.result;
  });
}

function on(event: unknown, listener: unknown): () => void {
  if (typeof event !== 'string' || !EVENTS.has(event))
    throw new TypeError(`Unknown event "${String(event).slice(0, 80)}".`);
  if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
  const fn = listener as (payload: unknown) => void;
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(fn);
  return () => {
    set.delete(fn);
  };
}

// The result types are the service's promise (it validates and answers per api.ts); the cast
// only lets these non-generic functions stand for ApiClient's generic signatures.
const client = { call, on } as unknown as ApiClient;
contextBridge.exposeInMainWorld(BRIDGE_KEY, client);
