/**
 * The workstation service: one object per running app, shared by every transport. A transport
 * opens one `connect({ transport, peer })` per client (window, WebSocket) and carries its
 * messages; the connection keeps the session. In-process callers (the CLI, tests) may also use
 * `call(ctx, method, params)` with a context of their own. See README.md in this folder.
 */
import { isSiteUrl, openStoreAt } from './site-store.js';
import { Outbox } from '../store/index.js';
import { forwardOutbox, isUnreachable } from './outbox-forwarder.js';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AtRestKey } from '../common/at-rest.js';
import type { CommandName, ParamsOf, ResultOf, Transport, UserInfo } from './api.js';
import { Store, StoreError, type KeyCustody } from '../store/index.js';
import { readDescriptor, resolveAtRestKey, withFolderCipher } from './at-rest-keys.js';
import { CaptureController } from './capture-controller.js';
import { openExportJobs, type ExportJobsSlot } from './commands/exports.js';
import { Connection, type CallContext, type ConnectOptions, type ServiceConnection } from './connection.js';
import { ApiError, toApiError } from './errors.js';
import { EventBus, type EventEnvelope } from './events.js';
import type { AnalysisEnginePort, CaptureWiring, Deps, PublicCall, UserCall } from './handler.js';
import { toUserInfo } from './mappers.js';
import { exportsDir, inProgressDir, recordingsDir, signingDir } from './paths.js';
import { handlerFor } from './registry.js';
import { describeIssues, friendlyIssue, PARAM_SCHEMAS } from './schemas.js';
import { Sessions, type EndReason, type Session } from './sessions.js';
import { auditFailedSignIn, checkPassword, refusal } from './sign-in-guard.js';
import { osAccountName } from './os-account.js';

export type { CallContext, ConnectOptions, ServiceConnection };

export interface WorkstationOptions {
  dbPath: string;
  dataDir: string;
  /** The analysis engine; null = none (recordings are stored without analysis, and say so). */
  engine?: AnalysisEnginePort | null;
  /** Loads the engine at open time when `engine` is not given (default: AnalysisEngine.load from
   *  `modelsDir`, when set); a failure becomes engineError and the workstation opens without one. */
  loadEngine?: () => Promise<AnalysisEnginePort>;
  /** Why there is no engine, for model.info / system.status (when engine is null). */
  engineError?: string | null;
  modelsDir?: string;
  /** Sign out after this long without a call (default 15 min). */
  sessionIdleMs?: number;
  /** The clock sessions use (ms); tests pass a controllable one. */
  now?: () => number;
  /** How capture is wired (backend, pipeline parts, countdown); real defaults otherwise. */
  capture?: CaptureWiring;
  /** Run SQLite's quick check before serving the database (default true). */
  quickCheck?: boolean;
  /**
   * The at-rest key of an encrypted data folder; absent = from `keyFile` / the environment
   * (AUSCULT_KEY_FILE, AUSCULT_PASSPHRASE) when the folder is encrypted (see at-rest-keys.ts).
   */
  atRest?: AtRestKey | null;
  /** The key file of an encrypted data folder (`--key-file`). */
  keyFile?: string;
  /** The signing folder (default: signingDir(dataDir), outside the data folder). */
  signingDir?: string;
  /** How the desktop app keeps the signing key (the OS keystore); default a 0600 key file. */
  keyCustody?: KeyCustody;
  /**
   * A database behind its signed checkpoint log (a restored older copy) opens anyway, refusing
   * every command but `system.status` and `system.acceptRollback` until an administrator accepts
   * it in the app (`serve` and the desktop app; default: refused at open, ROLLED_BACK).
   */
  offerRollbackAcceptance?: boolean;
  /** Site mode: how often the outbox retries an unreachable site (default 10 s). */
  forwardIntervalMs?: number;
}

/** The only commands a restored older copy answers before an administrator accepts it. */
const WHILE_ROLLED_BACK: ReadonlySet<string> = new Set(['system.status', 'system.acceptRollback', 'auth.whoami']);

/** The key to open the folder with, checked against what the folder says it needs. */
function checkedAtRestKey(opts: WorkstationOptions): AtRestKey | null {
  if (opts.atRest === undefined) return resolveAtRestKey(opts.dataDir, { keyFile: opts.keyFile });
  const d = readDescriptor(opts.dataDir);
  if (d && !opts.atRest)
    throw new ApiError('STORAGE', `The data folder ${opts.dataDir} is encrypted; it was opened without its key.`);
  if (!d && opts.atRest)
    throw new ApiError('STORAGE', `The data folder ${opts.dataDir} is not encrypted, but a key was given.`);
  if (d && opts.atRest && d.keyId !== opts.atRest.keyId)
    throw new ApiError('STORAGE', `The key given is not this data folder's key (${opts.dataDir}); nothing was opened.`);
  return d && opts.atRest ? withFolderCipher(opts.atRest, d) : opts.atRest;
}

type ServiceStoreUsers = Deps['store']['users'];

export class Workstation {
  private closed = false;

  private constructor(
    private readonly deps: Deps,
    private readonly closers: (() => void | Promise<void>)[],
  ) {}

  static async open(opts: WorkstationOptions): Promise<Workstation> {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    // A site database is encrypted at rest by its server, not with the data folder's key.
    const atRest = isSiteUrl(opts.dbPath) ? null : checkedAtRestKey(opts);
    let store: Store;
    try {
      // Checked before it is trusted: quick_check at every start (serve, the app, the CLI).
      // The signing folder is beside the database's folder (the CLI's check and audit find it from
      // --db the same way); a site database's, beside this workstation's data folder.
      store = openStoreAt(opts.dbPath, {
        key: atRest,
        quickCheck: opts.quickCheck ?? true,
        dataDir: opts.dataDir,
        signingDir:
          opts.signingDir ?? (isSiteUrl(opts.dbPath) ? signingDir(opts.dataDir) : signingDir(dirname(opts.dbPath))),
        custody: opts.keyCustody,
        ...(opts.offerRollbackAcceptance ? { rolledBack: 'inspect' as const } : {}),
      });
    } catch (err) {
      throw err instanceof StoreError ? new ApiError('STORAGE', err.message) : err;
    }
    let engine: AnalysisEnginePort | null = opts.engine ?? null;
    let engineError: string | null = opts.engineError ?? null;
    const loader =
      opts.loadEngine ??
      (opts.modelsDir
        ? async () => {
            // Loaded lazily so a workstation without models never loads onnxruntime.
            const { AnalysisEngine } = await import('../inference/engine.js');
            return AnalysisEngine.load({ modelsDir: opts.modelsDir });
          }
        : undefined);
    if (opts.engine === undefined && loader) {
      try {
        engine = await loader();
      } catch (err) {
        engine = null;
        engineError = err instanceof Error ? err.message : String(err);
      }
    }
    if (!engine && !engineError)
      engineError = 'No analysis engine is configured; recordings are stored without analysis.';
    const events = new EventBus();
    const closers: (() => void | Promise<void>)[] = [];
    // Sessions report their end to the workstation, which exists only once deps do.
    const ended: { to: ((s: Session, reason: EndReason) => void) | null } = { to: null };
    const sessions = new Sessions(
      opts.sessionIdleMs ?? 15 * 60_000,
      (s, reason) => ended.to?.(s, reason),
      undefined,
      opts.now,
    );
    let capture: CaptureController | null = null;
    let exportJobs: ExportJobsSlot | null = null;
    // Site mode: recordings made while the site is away wait here (src/store/outbox.ts), on this workstation.
    const outbox = store.engine === 'postgresql' ? Outbox.open(opts.dataDir) : null;
    const deps: Deps = {
      store,
      outbox,
      events,
      sessions,
      engine,
      engineError,
      atRest,
      dbPath: opts.dbPath,
      dataDir: opts.dataDir,
      recordingsDir: recordingsDir(opts.dataDir),
      exportsDir: exportsDir(opts.dataDir),
      inProgressDir: inProgressDir(opts.dataDir),
      captureWiring: opts.capture ?? {},
      get capture() {
        return (capture ??= new CaptureController(deps));
      },
      get captureIfStarted() {
        return capture;
      },
      get exports() {
        return (exportJobs ??= openExportJobs(deps));
      },
      onClose: (fn) => closers.push(fn),
    };
    const ws = new Workstation(deps, closers);
    ended.to = (s, reason) => {
      ws.sessionEnded(s, reason);
    };
    removeLeftovers(deps);
    if (outbox) {
      closers.push(() => outbox.close());
      const forward = () => {
        // Not while a restored site awaits acceptance: without the key every item would be refused.
        if (ws.closed || store.rollbackPending || outbox.counts().waiting === 0) return;
        try {
          const r = forwardOutbox(deps, outbox);
          if (r.uploaded || r.refused)
            console.error(
              `auscult: uploaded ${r.uploaded} waiting recording(s) to the site database${r.refused ? `; ${r.refused} refused` : ''}.`,
            );
        } catch (err) {
          console.error('auscult: the outbox could not be forwarded:', err);
        }
      };
      // Retried on a timer (a reconnect attempt costs at most connect_timeout), and at once when
      // the live-updates connection is back.
      const timer = setInterval(forward, opts.forwardIntervalMs ?? 10_000);
      timer.unref();
      closers.push(() => clearInterval(timer));
      try {
        // node-postgres only for a site: a single workstation's every start would pay its import.
        const { listenToSite } = await import('./site-events.js');
        closers.push(await listenToSite(opts.dbPath, events, { onReconnect: forward }));
      } catch (err) {
        await ws.close();
        throw new ApiError(
          'STORAGE',
          `Cannot listen for the site database's live updates: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      setImmediate(forward); // what waited while this workstation was off
    }
    return ws;
  }

  /** One client's connection (a window, a WebSocket): it keeps the session and routes events. */
  connect(opts: ConnectOptions): ServiceConnection {
    return new Connection(
      {
        callWire: (ctx, method, params) => this.callWire(ctx, method, params),
        onEvent: (listener) => this.deps.events.on(listener),
        isSessionLive: (token) => this.deps.sessions.isLive(token),
      },
      opts,
    );
  }

  /** One command, typed, in the caller's own context (CLI, tests). Validated like any call. */
  async call<K extends CommandName>(ctx: CallContext, method: K, params: ParamsOf<K>): Promise<ResultOf<K>> {
    // The registry's handler for K answers ResultOf<K>: this is the typed face of callWire.
    return (await this.callWire(ctx, method, params)) as ResultOf<K>;
  }

  /**
   * Validate, authenticate, authorise and run one command whose name and params came from
   * outside (a wire message): an unknown method or invalid params is INVALID_INPUT.
   * Throws ApiError only.
   */
  async callWire(ctx: CallContext, method: string, params: unknown): Promise<unknown> {
    if (this.closed) throw new ApiError('BUSY', 'The workstation is shutting down; try again after it restarts.');
    const def = handlerFor(method);
    if (!def) throw new ApiError('INVALID_INPUT', `Unknown command '${method.slice(0, 100)}'.`);
    if (this.deps.store.rollbackPending && !WHILE_ROLLED_BACK.has(method))
      throw new ApiError(
        'STORAGE',
        "This workstation's database is a restored older copy, behind its signed checkpoint log: nothing can be read or written until an administrator accepts it (on the sign-in page, or with `auscult restore accept`). Nothing was changed.",
      );
    const user = this.resolveUser(ctx.sessionToken);
    const base: PublicCall = {
      user,
      transport: ctx.transport,
      peer: ctx.peer,
      sessionToken: user ? ctx.sessionToken : null,
    };
    const what = method.slice(0, 100);
    if (def.access === 'user') {
      if (!user) {
        throw new ApiError(
          'UNAUTHENTICATED',
          ctx.sessionToken ? 'Your session has ended (signed out, or idle too long). Sign in again.' : 'Sign in first.',
        );
      }
      if (!def.roles.includes(user.role)) {
        throw new ApiError(
          'FORBIDDEN',
          `A ${user.role} account cannot do '${what}'. Allowed: ${def.roles.join(', ')}.`,
        );
      }
    }
    const schema = PARAM_SCHEMAS[method as CommandName];
    const parsed = schema.safeParse(params === undefined || params === null ? {} : params, { error: friendlyIssue });
    if (!parsed.success) {
      const { message, issues } = describeIssues(parsed.error);
      throw new ApiError('INVALID_INPUT', `Not done — ${message} Correct it and try again.`, { issues });
    }
    try {
      // The union of handler signatures collapses to this at the one dynamic dispatch point.
      const handler = def as { run(deps: Deps, call: PublicCall | UserCall, p: unknown): unknown };
      return await handler.run(this.deps, base, parsed.data);
    } catch (err) {
      throw toApiError(err);
    }
  }

  /**
   * The CLI's `--user NAME`: that user's password is required (prompt or AUSCULT_PASSWORD), under
   * the same throttle as any sign-in, and the audit entry records the operating-system account and
   * process that ran the command. Returns the session token.
   */
  async signInCli(username: string, password: string): Promise<string> {
    const os = osAccountName();
    const call: PublicCall = { user: null, transport: 'cli', peer: `os:${os}`, sessionToken: null };
    const c = await checkPassword(this.deps, call, username, password);
    if (!c.ok) {
      auditFailedSignIn(this.deps, call, username, c);
      throw refusal(c, username);
    }
    const u = c.user;
    const s = this.deps.sessions.create(u, 'cli');
    this.deps.store.tx(() =>
      this.deps.store.audit.append({
        username: u.username,
        action: 'auth.login',
        objectType: 'user',
        objectId: u.id,
        transport: 'cli',
        details: { method: 'cli-password', osAccount: os, pid: process.pid },
      }),
    );
    return s.token;
  }

  /**
   * A session without a password, for in-process embedding and tests only (no transport or CLI
   * command reaches it: the CLI uses signInCli). Audited as `method: 'local'`. Returns the token.
   */
  signInLocal(username: string, transport: Transport = 'cli'): string {
    const u = this.deps.store.users.byUsername(username);
    if (!u) throw new ApiError('NOT_FOUND', `No user named '${username}'. List users with: auscult users list`);
    if (!u.active) throw new ApiError('UNAUTHENTICATED', `The account '${username}' is deactivated.`);
    const s = this.deps.sessions.create(u, transport);
    this.deps.store.tx(() =>
      this.deps.store.audit.append({
        username: u.username,
        action: 'auth.login',
        objectType: 'user',
        objectId: u.id,
        transport,
        details: { method: 'local' },
      }),
    );
    return s.token;
  }

  /** The signed-in caller for a token (for trusted in-process callers such as the CLI's import). */
  userCall(ctx: CallContext): UserCall {
    const user = this.resolveUser(ctx.sessionToken);
    if (!user) throw new ApiError('UNAUTHENTICATED', 'Sign in first.');
    return { user, transport: ctx.transport, peer: ctx.peer, sessionToken: ctx.sessionToken };
  }

  /** Every event, with `sessionToken` set when it is for one session only (e.g. session.ended).
   *  In-process listeners only: a client hears events through its connection. */
  onEvent(listener: (event: EventEnvelope) => void): () => void {
    return this.deps.events.on(listener);
  }

  /** Whether a token is a live session. */
  isSessionLive(token: string | null | undefined): boolean {
    return this.deps.sessions.isLive(token ?? null);
  }

  /** The handler dependencies, for in-process wiring (the CLI's import) and tests. */
  get internals(): Deps {
    return this.deps;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error('auscult: error while closing:', err);
      }
    }
    this.deps.sessions.close();
    this.deps.events.clear();
    this.deps.store.close();
  }

  private resolveUser(token: string | null): UserInfo | null {
    const s = this.deps.sessions.touch(token);
    if (!s) return null;
    let u: ReturnType<ServiceStoreUsers['byId']>;
    try {
      u = this.deps.store.users.byId(s.userId);
    } catch (err) {
      // The site database is away: nobody can change the account meanwhile, so the session goes on
      // as last checked (a recording made now waits in the outbox); other errors stay errors.
      const known = this.lastChecked.get(s);
      if (known && isUnreachable(err)) return known;
      throw err;
    }
    if (!u || !u.active) {
      this.deps.sessions.end(s.token, 'locked');
      return null;
    }
    // The password changed since this session signed in (here or in another process: the CLI).
    if (u.credentialEpoch !== s.credentialEpoch) {
      this.deps.sessions.end(s.token, 'password-changed');
      return null;
    }
    // Not the role it signed in with, and Auscult did not change it (that ends the sessions itself):
    // the row was written outside Auscult. The session ends rather than act with the new role.
    if (u.role !== s.role) {
      this.auditSessionEnd(s, 'auth.session.role-mismatch', { signedInRole: s.role, roleInDatabase: u.role });
      this.deps.sessions.end(s.token, 'role-changed');
      return null;
    }
    const info = toUserInfo(u);
    this.lastChecked.set(s, info);
    return info;
  }

  /** A session ended by the service, not by its user (logged, not thrown: the session ends either way). */
  private auditSessionEnd(
    s: Session,
    action: 'auth.session.expired' | 'auth.session.role-mismatch',
    details?: Record<string, unknown>,
  ): void {
    try {
      this.deps.store.tx(() =>
        this.deps.store.audit.append({
          username: s.username,
          action,
          objectType: 'user',
          objectId: s.userId,
          transport: s.transport,
          ...(details ? { details } : {}),
        }),
      );
    } catch (err) {
      console.error(`auscult: could not audit ${action}:`, err);
    }
  }

  /** Each live session's user as last read from the store (used only while the site is unreachable). */
  private readonly lastChecked = new WeakMap<Session, UserInfo>();

  private sessionEnded(s: Session, reason: EndReason): void {
    if (reason === 'expired' && !this.closed) this.auditSessionEnd(s, 'auth.session.expired');
    this.deps.events.emit('session.ended', { reason }, s.token);
  }
}

/**
 * Files an interrupted import can leave (nothing is in flight at open): staged uploads and
 * half-copied WAVs. Interrupted captures (*.wav + *.json in in-progress/) are kept for recovery.
 */
function removeLeftovers(deps: Deps): void {
  const sweep = (dir: string, suffix: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) if (n.endsWith(suffix)) rmSync(join(dir, n), { force: true });
  };
  sweep(deps.inProgressDir, '.upload');
  sweep(deps.recordingsDir, '.partial');
}
