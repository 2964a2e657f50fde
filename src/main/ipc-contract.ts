/**
 * What the main process and the preload agree on: two channel names and the message shapes.
 * No Electron or Node imports: the preload bundle and the main process both include this file.
 */
import type { ApiErrorBody, EventName } from '../service/api.js';

/** The key the preload exposes the API under: `window.auscult` in the renderer. */
export const BRIDGE_KEY = 'auscult';
/** Renderer → main, `ipcRenderer.invoke`: one command. */
export const CALL_CHANNEL = 'auscult:call';
/** Main → renderer, `webContents.send`: one service event. */
export const EVENT_CHANNEL = 'auscult:event';

/** The payload of one `invoke` on CALL_CHANNEL. */
export interface IpcCall {
  method: string;
  params: unknown;
}
/**
 * The answer. Errors travel as data because Electron rebuilds a thrown Error from its message
 * alone (the `code` would be lost), and the renderer needs the code to react.
 */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };
/** One event pushed to a window. */
export interface IpcEvent {
  event: EventName;
  payload: unknown;
}
