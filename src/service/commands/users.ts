/** User management: admins only (and any user may change their own password). */
import { ROLES } from '../../common/roles.js';
import { hashPassword } from '../../store/index.js';
import { ApiError, notFound } from '../errors.js';
import { audit, type CommandTable } from '../handler.js';
import { auditFailedSignIn, checkPassword, refusal } from '../sign-in-guard.js';
import { toUserInfo } from '../mappers.js';
import type { Deps } from '../handler.js';
import type { UserAdminInfo } from '../api.js';
import type { UserRecord } from '../../store/index.js';

type UsersCommand =
  'users.list' | 'users.create' | 'users.setPassword' | 'users.setActive' | 'users.unlock' | 'users.setRole';

/** An account as the admin's page shows it: last sign-in from the audit log, a running lock. */
/** The account a command names, or the not-found refusal every users command gives. */
function existingUser(deps: Deps, username: string): UserRecord {
  const u = deps.store.users.byUsername(username);
  if (!u) throw notFound('User', username);
  return u;
}

function adminInfo(deps: Deps, u: UserRecord, lastSignIn: Map<string, string>): UserAdminInfo {
  const until = deps.store.signInThrottle.lockedUntil(u.username, deps.sessions.nowMs());
  return {
    ...toUserInfo(u),
    lastSignInAt: lastSignIn.get(u.username.toLowerCase()) ?? null,
    lockedUntil: until === null ? null : new Date(until).toISOString(),
  };
}

export const usersCommands: CommandTable<UsersCommand> = {
  'users.list': {
    access: 'user',
    roles: ['admin'],
    run(deps) {
      const last = deps.store.audit.lastAt('auth.login');
      return deps.store.users.list().map((u) => adminInfo(deps, u, last));
    },
  },
  'users.create': {
    access: 'user',
    roles: ['admin'],
    audit: ['user.create'],
    async run(deps, call, p) {
      if (deps.store.users.byUsername(p.username))
        throw new ApiError('CONFLICT', `A user named '${p.username}' already exists; choose another name.`);
      const passwordHash = await hashPassword(p.password);
      return deps.store.tx(() => {
        const u = deps.store.users.create({
          username: p.username,
          displayName: p.displayName,
          role: p.role,
          passwordHash,
        });
        audit(deps, call, 'user.create', 'user', u.id, {
          username: u.username,
          role: u.role,
          credential: deps.store.users.credential(u.id),
        });
        return toUserInfo(u);
      });
    },
  },
  'users.setPassword': {
    access: 'user',
    roles: ROLES,
    audit: ['user.password', 'auth.login.failed', 'user.credential'],
    async run(deps, call, p) {
      const self = p.username.toLowerCase() === call.user.username.toLowerCase();
      if (!self && call.user.role !== 'admin')
        throw new ApiError('FORBIDDEN', "Only an administrator can set another user's password.");
      const target = existingUser(deps, p.username);
      if (self) {
        if (p.currentPassword === undefined)
          throw new ApiError('INVALID_INPUT', 'To change your own password, enter your current password too.');
        if (p.currentPassword === p.password)
          throw new ApiError(
            'INVALID_INPUT',
            'The new password is the same as the current one; choose a different one. Nothing was changed.',
          );
        const c = await checkPassword(deps, call, call.user.username, p.currentPassword);
        if (!c.ok) {
          // Audited like a failed sign-in (an auditor finds it by the user name), saying what it was for.
          auditFailedSignIn(deps, call, call.user.username, c, 'password-change');
          // FORBIDDEN: the session stands (a transport signs out on UNAUTHENTICATED).
          throw new ApiError(
            'FORBIDDEN',
            c.reason === 'locked-out' || c.reason === 'credential-mismatch'
              ? refusal(c, call.user.username).message
              : 'Your current password is not right; the password was not changed.',
          );
        }
      }
      const passwordHash = await hashPassword(p.password);
      deps.store.tx(() => {
        deps.store.users.setPasswordHash(target.username, passwordHash);
        // An administrator's reset is the answer to a lockout ("ask an administrator to reset the
        // password"): it lifts the user name's lock too, in the same audited change.
        const unlocked = self ? 0 : deps.store.signInThrottle.clearUser(target.username);
        audit(deps, call, 'user.password', 'user', target.id, {
          username: target.username,
          self,
          ...(self ? {} : { reset: true, unlocked: unlocked > 0 }),
          credential: deps.store.users.credential(target.id),
        });
      });
      // Every other session of that user ends (a self-change keeps the session that made it).
      deps.sessions.endForUser(target.id, 'password-changed', self ? call.sessionToken : null);
      if (self && call.sessionToken)
        deps.sessions.renewEpoch(call.sessionToken, deps.store.users.byId(target.id)!.credentialEpoch);
      return { ok: true as const };
    },
  },
  'users.setActive': {
    access: 'user',
    roles: ['admin'],
    audit: ['user.activate', 'user.deactivate'],
    run(deps, call, p) {
      const target = existingUser(deps, p.username);
      if (!p.active && target.role === 'admin' && target.active && deps.store.users.countActiveAdmins() <= 1) {
        throw new ApiError(
          'CONFLICT',
          'This is the last active administrator; create or reactivate another admin first.',
        );
      }
      const u = deps.store.tx(() => {
        const u = deps.store.users.setActive(target.username, p.active);
        audit(deps, call, p.active ? 'user.activate' : 'user.deactivate', 'user', u.id, {
          username: u.username,
          credential: deps.store.users.credential(u.id),
        });
        return u;
      });
      if (!p.active) deps.sessions.endForUser(u.id, 'locked');
      return toUserInfo(u);
    },
  },
  'users.unlock': {
    access: 'user',
    roles: ['admin'],
    audit: ['user.unlock'],
    run(deps, call, p) {
      const target = existingUser(deps, p.username);
      deps.store.tx(() => {
        const cleared = deps.store.signInThrottle.clearUser(target.username);
        audit(deps, call, 'user.unlock', 'user', target.id, { username: target.username, wasLocked: cleared > 0 });
      });
      return adminInfo(deps, target, deps.store.audit.lastAt('auth.login'));
    },
  },
  'users.setRole': {
    access: 'user',
    roles: ['admin'],
    audit: ['user.role'],
    run(deps, call, p) {
      const target = existingUser(deps, p.username);
      if (target.role === p.role)
        throw new ApiError('INVALID_INPUT', `${target.username} already has the role ${p.role}; nothing was changed.`);
      if (target.role === 'admin' && target.active && deps.store.users.countActiveAdmins() <= 1)
        throw new ApiError(
          'CONFLICT',
          'This is the last active administrator; make another user an administrator first.',
        );
      const u = deps.store.tx(() => {
        const u = deps.store.users.setRole(target.username, p.role);
        audit(deps, call, 'user.role', 'user', u.id, {
          username: u.username,
          from: target.role,
          to: p.role,
          credential: deps.store.users.credential(u.id),
        });
        return u;
      });
      // Sessions signed in under the old role end (the caller's own too, if it changed itself).
      deps.sessions.endForUser(u.id, 'role-changed');
      return toUserInfo(u);
    },
  },
};
