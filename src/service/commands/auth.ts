/** Sign in/out and the current user. Failed sign-ins are audited too. */
import { ApiError } from '../errors.js';
import { audit, type CommandTable } from '../handler.js';
import { auditFailedSignIn, checkPassword, refusal } from '../sign-in-guard.js';
import { toUserInfo } from '../mappers.js';

export const BOOTSTRAP_HINT =
  'No user accounts exist yet. An administrator must create the first one on this computer: ' +
  'auscult users add --role admin --name "<full name>" <username>  (the password is asked for, or read from AUSCULT_PASSWORD).';

export { MAX_FAILURES, LOCKOUT_MS } from '../sign-in-guard.js';

export const authCommands: CommandTable<'auth.signIn' | 'auth.signOut' | 'auth.whoami'> = {
  'auth.signIn': {
    access: 'public',
    audit: ['auth.login', 'auth.login.failed', 'user.credential'],
    async run(deps, call, p) {
      const { store } = deps;
      if (store.users.count() === 0) throw new ApiError('UNAUTHENTICATED', BOOTSTRAP_HINT);
      const c = await checkPassword(deps, call, p.username, p.password);
      if (!c.ok) {
        auditFailedSignIn(deps, call, p.username, c);
        throw refusal(c, p.username);
      }
      const user = c.user;
      // Signing in again on the same connection replaces its previous session.
      if (call.sessionToken) deps.sessions.end(call.sessionToken, 'signed-out');
      const info = toUserInfo(user);
      const session = deps.sessions.create(user, call.transport);
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
