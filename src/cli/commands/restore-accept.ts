/**
 * `auscult restore accept --user ADMIN [--db FILE | --db postgresql://ROLE@HOST/DB]`: an administrator
 * accepts a restored older copy of the database, which is otherwise refused for writing
 * (`ROLLED_BACK`: the signed checkpoint log is ahead of it). A site database restored from an older
 * pg_dump: each workstation that wrote after the dump accepts for itself (its own checkpoint log),
 * an administrator of the site (the site's users) with their password, the site's password in
 * PGPASSWORD / ~/.pgpass as for every command. It states what is given up (entries N+1..M, the last known head), requires the
 * administrator's password (AUSCULT_PASSWORD or a prompt, under the sign-in throttle), and writes a
 * signed acceptance into the checkpoint log and a signed `audit.rollback-accepted` entry
 * (Store.acceptRollback), so `auscult audit verify` reports the accepted rollback and still catches
 * any other. It runs without the service; `serve` and the app offer the same acceptance on their
 * sign-in page (`system.acceptRollback`). A refused attempt is a signed line (rollback-refusals.ts).
 */
import { dirname } from 'node:path';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { signingDir } from '../../service/paths.js';
import { openStoreAt } from '../../service/site-store.js';
import { dbTarget } from '../db-target.js';
import { checkPasswordInStore, refusal } from '../../service/sign-in-guard.js';
import { Store, StoreError, type PendingRollback, type RefusalReason } from '../../store/index.js';
import { parseCommandArgs } from '../args.js';
import { passwordFor } from './users.js';
import { osAccountName } from '../../service/os-account.js';

export const ACCEPT_USAGE =
  'usage: auscult restore accept --user <admin> [--db <file> [--key-file <file>] | --db postgresql://ROLE@HOST/DB]\n' +
  '  accept the restored older copy of the database: the newer entries the signed checkpoint log\n' +
  '  records are given up for good, and the acceptance is signed into the audit log\n' +
  "  (a site restored from an older dump: run on each workstation that refuses it; this workstation's\n" +
  '  data folder from AUSCULT_DATA_DIR, the password in PGPASSWORD or ~/.pgpass)';

function range(from: number, to: number): string {
  return from === to ? `entry ${from}` : `entries ${from}..${to}`;
}

/** What accepting gives up, in words, before the password is asked. */
function describeLoss(where: string, p: PendingRollback, site: boolean): string {
  const lost = range(p.held.seq + 1, p.lost.seq);
  const resumed = p.resume
    ? `\n(An acceptance by ${p.resume.acceptedBy} at ${p.resume.at} was interrupted; this finishes it.)`
    : '';
  if (!site)
    return (
      `${where} is an older copy of its history: it ends at audit entry ${p.base.seq} (head ${p.base.hash}).\n` +
      `The signed checkpoint log records ${p.lost.seq} entries (head ${p.lost.hash}, ${p.lost.at}).\n` +
      `Accepting it gives up ${lost} and whatever they recorded, for good; ` +
      'the acceptance is signed into the audit log under your name.' +
      resumed
    );
  return (
    `The site database '${where}' was restored from an older copy: this workstation's signed checkpoint log records ` +
    `entry ${p.lost.seq} (head ${p.lost.hash}, ${p.lost.at}), but the site holds what it checkpointed only up to entry ${p.held.seq}; ` +
    `${p.lostCheckpoints === 1 ? 'one of its checkpoints after that is' : `${p.lostCheckpoints} of its checkpoints after that are`} gone ` +
    '(each at least one entry this workstation wrote: recordings, findings, signatures, sign-ins, views).\n' +
    `The site now ends at entry ${p.base.seq}. Accepting gives up, for this workstation, ${lost} of the old history and what ${p.held.seq + 1 === p.lost.seq ? 'it' : 'they'} recorded, for good; ` +
    "what the site holds stays. The acceptance is signed into the site's audit log under your name." +
    resumed
  );
}

export async function runRestoreAccept(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('restore accept', ACCEPT_USAGE, argv, {
    options: {
      db: { type: 'string' },
      user: { type: 'string' },
      'key-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (!parsed) return 2;
  const v = parsed.values;
  if (v.help) {
    console.log(ACCEPT_USAGE);
    return 0;
  }
  if (!v.user) {
    console.error(`auscult restore accept: name the administrator who accepts with --user <name>.\n${ACCEPT_USAGE}`);
    return 2;
  }
  const target = dbTarget(v.db, undefined);
  if (target.site && v['key-file'] !== undefined) {
    console.error(
      `auscult restore accept: --key-file opens an encrypted data folder's file; a site database is encrypted by its server. Leave it out. Nothing was changed.\n${ACCEPT_USAGE}`,
    );
    return 2;
  }
  const path = target.db;
  let store: Store;
  try {
    if (target.site) store = openStoreAt(path, { dataDir: target.dataDir, rolledBack: 'inspect' });
    else {
      const key = resolveAtRestKey(dirname(path), { keyFile: v['key-file'] });
      store = Store.open(path, { key, signing: { dir: signingDir(dirname(path)), rolledBack: 'inspect' } });
    }
  } catch (err) {
    if (err instanceof StoreError || (err instanceof Error && 'code' in err)) {
      console.error(`auscult restore accept: ${err.message}`);
      return 1;
    }
    throw err;
  }
  try {
    const p = store.rollbackPending;
    if (!p) {
      console.error(
        `auscult restore accept: ${path} holds ${target.site ? "this workstation's" : 'its'} latest signed checkpoint: there is no rollback to accept. Nothing was changed.`,
      );
      return 1;
    }
    console.log(describeLoss(path, p, target.site));
    const os = osAccountName();
    const check = await checkPasswordInStore(
      store,
      Date.now(),
      { transport: 'cli', peer: `os:${os}` },
      v.user,
      await passwordFor(v.user),
    );
    // A refused attempt cannot be an audit entry (none may be added to a rolled-back copy before
    // it is accepted): it is a signed line in the signing folder, copied into the acceptance entry.
    const refused = (reason: RefusalReason): void => {
      store.recordRollbackRefusal({ username: v.user!, reason, transport: 'cli', peer: `os:${os}` });
    };
    if (!check.ok) {
      refused(check.reason);
      console.error(
        `auscult restore accept: ${refusal(check, v.user).message} Nothing was changed; the attempt is recorded.`,
      );
      return 1;
    }
    if (check.user.role !== 'admin') {
      refused('not-admin');
      console.error(
        `auscult restore accept: '${v.user}' is not an administrator; only an administrator can accept a rollback. Nothing was changed; the attempt is recorded.`,
      );
      return 1;
    }
    const d = store.acceptRollback({ username: check.user.username, osAccount: os });
    console.log(
      `Rollback accepted by ${check.user.username}: the history goes on from entry ${d.base.seq}; ` +
        `${range(d.lost.fromSeq, d.lost.toSeq)} of the old history ${d.lost.fromSeq === d.lost.toSeq ? 'is' : 'are'} recorded as given up. ` +
        `Check with: auscult audit verify --db ${target.site ? `'${path}'` : path}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof StoreError) {
      console.error(`auscult restore accept: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    store.close();
  }
}
