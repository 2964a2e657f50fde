/** User management: admins only (and any user may change their own password). */
import { ROLES } from '../../common/roles.js';
import { hashPassword } from '../../store/index.js';
import { ApiError, notFound } from '../errors.js';
import { audit, type CommandTable } from '../handler.js';
import { auditFailedSignIn, checkPassword, refusal } from '../sign-in-guard.js';
import { toUserInfo } from '../mappers.js';

export const usersCommands: CommandTable<'users.list' | 'users.create' | 'users.setPassword' | 'users.setActive'> = {
  'users.list': {
    access: 'user',
    roles: ['admin'],
    run(deps) {
      return deps.store.users.list().map(toUserInfo);
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
        audit(deps, call, 'user.create', 'user', u.id, { username: u.username, role: u.role });
        return toUserInfo(u);
      });
    },
  },
  'users.setPassword': {
    access: 'user',
    roles: ROLES,
    audit: ['user.password'],
    async run(deps, call, p) {
      const self = p.username.toLowerCase() === call.user.username.toLowerCase();
      if (!self && call.user.role !== 'admin')
        throw new ApiError('FORBIDDEN', "Only an administrator can set another user's password.");
      const target = deps.store.users.byUsername(p.username);
      if (!target) throw notFound('User', p.username);
      if (self) {
        if (p.currentPassword === undefined)
          throw new ApiError('INVALID_INPUT', 'To change your own password, enter your current password too.');
        const c = await checkPassword(deps, call, call.user.username, p.currentPassword);
        if (!c.ok) {
          auditFailedSignIn(deps, call, call.user.username, c);
          // FORBIDDEN: the session stands (a transport signs out on UNAUTHENTICATED).
          throw new ApiError(
            'FORBIDDEN',
            c.reason === 'locked-out'
              ? refusal(c, call.user.username).message
              : 'Your current password is not right; the password was not changed.',
          );
        }
      }
      const passwordHash = await hashPassword(p.password);
      deps.store.tx(() => {
        deps.store.users.setPasswordHash(target.username, passwordHash);
        audit(deps, call, 'user.password', 'user', target.id, { username: target.username, self });
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
      const target = deps.store.users.byUsername(p.username);
      if (!target) throw notFound('User', p.username);
      if (!p.active && target.role === 'admin' && target.active && deps.store.users.countActiveAdmins() <= 1) {
        throw new ApiError(
          'CONFLICT',
          'This is the last active administrator; create or reactivate another admin first.',
        );
      }
      const u = deps.store.tx(() => {
        const u = deps.store.users.setActive(target.username, p.active);
        audit(deps, call, p.active ? 'user.activate' : 'user.deactivate', 'user', u.id, { username: u.username });
        return u;
      });
      if (!p.active) deps.sessions.endForUser(u.id, 'locked');
      return toUserInfo(u);
    },
  },
};
