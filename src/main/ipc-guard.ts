/**
 * Checks on every IPC message before it reaches the service: who sent it (our window's top
 * frame, on our app:// origin) and what it carries (a known command, params a plain object).
 * The service then validates the params against its zod schemas.
 */
import { COMMAND_NAMES } from '../service/api.js';
import type { ApiErrorBody, CommandName } from '../service/api.js';
import { isAppUrl } from './app-protocol.js';

/** The parts of an IpcMainInvokeEvent the check reads (structural, so it runs under plain Node). */
export interface SenderInfo {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export type SenderVerdict = { ok: true } | { ok: false; reason: string };

/**
 * A message is accepted only from a webContents we created (`allowedIds`), from its top frame
 * (an iframe, even of our own origin, is refused), whose document is on app://auscult.
 */
export function checkSender(event: SenderInfo, allowedIds: ReadonlySet<number>): SenderVerdict {
  if (!allowedIds.has(event.sender.id)) return { ok: false, reason: `unknown webContents ${event.sender.id}` };
  const frame = event.senderFrame;
  if (!frame) return { ok: false, reason: 'the sending frame is gone (navigated or destroyed)' };
  if (frame.parent !== null) return { ok: false, reason: 'not the top frame' };
  if (!isAppUrl(frame.url)) return { ok: false, reason: `frame not on the app origin: ${frame.url.slice(0, 120)}` };
  return { ok: true };
}

const COMMANDS: ReadonlySet<string> = new Set(COMMAND_NAMES);

export type ParsedCall =
  { ok: true; method: CommandName; params: Record<string, unknown> } | { ok: false; error: ApiErrorBody };

function invalid(message: string): ParsedCall {
  return { ok: false, error: { code: 'INVALID_INPUT', message } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The payload of one call: exactly `{ method, params }`, method in COMMAND_NAMES, params an object. */
export function parseIpcCall(payload: unknown): ParsedCall {
  if (!isPlainObject(payload)) return invalid('The call must be an object { method, params }.');
  const extra = Object.keys(payload).filter((k) => k !== 'method' && k !== 'params');
  if (extra.length > 0) return invalid(`The call has unexpected fields: ${extra.slice(0, 5).join(', ')}.`);
  const { method, params } = payload;
  if (typeof method !== 'string') return invalid('The call needs a "method" naming a command.');
  if (!COMMANDS.has(method)) return invalid(`Unknown command "${method.slice(0, 80)}".`);
  const p = params === undefined ? {} : params;
  if (!isPlainObject(p)) return invalid(`The params of ${method} must be an object.`);
  return { ok: true, method: method as CommandName, params: p };
}
