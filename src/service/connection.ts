/**
 * One client's connection to the workstation, whatever carries it (an Electron window, a
 * loopback WebSocket, the CLI). Both transports are thin doors onto this object: they frame
 * messages, check who sent them and decide what to do with a slow client; everything about the
 * session lives here.
 *
 * - Token custody: `auth.signIn`'s token stays in the connection; the answer the client gets
 *   carries `token: ''`. Every later call carries the kept token.
 * - The token is forgotten on sign-out, on any UNAUTHENTICATED answer, and on this session's own
 *   `session.ended` event.
 * - Events: an event reaches a connection only while its session is live, and a session-specific
 *   event only the connection holding that session. The one exception is the session's own
 *   `session.ended`, which is delivered (it is the notice that the session ended) and then the
 *   token is dropped. A connection that is not signed in hears nothing.
 * - `close()` signs the session out: a closed window or tab must not leave a session open that
 *   nobody can reach any more.
 */
import type { CommandName, ParamsOf, ResultOf, SessionInfo, Transport, WireEvent } from './api.js';
import { ApiError } from './errors.js';
import type { EventEnvelope } from './events.js';

/** Who is calling, as the service sees it. The one context type every caller passes. */
export interface CallContext {
  /** The session token this caller holds (from auth.signIn's result), or null. */
  sessionToken: string | null;
  transport: Transport;
  /** Where the call came from (remote address, window id), recorded in the audit log. */
  peer?: string | undefined;
}

export interface ConnectOptions {
  transport: Transport;
  /** Names the client in the audit log (e.g. 'electron-window-1', '127.0.0.1:53122'). */
  peer: string;
}

/** A client's view of the service: what both doors use. */
export interface ServiceConnection {
  /** One command, typed (in-process callers). Validated like any other call. */
  call<K extends CommandName>(method: K, params: ParamsOf<K>): Promise<ResultOf<K>>;
  /** One command from the wire: the method is any string, the params anything; the service
   *  refuses unknown methods and invalid params with INVALID_INPUT. Throws ApiError only. */
  callWire(method: string, params: unknown): Promise<unknown>;
  /** The events this connection may hear (see the rule above). */
  onEvent(listener: (event: WireEvent) => void): () => void;
  readonly signedIn: boolean;
  /** The signed-in user's name (for a transport's log), or null. */
  readonly username: string | null;
  readonly peer: string;
  /** Stop listening and sign the session out (quietly if it has already ended). */
  close(): Promise<void>;
}

/** What a transport is given: something to open connections on. Workstation satisfies it. */
export interface ConnectionFactory {
  connect(opts: ConnectOptions): ServiceConnection;
}

/** What a connection needs from the workstation (kept narrow so the two stay independent). */
export interface ConnectionHost {
  callWire(ctx: CallContext, method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (env: EventEnvelope) => void): () => void;
  isSessionLive(token: string | null): boolean;
}

export class Connection implements ServiceConnection {
  private token: string | null = null;
  private user: string | null = null;
  private closed = false;
  private readonly listeners = new Set<(event: WireEvent) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly host: ConnectionHost,
    private readonly opts: ConnectOptions,
  ) {
    this.unsubscribe = host.onEvent((env) => {
      this.deliver(env);
    });
  }

  get signedIn(): boolean {
    return this.token !== null;
  }

  get username(): string | null {
    return this.token === null ? null : this.user;
  }

  get peer(): string {
    return this.opts.peer;
  }

  async call<K extends CommandName>(method: K, params: ParamsOf<K>): Promise<ResultOf<K>> {
    // The service's handler for K answers ResultOf<K> (registry.ts); this is the typed face of
    // the one dispatch point.
    return (await this.callWire(method, params)) as ResultOf<K>;
  }

  async callWire(method: string, params: unknown): Promise<unknown> {
    if (this.closed) throw new ApiError('BUSY', 'This connection is closed; reconnect.');
    const ctx: CallContext = { sessionToken: this.token, transport: this.opts.transport, peer: this.opts.peer };
    try {
      const result = await this.host.callWire(ctx, method, params);
      if (method === 'auth.signIn') {
        // A connection that signs in again replaces its session: the service ended the old one.
        const session = result as SessionInfo;
        this.token = session.token;
        this.user = session.user.username;
        return { ...session, token: '' } satisfies SessionInfo;
      }
      if (method === 'auth.signOut') this.token = null;
      return result;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') this.token = null;
      throw err;
    }
  }

  onEvent(listener: (event: WireEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.listeners.clear();
    const token = this.token;
    this.token = null;
    if (!token) return;
    try {
      await this.host.callWire(
        { sessionToken: token, transport: this.opts.transport, peer: this.opts.peer },
        'auth.signOut',
        {},
      );
    } catch {
      // Already ended (expired, or the service is closing): nothing to undo.
    }
  }

  private deliver(env: EventEnvelope): void {
    const token = this.token;
    if (token === null) return; // events are for signed-in connections only
    const target = env.sessionToken ?? null;
    if (target !== null && target !== token) return; // another session's event
    if (env.event === 'session.ended') {
      if (target === null) return; // (the service always names the session that ended)
      this.token = null;
    } else if (!this.host.isSessionLive(token)) {
      return; // idle past its limit but not yet swept: it hears nothing more
    }
    const event: WireEvent = { event: env.event, payload: env.payload };
    for (const l of [...this.listeners]) l(event);
  }
}
