/**
 * An account as Auscult makes one (`auscult users add`): the row, and its `user.create` entry
 * sealing it (src/store/user-credential.ts). A row inserted without that entry is what an attacker
 * with the database password makes, and cannot sign in. Call inside the store's `tx`.
 */
import type { Store, UserRecord } from '../../src/store/index.js';

export function createAccount(
  store: Pick<Store, 'users' | 'audit'>,
  u: { username: string; displayName: string; role: string; passwordHash: string },
): UserRecord {
  const made = store.users.create(u);
  store.audit.append({
    username: null,
    action: 'user.create',
    transport: 'cli',
    objectType: 'user',
    objectId: made.id,
    details: { username: made.username, role: made.role, credential: store.users.credential(made.id) },
  });
  return made;
}
