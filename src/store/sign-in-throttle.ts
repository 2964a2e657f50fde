/**
 * Failed sign-ins, counted in the database (`signin_throttle`, schema 4) so that reading and
 * raising a count happen in ONE synchronous transaction: an attempt is reserved (counted as a
 * failure) before its password is checked, and forgiven only when it turns out right. Parallel
 * guesses therefore queue on the write lock and see each other's counts; none can read a stale
 * count across the `await` of the password check.
 */
import type { SqlDatabase } from './sql-database.js';

export interface ThrottleRule {
  key: string;
  /** Failures allowed before the key is locked. */
  limit: number;
  /** How long a lock lasts (ms) for the first lock; `backoff` doubles it for each further one. */
  lockMs: number;
  backoff?: boolean;
  /** Upper bound of a lock (ms). */
  maxLockMs?: number;
}

export type Reservation = { ok: true } | { ok: false; key: string; retryAfterMs: number };

interface Row {
  key: string;
  failures: number;
  last_at: number;
  locked_until: number;
}

export class SignInThrottle {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Reserve one attempt under every rule, atomically (the caller's transaction: `store.tx`). A key
   * whose lock is running refuses without counting (attempts during a lock never extend it).
   */
  reserve(rules: readonly ThrottleRule[], now: number): Reservation {
    const get = this.db.prepare('SELECT * FROM signin_throttle WHERE key = ?');
    const rows = rules.map((r) => get.get(r.key) as Row | undefined);
    for (let i = 0; i < rules.length; i++) {
      const row = rows[i];
      if (row && row.locked_until > now) return { ok: false, key: rules[i]!.key, retryAfterMs: row.locked_until - now };
    }
    const put = this.db.prepare(
      `INSERT INTO signin_throttle (key, failures, last_at, locked_until) VALUES (@key, @failures, @now, @lockedUntil)
       ON CONFLICT(key) DO UPDATE SET failures = @failures, last_at = @now, locked_until = @lockedUntil`,
    );
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const row = rows[i];
      // A quiet spell as long as the lock forgets old failures (a typo a day never locks anyone out).
      const stale = !row || now - row.last_at > (rule.maxLockMs ?? rule.lockMs);
      const failures = (stale ? 0 : row.failures) + 1;
      let lockedUntil = 0;
      if (failures >= rule.limit && failures % rule.limit === 0) {
        const n = failures / rule.limit - 1;
        const ms = rule.backoff ? Math.min(rule.maxLockMs ?? Infinity, rule.lockMs * 2 ** n) : rule.lockMs;
        lockedUntil = now + ms;
      }
      put.run({ key: rule.key, failures, now, lockedUntil });
    }
    return { ok: true };
  }

  /** The user-name keys (`user:<transport>:<name>`, every transport) of one user name. */
  private userKeys(username: string): Row[] {
    const name = username.toLowerCase();
    return (this.db.prepare("SELECT * FROM signin_throttle WHERE key LIKE 'user:%'").all() as Row[]).filter(
      (r) => r.key.split(':').slice(2).join(':') === name,
    );
  }

  /** When the user name's latest running lock ends (ms), on any transport; null when not locked. */
  lockedUntil(username: string, now: number): number | null {
    const until = Math.max(0, ...this.userKeys(username).map((r) => r.locked_until));
    return until > now ? until : null;
  }

  /** An administrator's unlock: the user name's failures and locks forgotten on every transport.
   *  Per-source back-offs stay (they guard against whoever was guessing). Returns keys cleared. */
  clearUser(username: string): number {
    const keys = this.userKeys(username).map((r) => r.key);
    this.clear(keys);
    return keys.length;
  }

  /** Forget a key's failures (the user signed in). */
  clear(keys: readonly string[]): void {
    const del = this.db.prepare('DELETE FROM signin_throttle WHERE key = ?');
    for (const k of keys) del.run(k);
  }

  /** Take back one reserved attempt of each key (it was right), keeping earlier failures. */
  forgive(keys: readonly string[]): void {
    const dec = this.db.prepare(
      'UPDATE signin_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END WHERE key = ?',
    );
    for (const k of keys) dec.run(k);
  }
}
