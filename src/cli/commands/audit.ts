/**
 * `auscult audit verify [--db <file>]`: checks the audit log's hash chain in the database and
 * exits non-zero naming the first bad entry.
 * `auscult audit verify <export-folder>`: checks an audit-history export (see verifyExportFolder).
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from '../command.js';
import { openStoreForCli } from './users.js';

const USAGE = `usage: auscult audit verify [--db <file>] [--json]      check the database's audit hash chain
       auscult audit verify <export-folder> [--json]    check an audit-history export`;

/**
 * EXPORT VERIFICATION GOES HERE (export engineer): check the export folder, print what was
 * checked, return the exit code (0 ok, 1 bad, naming the first bad line).
 */
async function verifyExportFolder(folder: string, json: boolean): Promise<number> {
  void json;
  console.error(`auscult audit verify: checking export folders (${folder}) is not available in this build yet.`);
  return 2;
}

export const command: CliCommand = {
  name: 'audit',
  summary: 'verify the audit log hash chain (or an audit export folder)',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { db: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      });
    } catch (err) {
      console.error(`auscult audit: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    const [sub, folder] = positionals;
    if (values.help || sub !== 'verify') {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    if (folder) return verifyExportFolder(folder, values.json);

    const store = openStoreForCli(values.db);
    try {
      const r = store.audit.verify();
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else if (r.ok) console.log(`Audit chain OK: ${r.entries} entries, head ${r.head}.`);
      else console.error(`Audit chain BROKEN at entry ${r.firstBadSeq}: ${r.reason}. ${r.entries} entries before it verify.`);
      return r.ok ? 0 : 1;
    } finally {
      store.close();
    }
  },
};
