/**
 * `auscult site approve-key --db postgresql://OWNER@HOST/DB KEY_ID` (or `--list`): the site
 * database's owner approves a workstation's signing key, after comparing its fingerprint with the
 * one that workstation shows (`auscult audit key`). Until then the entries that key signs are not
 * verified: the workstations' database password alone must not be enough to add a trusted key.
 * The approval is audited on the site's chain, signed with this machine's own workstation key
 * (approved with it: the owner vouches for the key it signs the approval with).
 */
import { openStoreAt } from '../../service/site-store.js';
import { StoreError, type Store, type WorkstationKey } from '../../store/index.js';
import { parseCommandArgs } from '../args.js';
import { dbTarget } from '../db-target.js';
import { osAccountName } from '../../service/os-account.js';

const USAGE = `usage: auscult site approve-key --db <postgresql://OWNER@HOST/DB> [--data-dir <folder>] [--json] (--list | <KEY_ID>)
  The site database's owner (the role its migrations ran as) approves a workstation's signing key;
  entries signed by a key awaiting approval are not verified. Compare the fingerprint --list shows
  with the key id the workstation itself shows (auscult audit key) before approving it.
  --db defaults to AUSCULT_DB_URL; its password in PGPASSWORD or ~/.pgpass, never in the address.
  --data-dir  this machine's data folder (its signing key signs the approval's audit entry)`;

const KEY_ID = /^[0-9a-f]{32}$/;

function state(k: WorkstationKey): string {
  if (k.idMismatch) return 'never trusted (its id is not its fingerprint)';
  return k.approvedAt ? `approved by ${k.approvedBy} at ${k.approvedAt}` : 'awaiting approval';
}

function list(store: Store, json: boolean): number {
  const keys = store.workstationKeys();
  if (json) console.log(JSON.stringify({ keys }, null, 2));
  else if (keys.length === 0) console.log('No workstation has registered a signing key on this site yet.');
  else
    for (const k of keys)
      console.log(
        `${k.keyId}  workstation '${k.workstation}'  fingerprint ${k.fingerprint}  first entry ${k.firstSeq}  ${state(k)}`,
      );
  return 0;
}

export async function runSiteApproveKey(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('site approve-key', USAGE, argv, {
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'data-dir': { type: 'string' },
      list: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (!parsed) return 2;
  const { values: v, positionals } = parsed;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const say = (msg: string, code: number) => (console.error(`auscult site approve-key: ${msg}`), code);
  const keyId = positionals[0];
  if (v.list ? positionals.length > 0 : positionals.length !== 1)
    return say(`give either --list or one key id. Nothing was changed.\n${USAGE}`, 2);
  if (keyId !== undefined && !KEY_ID.test(keyId))
    return say(`'${keyId}' is not a key id (32 hexadecimal digits, as --list shows). Nothing was changed.`, 2);
  const target = dbTarget(v.db, v['data-dir']);
  if (!target.site)
    return say(
      'signing keys are approved on a site database: give it with --db postgresql://OWNER@HOST/DB (or AUSCULT_DB_URL). Nothing was changed.',
      2,
    );
  let store: Store;
  try {
    // read-only first: listing, or a refused role, must not register this machine's key either
    store = openStoreAt(target.db, { dataDir: target.dataDir, readonly: true });
    const roles = store.siteRoles();
    if (!v.list && roles && roles.current === roles.owner) {
      store.close();
      store = openStoreAt(target.db, { dataDir: target.dataDir });
    }
  } catch (err) {
    return say(err instanceof Error ? err.message : String(err), 1);
  }
  try {
    if (v.list) return list(store, v.json);
    const k = store.approveWorkstationKey(keyId!, { osAccount: osAccountName() });
    if (v.json) console.log(JSON.stringify({ ok: true, key: k }, null, 2));
    else
      console.log(
        `Approved key ${k.keyId} of workstation '${k.workstation}' (fingerprint ${k.fingerprint}): its entries from ${k.firstSeq} on now verify. The approval is in the site's audit log.`,
      );
    return 0;
  } catch (err) {
    if (err instanceof StoreError) return say(err.message, 1);
    // the database's own refusal (a trigger, a missing privilege): one sentence, nothing changed
    if (err instanceof Error)
      return say(`the site database refused the approval (${err.message}). Nothing was changed.`, 1);
    throw err;
  } finally {
    store.close();
  }
}
