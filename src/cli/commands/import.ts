/**
 * `auscult import <wav...> --patient <mrn> [--create-patient --given X --family Y] [--site <site>]
 *  --user <name>`: stores and analyses WAV files through the same intake as the UI.
 */
import { passwordFor } from './users.js';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { dbTarget } from '../db-target.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { CHEST_SITES, isChestSite } from '../../common/chest-sites.js';
import type { Patient, Sex } from '../../service/api.js';
import { ApiError, toApiError } from '../../service/errors.js';
import { AudioFileError, probeWavFile } from '../../audio/wav-read.js';
import { importTooLargeMessage, MAX_IMPORT_BYTES } from '../../common/import-limit.js';
import { intakeRecording } from '../../service/recording-intake.js';
import { toPatient } from '../../service/mappers.js';
import { Workstation } from '../../service/workstation.js';

const USAGE = `usage: auscult import <file.wav|file.flac ...> --patient <identifier> --user <username>
         [--create-patient --given <name> --family <name> [--birth-date YYYY-MM-DD] [--sex female|male|other|unknown]]
         [--site <site>] [--db <file|postgresql://…>] [--data-dir <folder>] [--models-dir <folder> | --no-analysis] [--json]
  Sites: ${CHEST_SITES.join(', ')} (default trachea).
  The recordings are copied into the recordings folder (beside the database unless --data-dir);
  a FLAC is stored as the WAV it decodes to (lossless), its own SHA-256 kept in the audit entry.`;

export const command: CliCommand = {
  name: 'import',
  summary: 'store and analyse WAV or FLAC recordings for a patient',
  async run(argv) {
    const parsed = parseCommandArgs('import', USAGE, argv, {
      allowPositionals: true,
      options: {
        patient: { type: 'string' },
        'create-patient': { type: 'boolean', default: false },
        given: { type: 'string' },
        family: { type: 'string' },
        'birth-date': { type: 'string' },
        sex: { type: 'string' },
        site: { type: 'string', default: 'trachea' },
        user: { type: 'string' },
        db: { type: 'string' },
        'data-dir': { type: 'string' },
        'models-dir': { type: 'string' },
        'no-analysis': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values: v, positionals: files } = parsed;
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (files.length === 0 || !v.patient || !v.user) {
      console.error(`auscult import: give the WAV or FLAC files, --patient and --user.\n${USAGE}`);
      return 2;
    }
    const site = v.site;
    if (!isChestSite(site)) {
      console.error(`auscult import: unknown site '${site}'. Sites: ${CHEST_SITES.join(', ')}`);
      return 2;
    }
    // a file, or a site database (--db postgresql://… or AUSCULT_DB_URL): the Workstation opens either
    const { db: dbPath, dataDir } = dbTarget(v.db, v['data-dir']);

    let modelsDir = v['models-dir'];
    if (!modelsDir && !v['no-analysis']) modelsDir = (await import('../../inference/paths.js')).defaultModelsDir();
    const ws = await Workstation.open({
      dbPath,
      dataDir,
      ...(v['no-analysis'] ? { engine: null, engineError: 'analysis skipped (--no-analysis)' } : { modelsDir }),
    });
    try {
      if (!ws.internals.engine)
        console.error(`auscult import: recordings will be stored WITHOUT analysis: ${ws.internals.engineError ?? ''}`);
      // Acting as a user needs that user's password (the audit records the OS account too).
      const ctx = { sessionToken: await ws.signInCli(v.user, await passwordFor(v.user)), transport: 'cli' as const };
      const call = ws.userCall(ctx);
      const store = ws.internals.store;
      const existing = store.patients.byMrn(v.patient);
      let patient: Patient | null = existing ? toPatient(existing) : null;
      if (!patient) {
        if (!v['create-patient']) {
          console.error(
            `auscult import: no patient with identifier '${v.patient}'. Add --create-patient --given <name> --family <name> to register them.`,
          );
          return 1;
        }
        patient = await ws.call(ctx, 'patients.create', {
          mrn: v.patient,
          givenName: v.given ?? '',
          familyName: v.family ?? '',
          ...(v['birth-date'] ? { birthDate: v['birth-date'] } : {}),
          // The service's schema refuses anything but the four values, with a message.
          ...(v.sex ? { sex: v.sex as Sex } : {}),
        });
        if (!v.json) console.log(`Registered patient ${patient.mrn}: ${patient.givenName} ${patient.familyName}.`);
      }
      if (!['nurse', 'pulmonologist'].includes(call.user.role)) {
        console.error(
          `auscult import: a ${call.user.role} account cannot record or import; use a nurse or pulmonologist account.`,
        );
        return 1;
      }
      let failed = 0;
      const results: unknown[] = [];
      for (const file of files) {
        try {
          // Size, then header, first: nothing of a file over the limit, or not a WAV, is read.
          const bytes = (await stat(file).catch(() => null))?.size ?? 0;
          if (bytes > MAX_IMPORT_BYTES) throw new ApiError('INVALID_INPUT', importTooLargeMessage(bytes));
          await probeWavFile(file).catch((err: unknown) => {
            throw err instanceof AudioFileError
              ? new ApiError('AUDIO', `${basename(file)} is not a readable WAV file: ${err.message}`)
              : err;
          });
          const { detail, analysisError } = await intakeRecording(ws.internals, call, {
            patientId: patient.id,
            site,
            sourcePath: file,
            move: false,
            deviceName: 'imported file',
            status: 'imported',
            auditDetails: { originalName: basename(file) },
          });
          results.push({
            file,
            recordingId: detail.recording.id,
            sha256: detail.recording.wavSha256,
            analysis: detail.analysis,
            analysisError,
          });
          if (!v.json) {
            const a = detail.analysis;
            console.log(
              `${file}: recording ${detail.recording.id} (${detail.recording.durationSec.toFixed(1)} s @ ${detail.recording.sampleRate} Hz)` +
                (a
                  ? a.screen
                    ? ` screen ${a.screen.label} (p abnormal ${(a.screen.pAbnormal * 100).toFixed(1)} %), ${a.status}`
                    : ` analysis withheld: ${a.statusReasons.join('; ')}`
                  : ` stored without analysis: ${analysisError}`),
            );
          }
        } catch (caught) {
          failed++;
          const err = toApiError(caught);
          results.push({ file, error: err.message });
          console.error(`${file}: NOT imported: ${err.message}`);
        }
      }
      if (v.json) console.log(JSON.stringify({ patient: patient.mrn, results }, null, 2));
      return failed ? 1 : 0;
    } catch (err) {
      console.error(`auscult import: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    } finally {
      await ws.close();
    }
  },
};
