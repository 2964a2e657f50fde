/**
 * The IPC transport: carries calls from our window(s) to the workstation service and its events
 * back. It keeps each window's session token (the page never sees it: `auth.signIn` answers with
 * `token: ''`), checks every message's sender and shape (ipc-guard.ts) before the service sees
 * it, and sends an event only to the window whose session it concerns (or to every signed-in
 * window when it concerns no session in particular).
 *
 * Electron objects come in through two small structural ports, so this runs (and is tested)
 * under plain Node against the real service.
 */
import type { CommandName, SessionInfo } from '../service/api.js';
import type { EventEnvelope } from '../service/events.js';
import { toErrorBody } from '../service/errors.js';
import type { FileLog } from './file-log.js';
import { checkSender, parseIpcCall } from './ipc-guard.js';
import type { SenderInfo } from './ipc-guard.js';
import { EVENT_CHANNEL } from './ipc-contract.js';
import type { IpcEvent, IpcReply } from './ipc-contract.js';

/** Who is calling, as the service wants it. */
export interface IpcCallContext {
  sessionToken: string | null;
  transport: 'ipc';
  peer: string;
}

/** What the bridge needs of the workstation service (Workstation satisfies it). */
export interface ServicePort {
  call(ctx: IpcCallContext, method: CommandName, params: unknown): Promise<unknown>;
  onEvent(listener: (env: EventEnvelope) => void): () => void;
  /** Whether a token is still a live session (events go to live sessions only). */
  isSessionLive?(token: string | null | undefined): boolean;
}

/** What the bridge needs of a window's webContents. */
export interface WindowPort {
  readonly id: number;
  send(channel: string, message: IpcEvent): void;
  isDestroyed(): boolean;
}

interface Attached {
  port: WindowPort;
  peer: string;
  token: string | null;
}

type Log = Pick<FileLog, 'info' | 'warn' | 'error'>;

export class IpcBridge {
  private readonly windows = new Map<number, Attached>();
  private readonly ids = new Set<number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly service: ServicePort,
    private readonly log: Log,
  ) {
    this.unsubscribe = service.onEvent((env) => this.deliver(env));
  }

  /** The webContents ids whose messages are accepted. */
  get allowedIds(): ReadonlySet<number> {
    return this.ids;
  }

  /** Accept messages from this window; `peer` names it in the audit log (e.g. 'electron-window-1'). */
  attach(port: WindowPort, peer = `electron-window-${port.id}`): void {
    this.windows.set(port.id, { port, peer, token: null });
    this.ids.add(port.id);
  }

  /** The window closed: its session is signed out (a closed window must not leave one open). */
  async detach(id: number): Promise<void> {
    const w = this.windows.get(id);
    this.windows.delete(id);
    this.ids.delete(id);
    if (w?.token) await this.signOutQuietly(w.token, w.peer);
  }

  /** Session tokens of the attached windows that are signed in (for the shutdown sequence). */
  sessions(): Array<{ token: string; peer: string }> {
    return [...this.windows.values()]
      .filter((w) => w.token !== null)
      .map((w) => ({ token: w.token as string, peer: w.peer }));
  }

  /** The ipcMain.handle(CALL_CHANNEL) handler. Never throws: every failure is an IpcReply. */
  async handle(event: SenderInfo, payload: unknown): Promise<IpcReply> {
    const sender = checkSender(event, this.ids);
    if (!sender.ok) {
      this.log.warn('ipc: message refused', { reason: sender.reason });
      return { ok: false, error: { code: 'FORBIDDEN', message: 'This page may not use the workstation.' } };
    }
    const parsed = parseIpcCall(payload);
    if (!parsed.ok) {
      this.log.warn('ipc: invalid call', { message: parsed.error.message });
      return { ok: false, error: parsed.error };
    }
    const w = this.windows.get(event.sender.id);
    if (!w) return { ok: false, error: { code: 'FORBIDDEN', message: 'This window is closing.' } };
    const { method, params } = parsed;
    const ctx: IpcCallContext = { sessionToken: w.token, transport: 'ipc', peer: w.peer };
    try {
      const result = await this.service.call(ctx, method, params);
      return { ok: true, result: this.afterCall(w, method, result) };
    } catch (err) {
      const error = toErrorBody(err);
      // Command names and codes only: params can hold patient data.
      (error.code === 'INTERNAL' ? this.log.error : this.log.info)(`ipc: ${method} failed`, {
        code: error.code,
        peer: w.peer,
      });
      if (method === 'auth.signOut' || error.code === 'UNAUTHENTICATED') w.token = null;
      return { ok: false, error };
    }
  }

  /** Keeps the session token on our side of the bridge. */
  private afterCall(w: Attached, method: CommandName, result: unknown): unknown {
    if (method === 'auth.signIn') {
      // (A window that signs in again replaces its session: the service ends the old one.)
      const session = result as SessionInfo;
      w.token = session.token;
      this.log.info('ipc: signed in', { user: session.user.username, peer: w.peer });
      return { ...session, token: '' };
    }
    if (method === 'auth.signOut') w.token = null;
    return result;
  }

  private deliver(env: EventEnvelope): void {
    for (const w of this.windows.values()) {
      if (w.token === null) continue; // events are for signed-in windows only
      if (env.sessionToken == null && this.service.isSessionLive && !this.service.isSessionLive(w.token)) continue;
      if (env.sessionToken != null && env.sessionToken !== w.token) continue;
      if (!w.port.isDestroyed()) w.port.send(EVENT_CHANNEL, { event: env.event, payload: env.payload });
      if (env.event === 'session.ended' && env.sessionToken === w.token) w.token = null;
    }
  }

  private async signOutQuietly(token: string, peer: string): Promise<void> {
    try {
      await this.service.call({ sessionToken: token, transport: 'ipc', peer }, 'auth.signOut', {});
    } catch {
      // Already ended (expired, or the service is closing): nothing to undo.
    }
  }

  dispose(): void {
    this.unsubscribe();
    this.windows.clear();
    this.ids.clear();
  }
}
