/**
 * Signed-in sessions. A transport keeps the token of its connection/window and passes it with
 * every call (CallContext.sessionToken); the renderer never handles it. A session ends after
 * `idleMs` without a call (default 15 min), after `absoluteMs` however active (default 12 h: a
 * stolen token does not live on), on sign-out, when its user is deactivated, or when the user's
 * password changes (`credentialEpoch`, also across processes: the CLI may change it), or when its
 * user's role is no longer the one it signed in with.
 */
import { randomBytes } from 'node:crypto';
import type { Transport } from './api.js';

export interface Session {
  token: string;
  userId: number;
  username: string;
  transport: Transport;
  createdAt: number;
  lastActiveAt: number;
  /** The user's credential epoch at sign-in: a password change bumps it and ends the session. */
  credentialEpoch: number;
  /**
   * The role it signed in with, under the account's seal. A role change through Auscult ends the
   * user's sessions; a role written into the database by anyone else must not elevate a live one.
   */
  role: string;
}
export type EndReason = 'signed-out' | 'expired' | 'locked' | 'password-changed' | 'role-changed';

export class Sessions {
  private readonly byToken = new Map<string, Session>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly idleMs: number,
    private readonly onEnd: (s: Session, reason: EndReason) => void,
    sweepMs = Math.min(30_000, Math.max(250, Math.floor(idleMs / 4))),
    private readonly now: () => number = Date.now,
    readonly absoluteMs = 12 * 60 * 60_000,
  ) {
    this.timer = setInterval(() => this.sweep(), sweepMs);
    this.timer.unref(); // never keeps a CLI or a test process alive
  }

  /** The clock sessions run on (ms). */
  nowMs(): number {
    return this.now();
  }

  create(user: { id: number; username: string; credentialEpoch: number; role: string }, transport: Transport): Session {
    const token = randomBytes(32).toString('base64url');
    const t = this.now();
    const s: Session = {
      token,
      userId: user.id,
      username: user.username,
      transport,
      createdAt: t,
      lastActiveAt: t,
      credentialEpoch: user.credentialEpoch,
      role: user.role,
    };
    this.byToken.set(token, s);
    return s;
  }

  expiresAt(s: Session): string {
    return new Date(Math.min(s.lastActiveAt + this.idleMs, s.createdAt + this.absoluteMs)).toISOString();
  }

  private over(s: Session, t: number): boolean {
    return t - s.lastActiveAt >= this.idleMs || t - s.createdAt >= this.absoluteMs;
  }

  /** The live session for a token (its idle clock restarted), or null; an idle one ends as 'expired'. */
  touch(token: string | null): Session | null {
    if (!token) return null;
    const s = this.byToken.get(token);
    if (!s) return null;
    if (this.over(s, this.now())) {
      this.end(token, 'expired');
      return null;
    }
    s.lastActiveAt = this.now();
    return s;
  }

  /** Whether a token is a live session (without touching it): transports use it to filter events. */
  isLive(token: string | null | undefined): boolean {
    if (!token) return false;
    const s = this.byToken.get(token);
    return !!s && !this.over(s, this.now());
  }

  end(token: string, reason: EndReason): void {
    const s = this.byToken.get(token);
    if (!s) return;
    this.byToken.delete(token);
    this.onEnd(s, reason);
  }

  /** The session that changed its own password stays live under the new epoch. */
  renewEpoch(token: string, epoch: number): void {
    const s = this.byToken.get(token);
    if (s) s.credentialEpoch = epoch;
  }

  /** End every session of a user, but `except` (the one that asked, e.g. changing its own password). */
  endForUser(userId: number, reason: EndReason, except: string | null = null): void {
    for (const s of [...this.byToken.values()])
      if (s.userId === userId && s.token !== except) this.end(s.token, reason);
  }

  sweep(): void {
    const t = this.now();
    for (const s of [...this.byToken.values()]) if (this.over(s, t)) this.end(s.token, 'expired');
  }

  /** The live sessions (diagnostics and tests). */
  list(): readonly Session[] {
    return [...this.byToken.values()];
  }

  get size(): number {
    return this.byToken.size;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.byToken.clear();
  }
}
