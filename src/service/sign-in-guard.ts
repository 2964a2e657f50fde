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
 *
 * A right password is not enough on its own: the account's row must match the credential seal of
 * its newest signed users entry (src/store/user-credential.ts), so a row rewritten in the database
 * (a password hash or role set by whoever holds the site's database password) is refused, and the
 * attempt counts as a failure. An account from before seals is sealed by its first good check.
 */
import {
  credentialStatus,
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
      reason: 'unknown-user' | 'wrong-password' | 'inactive' | 'locked-out' | 'credential-mismatch';
      user: UserWithHash | null;
      retryAfterMs?: number;
      /** credential-mismatch: the seal is signed by a site key awaiting approval (what to do, in words). */
      awaitingApproval?: string;
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
  return checkPasswordInStore(deps.store, deps.sessions.nowMs(), call, username, password, { seal: true });
}

/**
 * The same check on a bare store, for the one CLI command that runs without the service
 * (`auscult restore accept`, which opens the rolled-back copy itself, without a Workstation).
 * `seal`: an account without a seal is sealed, and an old-cost hash replaced (and sealed); the CLI's
 * bare checks (a migration's source, a rolled-back copy) leave the history as it is and only refuse.
 */
export async function checkPasswordInStore(
  store: Pick<
    Store,
    'tx' | 'users' | 'signInThrottle' | 'db' | 'audit' | 'trustedKeys' | 'dbId' | 'engine' | 'rollbackPending'
  >,
  now: number,
  call: Source,
  username: string,
  password: string,
  opts: { seal?: boolean } = {},
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
  const trust = { keys: store.trustedKeys, dbId: store.dbId, engine: store.engine };
  // Before the throttle is cleared: whoever set this hash knows the password, and stays throttled.
  const seal = credentialStatus(store.db, trust, user.id);
  if (seal.state === 'mismatch')
    return {
      ok: false,
      reason: 'credential-mismatch',
      user,
      ...(seal.awaitingApproval ? { awaitingApproval: seal.awaitingApproval } : {}),
    };
  store.tx(() => {
    store.signInThrottle.clear([rs[0]!.key]);
    store.signInThrottle.forgive([rs[1]!.key]);
  });
  if (!user.active) return { ok: false, reason: 'inactive', user };
  // Not on a rolled-back copy, which takes no entry before it is accepted.
  const sealing = opts.seal === true && !store.rollbackPending;
  // Trust on first use: an account from before seals that Auscult made or signed in (credentialStatus).
  if (seal.state === 'unsealed' && sealing) store.tx(() => sealCredential(store, call, user, 'first-sign-in'));
  // Only where the new hash is sealed with it (else the account would no longer match).
  if (needsRehash(user.passwordHash) && sealing) {
    const fresh = await hashPassword(password);
    // Only if nobody changed it meanwhile; the new hash is sealed in the same transaction.
    store.tx(() => {
      if (store.users.replacePasswordHash(user.id, user.passwordHash, fresh))
        sealCredential(store, call, user, 'rehash');
    });
  }
  return { ok: true, user };
}

/** A `user.credential` entry sealing the account's row as it is now. Inside the caller's transaction. */
function sealCredential(
  store: Pick<Store, 'audit' | 'users'>,
  call: Source,
  user: UserWithHash,
  reason: 'first-sign-in' | 'rehash',
): void {
  store.audit.append({
    username: user.username,
    action: 'user.credential',
    objectType: 'user',
    objectId: user.id,
    transport: call.transport,
    details: {
      username: user.username,
      reason,
      credential: store.users.credential(user.id),
      ...(call.peer ? { peer: call.peer } : {}),
    },
  });
}

/** What an administrator runs to seal an account again (`auscult users passwd`). */
export const RESEAL_COMMAND = 'auscult users passwd <username>';

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
  if (c.reason === 'credential-mismatch' && c.awaitingApproval)
    return new ApiError('UNAUTHENTICATED', `This account cannot sign in yet: ${c.awaitingApproval}.`);
  if (c.reason === 'credential-mismatch')
    return new ApiError(
      'UNAUTHENTICATED',
      `This account was changed outside Auscult (its role or password does not match the signed history), so it cannot sign in; an administrator sets its password again in Auscult (\`${RESEAL_COMMAND.replace('<username>', username)}\`).`,
    );
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
