/**
 * `auscult check [--db <file>] [--data-dir <folder>] [--files]`: SQLite integrity and foreign
 * keys, the audit hash chain, the installed YAMNet against its manifest's SHA-256 (analyses only
 * compare its size), and (with --files) every stored WAV against its SHA-256.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import type { AtRestKey } from '../../common/at-rest.js';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { recordingsDir, signingDir } from '../../service/paths.js';
import { openStoreAt } from '../../service/site-store.js';
import { dbTarget } from '../db-target.js';
import { wavFromFileBytes } from '../../service/recording-files.js';
import { Store, credentialMismatches } from '../../store/index.js';
import { yamnetStatus } from '../../inference/models.js';
import { YAMNET_ONNX, defaultModelsDir } from '../../inference/paths.js';

const USAGE =
  'usage: auscult check [--db <file|postgresql://…>] [--files [--data-dir <folder>]] [--key-file <file>] [--json]\n' +
  '  on a site database (--db postgresql://… or AUSCULT_DB_URL): the audit chain with every workstation key,\n' +
  '  the seals and intake hashes, and with --files every WAV in the site database; --data-dir is this\n' +
  "  workstation's data folder (its checkpoint log of the site)";

export const command: CliCommand = {
  name: 'check',
  summary: 'integrity check: database, audit chain, optionally every stored WAV',
  async run(argv) {
    const parsed = parseCommandArgs('check', USAGE, argv, {
      options: {
        db: { type: 'string' },
        'data-dir': { type: 'string' },
        files: { type: 'boolean', default: false },
        'key-file': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values } = parsed;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    // Read-only: a check never writes (no migration, no WAL switch, not even on a damaged file).
    const target = dbTarget(values.db, values['data-dir']);
    const dbPath = target.db;
    let key: AtRestKey | null;
    let store: Store;
    try {
      // a site: read-only over libpq, with this workstation's key and its checkpoint log of the site
      key = target.site ? null : resolveAtRestKey(dirname(dbPath), { keyFile: values['key-file'] });
      store = target.site
        ? openStoreAt(dbPath, { readonly: true, dataDir: target.dataDir })
        : Store.open(dbPath, { readonly: true, key, signing: { dir: signingDir(dirname(dbPath)) } });
    } catch (err) {
      console.error(`PROBLEM: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    try {
      const integrity = store.integrityCheck();
      const chain = store.verifyAudit();
      const problems: string[] = [];
      const notes: string[] = [];
      if (!integrity.ok)
        problems.push(
          `database: ${integrity.integrity.slice(0, 5).join('; ')}; foreign-key violations: ${integrity.foreignKeyViolations}`,
        );
      if (!chain.ok)
        problems.push(
          `audit log${chain.firstBadSeq !== null ? `: first bad entry ${chain.firstBadSeq}` : ''}: ${chain.reason}`,
        );
      for (const n of chain.notes ?? []) notes.push(n);
      // Signed records: every seal against its rows now and the key.
      const seals = store.verifySeals();
      for (const p of seals.problems) problems.push(`signed recording ${p.recordingId}: ${p.reason}`);
      if (seals.legacy > 0)
        notes.push(
          `${seals.legacy} recording(s) were signed before sealed signatures existed (schema < 4): not sealed`,
        );
      // Every recording's stored hash against the one the signed audit chain recorded at intake.
      for (const a of store.recordingHashAnchors()) problems.push(`recording ${a.recordingId}: ${a.reason}`);
      // Every sealed account against its newest signed credential (user-credential.ts).
      const trust = { keys: store.trustedKeys, dbId: store.dbId, engine: store.engine };
      for (const u of credentialMismatches(store.db, trust))
        problems.push(
          `account '${u.username}' was changed outside Auscult (${u.why}): it cannot sign in until an administrator sets its password again (\`auscult users passwd ${u.username}\`)`,
        );
      let filesChecked = 0;
      if (values.files && target.site) {
        // a site keeps each recording's WAV in the database (recording_audio), each checked here
        const ids = store.db.prepare('SELECT id, wav_sha256 FROM recordings ORDER BY id').all() as {
          id: number;
          wav_sha256: string;
        }[];
        let notUploaded = 0;
        for (const r of ids) {
          const wav = store.recordingAudio(r.id);
          if (!wav) {
            notUploaded++;
            continue;
          }
          filesChecked++;
          if (createHash('sha256').update(wav).digest('hex') !== r.wav_sha256)
            problems.push(`recording ${r.id}: its WAV in the site database does not match its SHA-256`);
        }
        if (notUploaded)
          notes.push(
            `${notUploaded} recording(s) have no WAV in the site database yet (kept on the workstation that made them)`,
          );
      } else if (values.files) {
        const dir = recordingsDir(values['data-dir'] ?? dirname(store.path));
        const rows = store.db
          .prepare('SELECT id, file_name, wav_sha256 FROM recordings ORDER BY id')
          .iterate() as IterableIterator<{ id: number; file_name: string; wav_sha256: string }>;
        for (const r of rows) {
          filesChecked++;
          let raw: Buffer;
          try {
            raw = await readFile(join(dir, r.file_name));
          } catch {
            problems.push(`recording ${r.id}: ${r.file_name} is missing from ${dir}`);
            continue;
          }
          try {
            const h = createHash('sha256')
              .update(wavFromFileBytes(raw, key, r.file_name))
              .digest('hex');
            if (h !== r.wav_sha256)
              problems.push(`recording ${r.id}: ${r.file_name} does not match its SHA-256 (changed outside Auscult)`);
          } catch (err) {
            problems.push(`recording ${r.id}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        // WAVs no row points to: left when an import was interrupted before its commit (harmless).
        const known = new Set(
          (store.db.prepare('SELECT file_name FROM recordings').all() as { file_name: string }[]).map(
            (x) => x.file_name,
          ),
        );
        const stray = (await readdir(dir).catch(() => [] as string[])).filter(
          (n) => n.endsWith('.wav') && !known.has(n),
        );
        if (stray.length)
          notes.push(
            `${stray.length} WAV file(s) in ${dir} belong to no recording (an interrupted import; safe to delete): ${stray.slice(0, 5).join(', ')}${stray.length > 5 ? ' ...' : ''}`,
          );
      }
      // the model: a missing one is a note (analysis says how to build it), a changed one a problem
      const modelsDir = defaultModelsDir();
      const model = existsSync(join(modelsDir, YAMNET_ONNX)) ? yamnetStatus(modelsDir, { rehash: true }) : null;
      if (!model) notes.push(`no YAMNet model in ${modelsDir} (run \`auscult models\`)`);
      else if (!model.ok) problems.push(`model: ${model.reason}`);
      const report = {
        ok: problems.length === 0,
        schemaVersion: store.schemaVersion,
        encrypted: store.encrypted,
        integrity,
        chain,
        seals,
        filesChecked,
        model: model
          ? { ok: model.ok, ...(model.ok ? { sha256: model.manifest.sha256 } : { reason: model.reason }) }
          : null,
        problems,
        notes,
      };
      if (values.json) console.log(JSON.stringify(report, null, 2));
      else if (report.ok)
        console.log(
          `OK: database intact (schema ${report.schemaVersion}), audit chain of ${chain.entries} entries verified (${chain.signaturesChecked ?? 0} signatures${chain.checkpoint ? `, latest signed checkpoint of ${chain.checkpoint.at} held` : ''})${model?.ok ? ', YAMNet matches its SHA-256' : ''}, ${seals.checked} signed recording seal(s) valid${values.files ? `, ${filesChecked} WAV files match their hashes` : ''}.`,
        );
      else for (const p of problems) console.error(`PROBLEM: ${p}`);
      if (!values.json) for (const n of notes) console.log(`note: ${n}`);
      return report.ok ? 0 : 1;
    } finally {
      store.close();
    }
  },
};
