/**
 * `auscult audit verify [--db <file>]`: checks the audit log's hash chain in the database and
 * exits non-zero naming the first bad entry.
 * `auscult audit verify <export-folder>`: checks an audit-history export (see verifyExportFolder).
 */
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { openStoreForCli } from './users.js';

const USAGE = `usage: auscult audit verify [--db <file>] [--json]      check the database's audit hash chain
       auscult audit verify <export-folder> [--db <file>] [--json]   check an audit-history export (and against the database)`;

/** Export folders are checked by the export room's verifier; `--db` also anchors them to the database. */
async function verifyExportFolder(folder: string, json: boolean, db: string | undefined): Promise<number> {
  const { verifyExportFolderCli } = await import('../../export/verify-report.js');
  if (db === undefined) return verifyExportFolderCli(folder, { json });
  const store = openStoreForCli(db);
  try {
    return await verifyExportFolderCli(folder, { json, db: store.db });
  } finally {
    store.close();
  }
}

export const command: CliCommand = {
  name: 'audit',
  summary: 'verify the audit log hash chain (or an audit export folder)',
  async run(argv) {
    const parsed = parseCommandArgs('audit', USAGE, argv, {
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values, positionals } = parsed;
    const [sub, folder] = positionals;
    if (values.help || sub !== 'verify') {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    if (folder) return verifyExportFolder(folder, values.json, values.db);

    const store = openStoreForCli(values.db);
    try {
      const r = store.verifyAudit();
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else if (r.ok) {
        console.log(
          `Audit chain OK: ${r.entries} entries, head ${r.head}; ${r.signaturesChecked ?? 0} of ${r.signed ?? 0} signatures checked` +
            (r.checkpoint
              ? `; the database holds the latest signed checkpoint (${r.checkpoint.seq} entries, ${r.checkpoint.at}).`
              : '.'),
        );
        for (const n of r.notes ?? []) console.log(`  note: ${n}`);
      } else
        console.error(
          `Audit chain BROKEN${r.firstBadSeq !== null ? ` at entry ${r.firstBadSeq}` : ''}: ${r.reason}. ${r.entries} entries before it verify.`,
        );
      return r.ok ? 0 : 1;
    } finally {
      store.close();
    }
  },
};
