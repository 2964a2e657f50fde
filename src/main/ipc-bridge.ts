/**
 * The IPC transport: a thin door onto the service's connection (src/service/connection.ts), one
 * connection per window. It checks every message's sender and shape (ipc-guard.ts) before the
 * service sees it, frames answers as IpcReply and events as IpcEvent, and logs. The session
 * token, its custody and event routing are the connection's.
 *
 * Electron objects come in through a small structural port, so this runs (and is tested) under
 * plain Node against the real service.
 */
import type { ConnectionFactory, ServiceConnection } from '../service/connection.js';
import { toErrorBody } from '../service/errors.js';
import type { FileLog } from './file-log.js';
import { checkSender, parseIpcCall } from './ipc-guard.js';
import type { SenderInfo } from './ipc-guard.js';
import { EVENT_CHANNEL } from './ipc-contract.js';
import type { IpcEvent, IpcReply } from './ipc-contract.js';

/** What the bridge needs of a window's webContents. */
export interface WindowPort {
  readonly id: number;
  send(channel: string, message: IpcEvent): void;
  isDestroyed(): boolean;
}

type Log = Pick<FileLog, 'info' | 'warn' | 'error'>;

export class IpcBridge {
  private readonly windows = new Map<number, ServiceConnection>();

  constructor(
    private readonly service: ConnectionFactory,
    private readonly log: Log,
  ) {}

  /** The webContents ids whose messages are accepted. */
  get allowedIds(): ReadonlySet<number> {
    return new Set(this.windows.keys());
  }

  /** Accept messages from this window; `peer` names it in the audit log (e.g. 'electron-window-1'). */
  attach(port: WindowPort, peer = `electron-window-${port.id}`): void {
    const conn = this.service.connect({ transport: 'ipc', peer });
    conn.onEvent((event) => {
      // Live display events are small and the window is local: no slow-client policy is needed.
      if (!port.isDestroyed()) port.send(EVENT_CHANNEL, event);
    });
    this.windows.set(port.id, conn);
  }

  /** The window closed: its connection closes, which signs its session out. */
  async detach(id: number): Promise<void> {
    const conn = this.windows.get(id);
    this.windows.delete(id);
    await conn?.close();
  }

  /** The signed-in windows' connections (the shutdown sequence settles their captures). */
  signedIn(): ServiceConnection[] {
    return [...this.windows.values()].filter((c) => c.signedIn);
  }

  /** The ipcMain.handle(CALL_CHANNEL) handler. Never throws: every failure is an IpcReply. */
  async handle(event: SenderInfo, payload: unknown): Promise<IpcReply> {
    const sender = checkSender(event, this.allowedIds);
    if (!sender.ok) {
      this.log.warn('ipc: message refused', { reason: sender.reason });
      return { ok: false, error: { code: 'FORBIDDEN', message: 'This page may not use the workstation.' } };
    }
    const parsed = parseIpcCall(payload);
    if (!parsed.ok) {
      this.log.warn('ipc: invalid call', { message: parsed.error.message });
      return { ok: false, error: parsed.error };
    }
    const conn = this.windows.get(event.sender.id);
    if (!conn) return { ok: false, error: { code: 'FORBIDDEN', message: 'This window is closing.' } };
    const { method, params } = parsed;
    try {
      const result = await conn.callWire(method, params);
      if (method === 'auth.signIn') this.log.info('ipc: signed in', { user: conn.username, peer: conn.peer });
      return { ok: true, result };
    } catch (err) {
      const error = toErrorBody(err);
      // Command names and codes only: params can hold patient data.
      (error.code === 'INTERNAL' ? this.log.error : this.log.info)(`ipc: ${method} failed`, {
        code: error.code,
        peer: conn.peer,
      });
      return { ok: false, error };
    }
  }

  /** Closes every window's connection (their sessions are signed out). */
  async dispose(): Promise<void> {
    const conns = [...this.windows.values()];
    this.windows.clear();
    await Promise.all(conns.map((c) => c.close()));
  }
}
