/**
 * Administration done on the machine itself (the CLI): user accounts and maintenance, without a
 * session. Whoever runs these has the database file already; every action is still audited
 * (transport 'cli', with the operating-system account that ran it).
 */
import { ROLES } from '../common/roles.js';
import type { AuditAction } from '../common/audit-actions.js';
import type { UserInfo } from './api.js';
import { hashPassword, type Store } from '../store/index.js';
import { ApiError } from './errors.js';
import { toUserInfo } from './mappers.js';
import { PARAM_SCHEMAS, describeIssues } from './schemas.js';
import { osAccountName } from './os-account.js';

export function auditLocal(
  store: Pick<Store, 'audit'>,
  action: AuditAction,
  objectType: string | null,
  objectId: string | number | null,
  details: Record<string, unknown> = {},
): void {
  store.audit.append({
    username: null,
    action,
    objectType,
    objectId,
    transport: 'cli',
    details: { ...details, osUser: osAccountName() },
  });
}

/** What the account commands use of a store (a Workstation's, or one the CLI opened). */
type AccountStore = Pick<Store, 'tx' | 'users' | 'audit'>;

export async function addUserLocal(
  store: AccountStore,
  u: { username: string; displayName: string; role: string; password: string },
): Promise<UserInfo> {
  const parsed = PARAM_SCHEMAS['users.create'].safeParse(u);
  if (!parsed.success) throw new ApiError('INVALID_INPUT', describeIssues(parsed.error).message);
  if (!(ROLES as readonly string[]).includes(u.role))
    throw new ApiError('INVALID_INPUT', `role must be one of ${ROLES.join(', ')}`);
  if (store.users.byUsername(u.username))
    throw new ApiError('CONFLICT', `A user named '${u.username}' already exists.`);
  const passwordHash = await hashPassword(parsed.data.password);
  return store.tx(() => {
    const rec = store.users.create({
      username: parsed.data.username,
      displayName: parsed.data.displayName,
      role: parsed.data.role,
      passwordHash,
    });
    auditLocal(store, 'user.create', 'user', rec.id, {
      username: rec.username,
      role: rec.role,
      credential: store.users.credential(rec.id),
    });
    return toUserInfo(rec);
  });
}

export async function setPasswordLocal(store: AccountStore, username: string, password: string): Promise<void> {
  const parsed = PARAM_SCHEMAS['users.setPassword'].safeParse({ username, password });
  if (!parsed.success) throw new ApiError('INVALID_INPUT', describeIssues(parsed.error).message);
  const u = store.users.byUsername(username);
  if (!u) throw new ApiError('NOT_FOUND', `No user named '${username}'.`);
  const passwordHash = await hashPassword(password);
  store.tx(() => {
    store.users.setPasswordHash(u.username, passwordHash);
    auditLocal(store, 'user.password', 'user', u.id, {
      username: u.username,
      credential: store.users.credential(u.id),
    });
  });
}
