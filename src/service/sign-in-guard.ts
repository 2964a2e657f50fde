/**
 * Every password check of the workstation (sign-in, the password in the signing dialog, the CLI's
 * `--user`, a self-service password change) goes through `checkPassword`, which throttles guesses
 * atomically: the attempt is reserved in one synchronous transaction BEFORE the password is
 * checked (src/store/sign-in-throttle.ts), so 200 parallel guesses evaluate at most the limit.
 *
 * Two rules, so a stranger can neither guess on nor keep someone out for good:
 * - per user name and transport: 5 failures lock that name on that transport for 1 minute;
 *   attempts during the lock are refused unevaluated and do not extend it; a stranger on the
 *   loopback server cannot lock the admin out of the desktop window or the CLI (other transport);
 * - per source (the connection's peer: address + port, window id): 10 failures back it off for
 *   1 minute, doubling with each further 10, up to 1 hour, whatever user names it tries.
 */
import {
  needsRehash,
  verifyPassword,
  hashPassword,
  DUMMY_HASH,
  type Store,
  type UserWithHash,
} from '../store/index.js';
import { ApiError } from './errors.js';
import type { Deps, PublicCall } from './handler.js';
import { audit } from './handler.js';

export const MAX_FAILURES = 5;
export const LOCKOUT_MS = 60_000;
export const SOURCE_LIMIT = 10;
export const SOURCE_MAX_LOCK_MS = 60 * 60_000;

export type PasswordCheck =
  | { ok: true; user: UserWithHash }
  | {
      ok: false;
      reason: 'unknown-user' | 'wrong-password' | 'inactive' | 'locked-out';
      user: UserWithHash | null;
      retryAfterMs?: number;
    };

type Source = Pick<PublicCall, 'transport' | 'peer'>;

function rules(call: Source, username: string) {
  const name = username.toLowerCase();
  return [
    { key: `user:${call.transport}:${name}`, limit: MAX_FAILURES, lockMs: LOCKOUT_MS },
    {
      key: `source:${call.transport}:${call.peer ?? 'local'}`,
      limit: SOURCE_LIMIT,
      lockMs: LOCKOUT_MS,
      backoff: true,
      maxLockMs: SOURCE_MAX_LOCK_MS,
    },
  ];
}

/**
 * Check `username`'s password under the throttle. On success an old-cost hash is replaced by one
 * at today's cost (the password is known only now).
 */
export async function checkPassword(
  deps: Deps,
  call: PublicCall,
  username: string,
  password: string,
): Promise<PasswordCheck> {
  return checkPasswordInStore(deps.store, deps.sessions.nowMs(), call, username, password);
}

/**
 * The same check on a bare store, for the one CLI command that runs without the service
 * (`auscult restore accept`, which opens the rolled-back copy itself, without a Workstation).
 */
export async function checkPasswordInStore(
  store: Pick<Store, 'tx' | 'users' | 'signInThrottle'>,
  now: number,
  call: Source,
  username: string,
  password: string,
): Promise<PasswordCheck> {
  const rs = rules(call, username);
  // One synchronous transaction: read and raise the counts with nothing in between.
  const r = store.tx(() => store.signInThrottle.reserve(rs, now));
  const user = store.users.byUsername(username);
  if (!r.ok) return { ok: false, reason: 'locked-out', user, retryAfterMs: r.retryAfterMs };
  // Verify against a dummy hash for unknown users so timing does not reveal which names exist.
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user) return { ok: false, reason: 'unknown-user', user: null };
  if (!passwordOk) return { ok: false, reason: 'wrong-password', user };
  store.tx(() => {
    store.signInThrottle.clear([rs[0]!.key]);
    store.signInThrottle.forgive([rs[1]!.key]);
  });
  if (!user.active) return { ok: false, reason: 'inactive', user };
  if (needsRehash(user.passwordHash)) {
    const fresh = await hashPassword(password);
    // Only if nobody changed it meanwhile.
    store.tx(() => store.users.replacePasswordHash(user.id, user.passwordHash, fresh));
  }
  return { ok: true, user };
}

/** The sentence for a refused check (never saying whether the user name exists). */
export function refusal(c: Exclude<PasswordCheck, { ok: true }>, username: string): ApiError {
  if (c.reason === 'locked-out') {
    const sec = Math.max(1, Math.ceil((c.retryAfterMs ?? LOCKOUT_MS) / 1000));
    return new ApiError(
      'UNAUTHENTICATED',
      `Too many wrong passwords for '${username}' or from this connection. Wait ${sec} s and try again, or ask an administrator to reset the password.`,
    );
  }
  if (c.reason === 'inactive')
    return new ApiError('UNAUTHENTICATED', 'This account is deactivated. Ask an administrator to reactivate it.');
  return new ApiError(
    'UNAUTHENTICATED',
    'Wrong user name or password. Check both and try again (passwords are case-sensitive).',
  );
}

/** The audit entry of a refused sign-in. */
export function auditFailedSignIn(
  deps: Deps,
  call: PublicCall,
  username: string,
  c: Exclude<PasswordCheck, { ok: true }>,
  /** What the password was for, when not a sign-in (e.g. 'password-change'). */
  purpose?: string,
): void {
  deps.store.tx(() =>
    audit(deps, { ...call, user: null }, 'auth.login.failed', 'user', c.user?.id ?? null, {
      username,
      reason: c.reason,
      ...(purpose ? { purpose } : {}),
    }),
  );
}
