/**
 * Parsing one incoming WebSocket message into a WireRequest. Anything malformed becomes a typed
 * INVALID_INPUT error the client can show, and never reaches the service.
 */
import { MAX_IMPORT_BASE64_CHARS } from '../common/import-limit.js';
import { COMMAND_NAMES } from '../service/api.js';
import type { ApiErrorBody, CommandName, WireResponse } from '../service/api.js';

/** Largest request we accept: one import at the import limit (base64) and its JSON envelope. */
export const MAX_MESSAGE_BYTES = MAX_IMPORT_BASE64_CHARS + 64 * 1024;

const COMMANDS: ReadonlySet<string> = new Set(COMMAND_NAMES);

export type ParsedRequest =
  { ok: true; id: number; method: CommandName; params: unknown } | { ok: false; id: number; error: ApiErrorBody };

function invalid(id: number, message: string): ParsedRequest {
  return { ok: false, id, error: { code: 'INVALID_INPUT', message } };
}

export function isCommandName(name: string): name is CommandName {
  return COMMANDS.has(name);
}

/** `id` -1 answers a message whose own id could not be read. */
export function parseRequest(raw: string): ParsedRequest {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return invalid(-1, 'The message is not valid JSON. Send {"id": <number>, "method": "<command>", "params": {...}}.');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return invalid(-1, 'The message must be a JSON object {"id", "method", "params"}.');
  }
  const rec = msg as Record<string, unknown>;
  const id = rec['id'];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    return invalid(-1, 'The message needs a non-negative integer "id" to match its answer.');
  }
  const method = rec['method'];
  if (typeof method !== 'string') return invalid(id, 'The message needs a "method" naming a command.');
  if (!isCommandName(method)) return invalid(id, `Unknown command "${method.slice(0, 80)}".`);
  const params = rec['params'] === undefined ? {} : rec['params'];
  return { ok: true, id, method, params };
}

export function errorResponse(id: number, error: ApiErrorBody): WireResponse {
  return { id, ok: false, error };
}
