/**
 * Which store a workstation opens: `--db FILE` (the embedded SQLite file, the default) or
 * `--db postgresql://role@host/db` / AUSCULT_DB_URL (a site database shared by the clinic's
 * workstations). The password is never in the address (PGPASSWORD, ~/.pgpass, PGPASSFILE).
 */
import { dirname } from 'node:path';
import { Store, isSiteUrl, type KeyCustody, type RolledBackMode, type StoreOpenOptions } from '../store/index.js';
import { defaultDbPath, signingDir } from './paths.js';

/** --db if given, else AUSCULT_DB_URL, else the data folder's SQLite file. */
export function resolveDb(db: string | undefined, dataDir?: string): string {
  return db ?? process.env['AUSCULT_DB_URL'] ?? defaultDbPath(dataDir);
}

export { isSiteUrl };

/**
 * Open either engine. A site database's signing folder belongs to this workstation's data folder
 * (beside it, as for SQLite), since the database is not in a folder of ours.
 */
export function openStoreAt(
  db: string,
  opts: Omit<StoreOpenOptions, 'signing'> & {
    dataDir: string;
    signingDir?: string;
    custody?: KeyCustody;
    /** A restored older copy (a file, or a site restored from an older dump) opens for an administrator's acceptance (see Store.open). */
    rolledBack?: RolledBackMode;
  },
): Store {
  const { dataDir, signingDir: dir, custody, rolledBack, ...open } = opts;
  if (isSiteUrl(db))
    return Store.openSite(db, {
      readonly: open.readonly,
      signing: { dir: dir ?? signingDir(dataDir), custody, rolledBack },
    });
  return Store.open(db, { ...open, signing: { dir: dir ?? signingDir(dirname(db)), custody, rolledBack } });
}
