/** Sign in/out and the current user. Failed sign-ins are audited too. */
import { DUMMY_HASH, verifyPassword } from '../../store/index.js';
import { ApiError } from '../errors.js';
import { audit, type CommandTable, type Deps } from '../handler.js';
import { toUserInfo } from '../mappers.js';

export const BOOTSTRAP_HINT =
  'No user accounts exist yet. An administrator must create the first one on this computer: ' +
  'auscult users add --role admin --name "<full name>" <username>  (the password is asked for, or read from AUSCULT_PASSWORD).';

/** After this many wrong passwords in a row, a user name is refused for LOCKOUT_MS (guessing). */
export const MAX_FAILURES = 5;
export const LOCKOUT_MS = 60_000;
function failures(deps: Deps): Deps['signInFailures'] {
  return deps.signInFailures;
}

export const authCommands: CommandTable<'auth.signIn' | 'auth.signOut' | 'auth.whoami'> = {
  'auth.signIn': {
    access: 'public',
    audit: ['auth.login', 'auth.login.failed'],
    async run(deps, call, p) {
      const { store } = deps;
      if (store.users.count() === 0) throw new ApiError('UNAUTHENTICATED', BOOTSTRAP_HINT);
      const key = p.username.toLowerCase();
      const now = deps.sessions.nowMs();
      const f = failures(deps).get(key);
      if (f && f.count >= MAX_FAILURES && now - f.lastAt < LOCKOUT_MS) {
        store.tx(() =>
          audit(deps, { ...call, user: null }, 'auth.login.failed', 'user', null, {
            username: p.username,
            reason: 'locked-out',
          }),
        );
        throw new ApiError(
          'UNAUTHENTICATED',
          `Too many wrong passwords for '${p.username}'. Wait a minute and try again, or ask an administrator to reset the password.`,
        );
      }
      const user = store.users.byUsername(p.username);
      // Verify against a dummy hash for unknown users so timing does not reveal which names exist.
      const passwordOk = await verifyPassword(p.password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !passwordOk || !user.active) {
        const reason = !user ? 'unknown-user' : !passwordOk ? 'wrong-password' : 'inactive';
        if (reason !== 'inactive')
          failures(deps).set(key, { count: (f && now - f.lastAt < LOCKOUT_MS ? f.count : 0) + 1, lastAt: now });
        store.tx(() =>
          audit(deps, { ...call, user: null }, 'auth.login.failed', 'user', user?.id ?? null, {
            username: p.username,
            reason,
          }),
        );
        throw new ApiError(
          'UNAUTHENTICATED',
          reason === 'inactive'
            ? 'This account is deactivated. Ask an administrator to reactivate it.'
            : 'Wrong user name or password. Check both and try again (passwords are case-sensitive).',
        );
      }
      failures(deps).delete(key);
      // Signing in again on the same connection replaces its previous session.
      if (call.sessionToken) deps.sessions.end(call.sessionToken, 'signed-out');
      const info = toUserInfo(user);
      const session = deps.sessions.create(user.id, user.username, call.transport);
      store.tx(() => audit(deps, { ...call, user: info }, 'auth.login', 'user', user.id));
      return { token: session.token, user: info, expiresAt: deps.sessions.expiresAt(session) };
    },
  },
  'auth.signOut': {
    access: 'public',
    audit: ['auth.logout'],
    run(deps, call) {
      if (call.user && call.sessionToken) {
        deps.store.tx(() => audit(deps, call, 'auth.logout', 'user', call.user!.id));
        deps.sessions.end(call.sessionToken, 'signed-out');
      }
      return { ok: true as const };
    },
  },
  'auth.whoami': {
    access: 'public',
    run(_deps, call) {
      return { user: call.user };
    },
  },
};
