/**
 * `auscult site migrate --from <local.db> --to postgresql://… --user <admin>`: moves a standalone
 * workstation's history into a site database (src/store/site-migrate.ts says how the chain is
 * carried). The administrator's password is checked on the standalone history (AUSCULT_PASSWORD or a
 * prompt, under the sign-in throttle). The site is signed with the standalone history's own signing
 * folder, so the key that signed the history signs its copy. Conflicts are listed and nothing is
 * written; a second run copies only what is new.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { recordingsDir, signingDir } from '../../service/paths.js';
import { wavFromFileBytes } from '../../service/recording-files.js';
import { checkPasswordInStore, refusal } from '../../service/sign-in-guard.js';
import { isSiteUrl } from '../../service/site-store.js';
import { Store, StoreError } from '../../store/index.js';
import { migrateToSite, SiteMigrationRefused, type MigrationConflict } from '../../store/site-migrate.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { runSiteApproveKey } from './site-approve-key.js';
import { runSiteOutbox } from './site-outbox.js';
import { passwordFor } from './users.js';
import { osAccountName } from '../../service/os-account.js';

const USAGE = `usage: auscult site migrate --from <local.sqlite> --to <postgresql://ROLE@HOST/DB> --user <admin>
                           [--data-dir <folder>] [--key-file <file>] [--json]
  Copies this workstation's history (patients, recordings with their audio, analyses, findings,
  sign-offs and seals, users, the audit log) into a site database, in one transaction: the
  standalone audit chain is verified first, the site's after the copy and before it commits.
  Conflicts (an identifier of another person, a user name of another account, a recording id with
  another WAV) are listed and nothing is copied. Running it again copies only what is new.
  --to defaults to AUSCULT_DB_URL; its password in PGPASSWORD or ~/.pgpass, never in the address.
  --data-dir  the folder whose recordings/ holds the WAVs (default: the database's folder)`;

function describe(c: MigrationConflict): string {
  if (c.kind === 'patient') return `patient ${c.mrn}: ${c.reason}`;
  if (c.kind === 'user') return `user ${c.username}: ${c.reason}`;
  return `recording ${c.sourceId} (${c.fileName}): ${c.reason}`;
}

export const command: CliCommand = {
  name: 'site',
  summary:
    "move a standalone workstation's history into a site database (site migrate); refused uploads (site outbox); approve a workstation's signing key (site approve-key)",
  async run(argv) {
    if (argv[0] === 'outbox') return runSiteOutbox(argv.slice(1));
    if (argv[0] === 'approve-key') return runSiteApproveKey(argv.slice(1));
    const parsed = parseCommandArgs('site', USAGE, argv, {
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        user: { type: 'string' },
        'data-dir': { type: 'string' },
        'key-file': { type: 'string' },
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
    if (positionals[0] !== 'migrate' || positionals.length > 1) {
      console.error(
        `auscult site: the subcommands are 'migrate', 'outbox' and 'approve-key' (auscult site outbox --help, auscult site approve-key --help).\n${USAGE}`,
      );
      return 2;
    }
    const to = v.to ?? process.env['AUSCULT_DB_URL'];
    if (!v.from || !to || !v.user) {
      console.error(`auscult site migrate: give --from, --to (or AUSCULT_DB_URL) and --user.\n${USAGE}`);
      return 2;
    }
    if (!isSiteUrl(to)) {
      console.error(
        `auscult site migrate: --to must be a PostgreSQL address (postgresql://ROLE@HOST:PORT/DATABASE), not '${to}'. Nothing was changed.`,
      );
      return 2;
    }
    const from = resolve(v.from);
    // never created: a mistyped path must not become an empty history that migrates nothing
    if (!existsSync(from)) {
      console.error(`auscult site migrate: there is no database at ${from}; give the workstation's file with --from.`);
      return 1;
    }
    const folder = dirname(from);
    const signing = signingDir(folder);
    let source: Store;
    let key;
    try {
      key = resolveAtRestKey(folder, { keyFile: v['key-file'] });
      source = Store.open(from, { key, quickCheck: true, signing: { dir: signing } });
    } catch (err) {
      console.error(`auscult site migrate: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    let site: Store | null = null;
    try {
      const os = osAccountName();
      const check = await checkPasswordInStore(
        source,
        Date.now(),
        { transport: 'cli', peer: `os:${os}` },
        v.user,
        await passwordFor(v.user),
      );
      if (!check.ok) {
        console.error(`auscult site migrate: ${refusal(check, v.user).message} Nothing was changed.`);
        return 1;
      }
      if (check.user.role !== 'admin') {
        console.error(
          `auscult site migrate: '${v.user}' is not an administrator; only an administrator moves a history to a site. Nothing was changed.`,
        );
        return 1;
      }
      site = Store.openSite(to, { signing: { dir: signing } });
      const recDir = recordingsDir(resolve(v['data-dir'] ?? folder));
      const report = migrateToSite(source, site, {
        by: { username: check.user.username, osAccount: os },
        readWav: (fileName) => {
          const path = join(recDir, fileName);
          if (!existsSync(path))
            throw new SiteMigrationRefused(
              `The audio file ${fileName} is missing from ${recDir}: restore it from a backup (or give the right --data-dir), then migrate. Nothing was changed.`,
            );
          return wavFromFileBytes(readFileSync(path), key, `The audio file ${fileName}`);
        },
        log: (l) => {
          if (!v.json) console.error(`site migrate: ${l}`);
        },
      });
      if (v.json) console.log(JSON.stringify({ ok: true, ...report }, null, 2));
      else {
        const c = report.copied;
        if (report.migrationEntrySeq === null)
          console.log(
            `Nothing to copy: ${site.path} already holds this history (${report.source.entries} audit entries, head ${report.source.head.hash}).`,
          );
        else
          console.log(
            `Moved ${from} into ${site.path}: ${c.patients} patients, ${c.recordings} recordings (${c.audio} WAVs in the site database), ` +
              `${c.analyses} analyses, ${c.findings} findings, ${c.signoffs} sign-offs (${c.seals} sealed again), ${c.users} users, ` +
              `${c.auditEntries} audit entries; already there: ${report.alreadyOnSite.patients} patients, ${report.alreadyOnSite.recordings} recordings, ` +
              `${report.alreadyOnSite.users} users, ${report.alreadyOnSite.auditEntries} audit entries.\n` +
              `The standalone chain (${report.source.entries} entries, head ${report.source.head.hash}) was verified before; ` +
              `the site's chain after the copy, before the commit (${report.siteChain.entries} entries, ${report.siteChain.signaturesBeforeCommit} signatures), ` +
              'and against this workstation’s checkpoint log after it. ' +
              `Signed migration entry: ${report.migrationEntrySeq}.`,
          );
      }
      return 0;
    } catch (err) {
      if (err instanceof SiteMigrationRefused) {
        if (v.json) console.log(JSON.stringify({ ok: false, reason: err.message, conflicts: err.conflicts }, null, 2));
        else {
          console.error(`auscult site migrate: ${err.message}`);
          for (const c of err.conflicts) console.error(`  conflict: ${describe(c)}`);
        }
        return 1;
      }
      if (err instanceof StoreError) {
        console.error(`auscult site migrate: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      site?.close();
      source.close();
    }
  },
};
