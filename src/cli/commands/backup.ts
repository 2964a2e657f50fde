/**
 * `auscult backup <file> [--db <file>]`: an online backup through SQLite's backup API
 * (consistent while the workstation keeps running), then an integrity check of the copy.
 * The recordings folder (WAVs) is copied by the file backup of the data folder, not here.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { auditLocal } from '../../service/local-admin.js';
import { Store } from '../../store/index.js';
import { openStoreForCli } from './users.js';

const USAGE = 'usage: auscult backup <file> [--db <file>] [--force]   (--force overwrites an existing file)';

export const command: CliCommand = {
  name: 'backup',
  summary: 'online backup of the database to a file (SQLite backup API)',
  async run(argv) {
    const parsed = parseCommandArgs('backup', USAGE, argv, {
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        force: { type: 'boolean', default: false },
        'key-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values, positionals } = parsed;
    const dest = positionals[0];
    if (values.help || !dest) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    const target = resolve(dest);
    if (existsSync(target) && !values.force) {
      console.error(`auscult backup: ${target} exists; choose a new file name or pass --force.`);
      return 1;
    }
    if (values.force) rmSync(target, { force: true });
    const store = openStoreForCli(values.db, { keyFile: values['key-file'] });
    try {
      if (resolve(store.path) === target) {
        console.error('auscult backup: the backup file must differ from the database itself.');
        return 1;
      }
      const t0 = performance.now();
      const { pages } = store.backup(target);
      store.tx(() => auditLocal(store, 'system.backup', 'database', null, { destination: target, pages }));
      const copy = Store.open(target, {
        readonly: true,
        key: store.encrypted ? resolveAtRestKey(dirname(store.path), { keyFile: values['key-file'] }) : null,
      });
      try {
        const check = copy.integrityCheck();
        if (!check.ok) {
          console.error(
            `auscult backup: the copy at ${target} failed its integrity check: ${check.integrity.slice(0, 3).join('; ')}`,
          );
          return 1;
        }
      } finally {
        copy.close();
      }
      console.log(
        `Backed up ${store.path} to ${target} (${pages} pages, ${Math.round(performance.now() - t0)} ms); the copy passed its integrity check.`,
      );
      return 0;
    } finally {
      store.close();
    }
  },
};
