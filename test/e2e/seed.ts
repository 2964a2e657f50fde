/**
 * Test users in a fresh database, created through the real store (the same path `auscult users
 * add` takes), before the server opens it.
 */
import { Store, hashPassword } from '../../src/store/index.js';
import type { Role } from '../../src/service/api.js';
import { createAccount } from '../support/accounts.js';

export interface SeedUser {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

export const USERS: Record<'nurse' | 'doctor' | 'auditor' | 'admin', SeedUser> = {
  nurse: { username: 'nina', displayName: 'Nina Nurse', role: 'nurse', password: 'nurse-pass-1234' },
  doctor: { username: 'paul', displayName: 'Dr Paul Pulmo', role: 'pulmonologist', password: 'doctor-pass-1234' },
  auditor: { username: 'aud', displayName: 'Ada Auditor', role: 'auditor', password: 'auditor-pass-1234' },
  admin: { username: 'root', displayName: 'Adam Admin', role: 'admin', password: 'admin-pass-1234' },
};

export async function seedUsers(dbPath: string, users: SeedUser[] = Object.values(USERS)): Promise<void> {
  const store = Store.open(dbPath);
  try {
    for (const u of users) {
      const passwordHash = await hashPassword(u.password);
      store.tx(() =>
        createAccount(store, { username: u.username, displayName: u.displayName, role: u.role, passwordHash }),
      );
    }
  } finally {
    store.close();
  }
}
