/**
 * `auscult backup --to FILE [--data-dir DIR] [--db FILE] [--key-file FILE] [--force]`: one
 * archive of the database (a consistent VACUUM INTO snapshot, encrypted under the same key when
 * the folder is) and every recording file it names (sealed files stay sealed), with a manifest
 * of SHA-256 per member (src/store/backup-write.ts). The archive is then read back and verified.
 * The workstation may keep running meanwhile.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AtRestKey } from '../../common/at-rest.js';
import { resolveAtRestKey, ENCRYPTION_FILE } from '../../service/at-rest-keys.js';
import { inProgressDir, recordingsDir, signingDir } from '../../service/paths.js';
import { dbTarget, siteBackupRefusal } from '../db-target.js';
import { auditLocal } from '../../service/local-admin.js';
import { BackupError, Store, StoreError, verifyBackupArchive, writeBackupArchive } from '../../store/index.js';
import { ApiError } from '../../service/errors.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';

const USAGE =
  'usage: auscult backup --to <file> [--data-dir <folder>] [--db <file>] [--key-file <file>] [--force]\n' +
  '  one archive (ZIP) of the database and every recording, with SHA-256 per member; --force replaces an existing archive';

export const command: CliCommand = {
  name: 'backup',
  summary: 'one archive of the database and every recording (auscult restore brings it back)',
  async run(argv) {
    const parsed = parseCommandArgs('backup', USAGE, argv, {
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        'data-dir': { type: 'string' },
        db: { type: 'string' },
        force: { type: 'boolean', default: false },
        'key-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values, positionals } = parsed;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length) {
      console.error(
        `auscult backup: name the archive with --to ${positionals[0] ?? ''} (no other arguments).\n${USAGE}`,
      );
      return 2;
    }
    if (!values.to) {
      console.error(`auscult backup: say where the archive goes with --to <file>.\n${USAGE}`);
      return 2;
    }
    const db = dbTarget(values.db, values['data-dir'], true);
    if (db.site) {
      console.error(siteBackupRefusal('backup'));
      return 2;
    }
    const target = resolve(values.to);
    const { dataDir, db: dbPath } = db;
    if (target === dbPath || target.startsWith(recordingsDir(dataDir) + '/')) {
      console.error('auscult backup: the archive must not be the database or inside the recordings folder.');
      return 1;
    }
    if (!existsSync(dbPath)) {
      console.error(`auscult backup: there is no database at ${dbPath}; name it with --db or --data-dir.`);
      return 1;
    }
    let store: Store;
    let key: AtRestKey | null;
    try {
      key = resolveAtRestKey(dirname(dbPath), { keyFile: values['key-file'] });
      // the backup's own audit entry is signed like every other (the history's signing folder)
      store = Store.open(dbPath, { key, quickCheck: true, signing: { dir: signingDir(dirname(dbPath)) } });
    } catch (err) {
      console.error(`auscult backup: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    try {
      const t0 = performance.now();
      const encryptionFile = join(dirname(dbPath), ENCRYPTION_FILE);
      const { manifest, bytes } = await writeBackupArchive({
        store,
        key,
        recordingsDir: recordingsDir(dataDir),
        encryptionFile: existsSync(encryptionFile) ? encryptionFile : null,
        destination: target,
        replace: values.force,
      });
      const written = performance.now() - t0;
      // Read it back: a backup that cannot be restored is found now, not on the day it is needed.
      await verifyBackupArchive(target);
      store.tx(() =>
        auditLocal(store, 'system.backup', 'database', null, {
          destination: target,
          recordings: manifest.recordings,
          bytes,
          encrypted: manifest.encrypted,
        }),
      );
      const mib = (bytes / 2 ** 20).toFixed(1);
      console.log(
        `Backed up ${dbPath} and ${manifest.recordings} recording${manifest.recordings === 1 ? '' : 's'} to ${target} (${mib} MiB${manifest.encrypted ? ', encrypted at rest under the folder’s key' : ''}, ${Math.round(written)} ms); read back, every member matches its SHA-256.`,
      );
      const pending = (existsSync(inProgressDir(dataDir)) ? readdirSync(inProgressDir(dataDir)) : []).filter((n) =>
        n.endsWith('.wav'),
      );
      if (pending.length)
        console.log(
          `note: ${pending.length} interrupted capture(s) in ${inProgressDir(dataDir)} are not in the backup: recover them in the app, then back up again.`,
        );
      return 0;
    } catch (err) {
      if (err instanceof BackupError || err instanceof StoreError || err instanceof ApiError) {
        console.error(`auscult backup: ${err.message}`);
        return 1;
      }
      if (err instanceof Error && 'code' in err && (err.code === 'ENOSPC' || err.code === 'EDQUOT')) {
        console.error(`auscult backup: the disk is full; the archive was not written (nothing was left behind).`);
        return 1;
      }
      throw err;
    } finally {
      store.close();
    }
  },
};
