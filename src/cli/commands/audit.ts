/**
 * `auscult audit verify [--db <file>]`: checks the audit log in full — hash chain, every entry's
 * signature against the signing folder's key, and the database against the signed checkpoints
 * outside it — and exits non-zero naming the first bad entry.
 * `auscult audit verify <export-folder> [--db <file>] [--public-key <file>]`: checks an audit-history
 * export (its signed manifest, see verifyExportFolder) and, with --db, the export against the
 * database and the database against the export (both directions).
 * `auscult audit key [--db <file>]`: prints the workstation's public key (for auditors elsewhere).
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { appDataDir, signingDir } from '../../service/paths.js';
import { openStoreAt } from '../../service/site-store.js';
import { dbTarget } from '../db-target.js';
import { keyIdOf, readPublicKey, Store, trustedKeys, type ChainCheck, type TrustedKeys } from '../../store/index.js';

const USAGE = `usage: auscult audit verify [--db <file>] [--json]      check the database's audit log (chain, signatures, checkpoints)
       auscult audit verify <export-folder> [--db <file>] [--public-key <file>] [--json]   check an audit-history export (and against the database)
       auscult audit key [--db <file>]                     print the workstation's public signing key
  --db takes a file or a site's postgresql://ROLE@HOST/DB (or AUSCULT_DB_URL; this workstation's
  data folder from AUSCULT_DATA_DIR holds its key and its checkpoint log of the site)`;

/** The history read-only, with its signing folder's public key and checkpoints (never written). */
function openReadOnly(db: string | undefined): Store {
  const target = dbTarget(db, undefined);
  // a site: every registered workstation key, and this workstation's checkpoint log of the site
  if (target.site) return openStoreAt(target.db, { readonly: true, dataDir: target.dataDir });
  const path = target.db;
  const key = resolveAtRestKey(dirname(path), {});
  return Store.open(path, { readonly: true, key, signing: { dir: signingDir(dirname(path)) } });
}

function keysFrom(file: string): TrustedKeys {
  const text = readFileSync(file, 'utf8').trim();
  const keys = trustedKeys([text]);
  if (keys.size === 0) throw new Error(`${file} is not an Auscult public signing key (audit-signing.pub).`);
  return keys;
}

function printChain(r: ChainCheck, json: boolean): void {
  if (json) console.log(JSON.stringify(r, null, 2));
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
}

async function verifyExportFolder(
  folder: string,
  json: boolean,
  db: string | undefined,
  publicKey: string | undefined,
): Promise<number> {
  const { verifyExportFolderCli } = await import('../../export/verify-report.js');
  const fileKeys = publicKey ? keysFrom(publicKey) : null;
  if (db === undefined) {
    const local = readPublicKey(signingDir(appDataDir()));
    return verifyExportFolderCli(folder, { json, keys: fileKeys ?? (local ? trustedKeys([local]) : null) });
  }
  const store = openReadOnly(db);
  try {
    const code = await verifyExportFolderCli(folder, { json, db: store.db, keys: fileKeys ?? store.trustedKeys });
    // The other direction: the database itself, against its own signed checkpoints.
    const r = store.verifyAudit();
    if (!json) printChain(r, false);
    return code !== 0 ? code : r.ok ? 0 : 1;
  } finally {
    store.close();
  }
}

export const command: CliCommand = {
  name: 'audit',
  summary: 'verify the signed audit log (or an audit export folder); print the public key',
  async run(argv) {
    const parsed = parseCommandArgs('audit', USAGE, argv, {
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        'public-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values, positionals } = parsed;
    const [sub, folder] = positionals;
    if (values.help || (sub !== 'verify' && sub !== 'key')) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    try {
      if (sub === 'key') {
        const target = dbTarget(values.db, undefined);
        const dir = signingDir(target.site ? target.dataDir : dirname(target.db));
        const pub = readPublicKey(dir);
        if (!pub) {
          console.error(
            `auscult audit key: there is no signing key in ${dir} yet (it is made when the workstation first opens).`,
          );
          return 1;
        }
        console.log(pub);
        console.error(`key id ${keyIdOf(pub)} (${dir})`);
        return 0;
      }
      if (folder) return await verifyExportFolder(folder, values.json, values.db, values['public-key']);
      const store = openReadOnly(values.db);
      try {
        const r = store.verifyAudit();
        printChain(r, values.json);
        return r.ok ? 0 : 1;
      } finally {
        store.close();
      }
    } catch (err) {
      console.error(`auscult audit: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
  },
};
