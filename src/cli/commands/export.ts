/**
 * `auscult export <kind> --out <folder> --user <name> [scope] [--bom] [--zip] [--db <file>]`:
 * the same export jobs as the UI (same roles, same audit entries), run to completion with a
 * progress line. Ctrl-C cancels cleanly: nothing is left under the final name.
 */
import { passwordFor } from './users.js';
import { resolve } from 'node:path';
import { dbTarget } from '../db-target.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { EXPORT_KIND_NAMES, EXPORT_KINDS, type ExportKind } from '../../common/export-kinds.js';
import type { ExportJob, ExportScope } from '../../service/api.js';
import { ApiError } from '../../service/errors.js';
import { Workstation } from '../../service/workstation.js';

const isKind = (k: string | undefined): k is ExportKind =>
  (EXPORT_KIND_NAMES as readonly (string | undefined)[]).includes(k);
const KIND_LINE = EXPORT_KIND_NAMES.map((k) => `${k} (${EXPORT_KINDS[k].roles.join(', ')})`).join(', ');

const USAGE = `usage: auscult export <kind> --out <folder> --user <username> [options]
  kinds: ${KIND_LINE}
  --patient <identifier>   one patient (MRN)
  --recording <id>         one recording
  --from <date> --to <date>  a date range (YYYY-MM-DD or ISO 8601; 'to' is inclusive)
  --bom                    UTF-8 BOM in CSV files (for spreadsheet programs)
  --zip                    recordings as one .zip instead of a folder
  --db <file|url>          the database (default: the app's, or AUSCULT_DB_URL): a file or
                           a site's postgresql://ROLE@HOST/DB (password in PGPASSWORD or ~/.pgpass)
  --json                   print the finished job as JSON`;

export const command: CliCommand = {
  name: 'export',
  summary: 'export audit history, analyses, PDF reports, FHIR bundles or recordings',
  async run(argv) {
    const parsed = parseCommandArgs('export', USAGE, argv, {
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        user: { type: 'string' },
        patient: { type: 'string' },
        recording: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        bom: { type: 'boolean', default: false },
        zip: { type: 'boolean', default: false },
        db: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const v = parsed.values;
    const kind = parsed.positionals[0];
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (!isKind(kind) || !v.out || !v.user) {
      console.error(`auscult export: give a kind (${EXPORT_KIND_NAMES.join(', ')}), --out and --user.\n${USAGE}`);
      return 2;
    }
    if (v.recording !== undefined && !/^\d+$/.test(v.recording)) {
      console.error('auscult export: --recording takes a recording number (see the recordings list).');
      return 2;
    }
    const { db: dbPath, dataDir } = dbTarget(v.db, v['data-dir']);
    // Exports never analyse: no engine is loaded (the model card summary then reads "not available").
    const ws = await Workstation.open({ dbPath, dataDir, engine: null, engineError: 'not loaded for exports' });
    let ctx: { sessionToken: string; transport: 'cli' } | null = null;
    let job: ExportJob | null = null;
    const onSigint = (): void => {
      if (ctx && job) void ws.call(ctx, 'exports.cancel', { jobId: job.id }).catch(() => undefined);
    };
    process.on('SIGINT', onSigint);
    try {
      // Acting as a user needs that user's password (the audit records the OS account too).
      ctx = { sessionToken: await ws.signInCli(v.user, await passwordFor(v.user)), transport: 'cli' };
      const scope: ExportScope = {};
      if (v.patient !== undefined) {
        const p = ws.internals.store.patients.byMrn(v.patient);
        if (!p) {
          console.error(`auscult export: no patient with identifier '${v.patient}'.`);
          return 1;
        }
        scope.patientId = p.id;
      }
      if (v.recording !== undefined) scope.recordingId = Number(v.recording);
      if (v.from) scope.from = v.from;
      if (v.to) scope.to = v.to;
      job = await ws.call(ctx, 'exports.start', {
        kind,
        scope,
        options: { csvBom: v.bom, zip: v.zip },
        destinationDir: resolve(v.out),
      });
      const tty = process.stderr.isTTY;
      while (job.state === 'running') {
        await new Promise((r) => setTimeout(r, 200));
        job = await ws.call(ctx, 'exports.status', { jobId: job.id });
        if (tty) process.stderr.write(`\r${kind}: ${job.rows} rows, ${Math.round(job.progress * 100)} %   `);
      }
      if (tty) process.stderr.write('\n');
      if (v.json) console.log(JSON.stringify(job, null, 2));
      else if (job.state === 'done') {
        console.log(`Exported ${job.rows} ${EXPORT_KINDS[kind].rowNoun} to ${job.destination}`);
        for (const f of job.files) console.log(`  ${f.name}  ${f.bytes} bytes  sha256 ${f.sha256}`);
        if (kind === 'audit-history')
          console.log(`Check it any time with: auscult audit verify ${job.destination} --db ${dbPath}`);
      } else console.error(`auscult export: ${job.state}: ${job.error}`);
      return job.state === 'done' ? 0 : 1;
    } catch (err) {
      if (err instanceof ApiError) {
        console.error(`auscult export: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
      await ws.close();
    }
  },
};
