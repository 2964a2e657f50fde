/**
 * `auscult encryption init --data-dir <folder> (--key-file <file> | --passphrase)`: turn on
 * encryption at rest for a NEW data folder (before its first start): with a key file (created
 * here, 0600, never overwritten; use --existing-key to reuse one) or with AUSCULT_PASSPHRASE.
 * Writes `<folder>/encryption.json` (which key, and its fingerprint; never the key).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { initEncryption } from '../../service/at-rest-keys.js';
import { toApiError } from '../../service/errors.js';
import { appDataDir, defaultDbPath } from '../../service/paths.js';

const USAGE = `usage: auscult encryption init [--data-dir <folder>] --key-file <file> [--existing-key]
       auscult encryption init [--data-dir <folder>] --passphrase      (reads AUSCULT_PASSPHRASE)
  Encrypts the database and recordings of a new data folder. Keep the key file apart from the data
  (another disk, a USB key, a secrets store): without it the history cannot be read.`;

export const command: CliCommand = {
  name: 'encryption',
  summary: 'turn on encryption at rest for a new data folder',
  run(argv) {
    const parsed = parseCommandArgs('encryption', USAGE, argv, {
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        'key-file': { type: 'string' },
        'existing-key': { type: 'boolean', default: false },
        passphrase: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return Promise.resolve(2);
    const { values: v, positionals } = parsed;
    if (v.help || positionals[0] !== 'init' || (!v['key-file'] && !v.passphrase)) {
      console.log(USAGE);
      return Promise.resolve(v.help ? 0 : 2);
    }
    const dataDir = resolve(v['data-dir'] ?? appDataDir());
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const passphrase = process.env['AUSCULT_PASSPHRASE'];
      if (v.passphrase && !passphrase) {
        console.error('auscult encryption: set AUSCULT_PASSPHRASE (at least 12 characters) first.');
        return Promise.resolve(2);
      }
      const { descriptor } = initEncryption(
        dataDir,
        defaultDbPath(dataDir),
        v.passphrase && passphrase
          ? { passphrase }
          : { keyFile: resolve(v['key-file'] ?? ''), create: !v['existing-key'] },
      );
      console.log(
        `Encryption at rest is on for ${dataDir} (key ${descriptor.keyId}, from ${descriptor.keySource === 'passphrase' ? 'AUSCULT_PASSPHRASE' : (v['key-file'] ?? '')}).`,
      );
      return Promise.resolve(0);
    } catch (err) {
      console.error(`auscult encryption: ${toApiError(err).message}`);
      return Promise.resolve(1);
    }
  },
};
