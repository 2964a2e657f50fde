/**
 * Which database a CLI command acts on: `--db FILE`, `--db postgresql://…`, AUSCULT_DB_URL, or the
 * data folder's SQLite file (service/site-store.ts `resolveDb`), and the data folder that goes with
 * it: a file's own folder; for a site, this workstation's data folder (its signing key and its
 * checkpoint log of the site's chain live beside it).
 */
import { dirname, resolve } from 'node:path';
import { appDataDir } from '../service/paths.js';
import { isSiteUrl, resolveDb } from '../service/site-store.js';

export interface DbTarget {
  /** The file path (resolved) or the site's address as given. */
  db: string;
  site: boolean;
  dataDir: string;
}

/**
 * `defaultInDataDir`: without --db (and AUSCULT_DB_URL), the file in --data-dir (backup, check)
 * rather than the app's (import, export, reanalyze: as each command did before).
 */
export function dbTarget(db: string | undefined, dataDir: string | undefined, defaultInDataDir = false): DbTarget {
  const given = resolveDb(db, defaultInDataDir && dataDir !== undefined ? resolve(dataDir) : undefined);
  if (isSiteUrl(given)) return { db: given, site: true, dataDir: resolve(dataDir ?? appDataDir()) };
  const path = resolve(given);
  return {
    db: path,
    site: false,
    dataDir: resolve(dataDir ?? (db !== undefined || defaultInDataDir ? dirname(path) : appDataDir())),
  };
}

/** Said by the commands that copy a workstation's own files (backup, restore) when given a site. */
export function siteBackupRefusal(command: string): string {
  return (
    `auscult ${command}: a site database is backed up and restored on its server with pg_dump / pg_restore ` +
    "(see the README: 'Site mode', Backups), not by a workstation: `auscult backup` and `auscult restore` " +
    "archive one workstation's SQLite file and recordings folder. Nothing was changed."
  );
}
