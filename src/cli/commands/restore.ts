/**
 * `auscult restore --from FILE [--to DIR]`: bring back an `auscult backup` archive into a new or
 * empty data folder (default: the data folder, AUSCULT_DATA_DIR or the platform's, which must
 * then be empty). Every member is checked against its SHA-256 before anything is written; a
 * damaged or truncated archive, a member that would land outside the folder, a link, or a
 * non-empty target is refused with a sentence, and nothing changes (src/store/backup-restore.ts).
 * The restored folder is then checked like `auscult check` when it can be opened here.
 * `auscult restore accept`: an administrator accepts a restored older copy (restore-accept.ts).
 */
import { join, resolve } from 'node:path';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { ApiError } from '../../service/errors.js';
import { appDataDir, defaultDbPath } from '../../service/paths.js';
import { BackupError, Store, StoreError, isSiteUrl, restoreBackupArchive } from '../../store/index.js';
import { siteBackupRefusal } from '../db-target.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { ACCEPT_USAGE, runRestoreAccept } from './restore-accept.js';

const USAGE =
  'usage: auscult restore --from <archive> [--to <new or empty folder>] [--key-file <file>]\n' +
  '  --to defaults to the data folder (AUSCULT_DATA_DIR), which must then be empty\n' +
  ACCEPT_USAGE.replace('usage: ', '       ');

export const command: CliCommand = {
  name: 'restore',
  summary: 'restore an auscult backup archive into a new or empty folder (every hash checked first)',
  async run(argv) {
    if (argv[0] === 'accept') return runRestoreAccept(argv.slice(1));
    const parsed = parseCommandArgs('restore', USAGE, argv, {
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'key-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values } = parsed;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.from) {
      console.error(`auscult restore: name the archive with --from <file>.\n${USAGE}`);
      return 2;
    }
    if (isSiteUrl(values.to ?? '')) {
      console.error(siteBackupRefusal('restore'));
      return 2;
    }
    const target = resolve(values.to ?? appDataDir());
    let restored;
    try {
      restored = await restoreBackupArchive(values.from, target);
    } catch (err) {
      if (err instanceof BackupError) {
        console.error(`auscult restore: ${err.message}`);
        return 1;
      }
      throw err;
    }
    const { manifest, bytes } = restored;
    console.log(
      `Restored ${manifest.recordings} recording${manifest.recordings === 1 ? '' : 's'} and the database of ${manifest.createdAt} into ${target} (${(bytes / 2 ** 20).toFixed(1)} MiB); every member matched its SHA-256.`,
    );
    // The database as a whole, where this process can open it (an encrypted one needs its key).
    try {
      const key = resolveAtRestKey(target, { keyFile: values['key-file'] });
      const store = Store.open(defaultDbPath(target), { readonly: true, key });
      try {
        const integrity = store.integrityCheck();
        const chain = store.audit.verify();
        if (!integrity.ok || !chain.ok) {
          console.error(
            `auscult restore: the restored database does not pass its check (${integrity.ok ? `audit chain broken at entry ${chain.firstBadSeq}` : integrity.integrity.slice(0, 3).join('; ')}); keep the archive and the restored folder, and run auscult check --files --db ${join(target, 'auscult.sqlite')}.`,
          );
          return 1;
        }
        console.log(
          `Database intact (schema ${store.schemaVersion}), audit chain of ${chain.entries} entries verified.`,
        );
      } finally {
        store.close();
      }
    } catch (err) {
      if (!(err instanceof ApiError || err instanceof StoreError)) throw err;
      console.log(`note: the restored database was not opened here (${err.message})`);
    }
    console.log(`Check the recordings with: auscult check --files --db ${join(target, 'auscult.sqlite')}`);
    return 0;
  },
};
