/** User accounts. Roles are checked by the service; the store only keeps them. */
import type { SqlDatabase } from './sql-database.js';
import { hasColumn } from './audit-log.js';
import { StoreError } from './errors.js';
import type { UserReadRow } from './rows.js';
import { credentialOf } from './user-credential.js';

export interface UserRecord {
  id: number;
  username: string;
  displayName: string;
  role: string;
  active: boolean;
  /** Bumped by every password change: sessions from before it end. */
  credentialEpoch: number;
}
export interface UserWithHash extends UserRecord {
  passwordHash: string;
}

const toUser = (r: UserReadRow): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  active: r.active === 1,
  credentialEpoch: r.credential_epoch ?? 0,
});

export class Users {
  constructor(private readonly db: SqlDatabase) {}

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  byUsername(username: string): UserWithHash | null {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserReadRow | undefined;
    return r ? { ...toUser(r), passwordHash: r.password_hash } : null;
  }

  byId(id: number): UserRecord | null {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserReadRow | undefined;
    return r ? toUser(r) : null;
  }

  list(): UserRecord[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserReadRow[]).map(toUser);
  }

  create(u: { username: string; displayName: string; role: string; passwordHash: string }): UserRecord {
    const now = new Date().toISOString();
    if (this.byUsername(u.username))
      throw new StoreError('CONFLICT', `A user named '${u.username}' already exists; choose another name.`);
    const info = this.db
      .prepare(
        'INSERT INTO users (username, display_name, role, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
      )
      .run(u.username, u.displayName, u.role, u.passwordHash, now, now);
    return this.byId(Number(info.lastInsertRowid))!;
  }

  /** A new password: its hash, and the credential epoch bumped (sessions from before end). */
  setPasswordHash(username: string, passwordHash: string): void {
    const epoch = hasColumn(this.db, 'users', 'credential_epoch') ? ', credential_epoch = credential_epoch + 1' : '';
    const info = this.db
      .prepare(`UPDATE users SET password_hash = ?, updated_at = ?${epoch} WHERE username = ?`)
      .run(passwordHash, new Date().toISOString(), username);
    if (info.changes === 0) throw new StoreError('NOT_FOUND', `No user named '${username}'.`);
  }

  /** The same password at today's cost (rehash on sign-in): only if the hash is still `old`. Whether it was replaced. */
  replacePasswordHash(id: number, old: string, fresh: string): boolean {
    return (
      this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?').run(fresh, id, old)
        .changes > 0
    );
  }

  /**
   * The seal of user `id`'s row as it is now (user-credential.ts), for the audit entry of the change
   * that made it: call in that change's transaction, after the change.
   */
  credential(id: number): string {
    const c = credentialOf(this.db, id);
    if (c === null) throw new StoreError('NOT_FOUND', `No user with id ${id}.`);
    return c;
  }

  setActive(username: string, active: boolean): UserRecord {
    const info = this.db
      .prepare('UPDATE users SET active = ?, updated_at = ? WHERE username = ?')
      .run(active ? 1 : 0, new Date().toISOString(), username);
    if (info.changes === 0) throw new StoreError('NOT_FOUND', `No user named '${username}'.`);
    return toUser(this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserReadRow);
  }

  setRole(username: string, role: string): UserRecord {
    const info = this.db
      .prepare('UPDATE users SET role = ?, updated_at = ? WHERE username = ?')
      .run(role, new Date().toISOString(), username);
    if (info.changes === 0) throw new StoreError('NOT_FOUND', `No user named '${username}'.`);
    return toUser(this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserReadRow);
  }

  countActiveAdmins(): number {
    return (
      this.db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin' AND active = 1").get() as { n: number }
    ).n;
  }
}
