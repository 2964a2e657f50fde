/**
 * `auscult restore accept --user ADMIN [--db FILE]`: an administrator accepts a restored older copy
 * of the database, which is otherwise refused for writing (`ROLLED_BACK`: the signed checkpoint log
 * is ahead of it). It states what is given up (entries N+1..M, the last known head), requires the
 * administrator's password (AUSCULT_PASSWORD or a prompt, under the sign-in throttle), and writes a
 * signed acceptance into the checkpoint log and a signed `audit.rollback-accepted` entry
 * (Store.acceptRollback), so `auscult audit verify` reports the accepted rollback and still catches
 * any other. It runs without the service; `serve` and the app offer the same acceptance on their
 * sign-in page (`system.acceptRollback`). A refused attempt is a signed line (rollback-refusals.ts).
 */
import { dirname } from 'node:path';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { signingDir } from '../../service/paths.js';
import { dbTarget } from '../db-target.js';
import { checkPasswordInStore, refusal } from '../../service/sign-in-guard.js';
import { Store, StoreError, type RefusalReason } from '../../store/index.js';
import { parseCommandArgs } from '../args.js';
import { passwordFor } from './users.js';
import { osAccountName } from '../../service/os-account.js';

export const ACCEPT_USAGE =
  'usage: auscult restore accept --user <admin> [--db <file>] [--key-file <file>]\n' +
  '  accept the restored older copy of the database: the newer entries the signed checkpoint log\n' +
  '  records are given up for good, and the acceptance is signed into the audit log';

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
  if (target.site) {
    // a workstation refuses to write on a site that lost entries it checkpointed; the site's
    // database administrator restores it (pg_restore) from the server's backups instead
    console.error(
      "auscult restore accept: a site database's history is restored on its server (pg_restore, see the README: 'Site mode', Backups), not accepted by one workstation. Nothing was changed.",
    );
    return 2;
  }
  const path = target.db;
  let store: Store;
  try {
    const key = resolveAtRestKey(dirname(path), { keyFile: v['key-file'] });
    store = Store.open(path, { key, signing: { dir: signingDir(dirname(path)), rolledBack: 'inspect' } });
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
        `auscult restore accept: ${path} holds its latest signed checkpoint: there is no rollback to accept. Nothing was changed.`,
      );
      return 1;
    }
    const lostFrom = p.base.seq + 1;
    console.log(
      `${path} is an older copy of its history: it ends at audit entry ${p.base.seq} (head ${p.base.hash}).\n` +
        `The signed checkpoint log records ${p.lost.seq} entries (head ${p.lost.hash}, ${p.lost.at}).\n` +
        `Accepting it gives up ${lostFrom === p.lost.seq ? `entry ${lostFrom}` : `entries ${lostFrom}..${p.lost.seq}`} and whatever they recorded, for good; ` +
        'the acceptance is signed into the audit log under your name.' +
        (p.resume
          ? `\n(An acceptance by ${p.resume.acceptedBy} at ${p.resume.at} was interrupted; this finishes it.)`
          : ''),
    );
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
        `entries ${d.lost.fromSeq}..${d.lost.toSeq} are recorded as given up. Check with: auscult audit verify --db ${path}`,
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
