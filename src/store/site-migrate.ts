/**
 * Moving a standalone workstation's history into a site database (`auscult site migrate`).
 *
 * How the chain is carried (README "Moving to a site"): the source chain is verified in full first
 * (hash chain, every signature, its checkpoint log, every seal, every intake hash, every WAV); then
 * each source entry is appended to the site's chain in order — same time, user, action, transport
 * and details, its object id mapped to the site's row, plus `migratedFrom: {dbId, seq, hash}` — and
 * signed as it is inserted by the migrating workstation's key (the source's own key: the same
 * signing folder), and a last signed `site.migrated` entry names the source history's id, head
 * (seq, hash), key and what was copied. Signed recordings are sealed again over their site rows
 * (their ids and the history id are in the seal), each with a `recording.seal.migrated` entry
 * naming the source seal's SHA-256. Everything happens in one site transaction, verified before it
 * commits; a conflict or a failed check rolls all of it back.
 */
import { createHash } from 'node:crypto';
import type { AuditRow, ChainCheck } from './audit-log.js';
import { trustedKeys } from './audit-signing.js';
import { verifyAuditLog } from './chain-verify.js';
import { StoreError } from './errors.js';
import { uploadAudio } from './pg/recording-audio.js';
import { sealRecord } from './record-seals.js';
import { credentialMismatches, credentialOf } from './user-credential.js';
import { columnsOf, type ColumnNames } from './rows.js';
import type {
  AccessGrantRow,
  FindingRow,
  PatientRow,
  RecordingRow,
  SignoffRow,
  SoundVerdictRow,
  UserRow,
} from './rows.js';
import { normalizeForSearch } from './search-normalize.js';
import type { SqlDatabase, SqlStatement } from './sql-database.js';
import type { Store } from './store.js';

export type MigrationConflict =
  | { kind: 'patient'; mrn: string; reason: string }
  | { kind: 'user'; username: string; reason: string }
  | { kind: 'recording'; fileName: string; sourceId: number; siteId: number; reason: string };

export interface MigrationCounts {
  users: number;
  patients: number;
  recordings: number;
  audio: number;
  analyses: number;
  findings: number;
  soundVerdicts: number;
  signoffs: number;
  seals: number;
  accessGrants: number;
  auditEntries: number;
}

export interface SiteMigrationReport {
  source: { dbId: string; head: { seq: number; hash: string }; keyId: string; entries: number };
  /** Rows written now, and rows that were already on the site (a second run). */
  copied: MigrationCounts;
  alreadyOnSite: { users: number; patients: number; recordings: number; auditEntries: number };
  /**
   * The site's chain: every signature checked inside the transaction before it committed
   * (`signaturesBeforeCommit`), then the chain against the checkpoint log after the commit.
   */
  siteChain: { entries: number; head: string; signaturesChecked: number; signaturesBeforeCommit: number };
  /** Seq of the signed `site.migrated` entry (null: everything was already there). */
  migrationEntrySeq: number | null;
}

/** Refused: the conflicts, or the check that failed. Nothing was written. */
export class SiteMigrationRefused extends Error {
  constructor(
    message: string,
    readonly conflicts: MigrationConflict[] = [],
  ) {
    super(message);
    this.name = 'SiteMigrationRefused';
  }
}

export interface SiteMigrationOptions {
  /** A recording's WAV bytes as stored locally (decrypted); its SHA-256 is checked against the row. */
  readWav(fileName: string): Buffer;
  /** Who moves the history (an administrator whose password was checked) and from which OS account. */
  by: { username: string; osAccount: string };
  /** Progress (stderr in the CLI). */
  log?: (line: string) => void;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const fold = (s: string | null) => normalizeForSearch(s ?? '');

const USER_COLS = columnsOf<UserRow>()(
  'username, display_name, role, password_hash, active, created_at, updated_at, credential_epoch',
);
const PATIENT_COLS = columnsOf<PatientRow>()(
  'mrn, given_name, family_name, birth_date, sex, notes, created_by, created_at, updated_at, mrn_norm, family_norm, given_norm',
);
// review_priority is not copied: the site's trigger sets it from the copied analyses
const RECORDING_COLS = columnsOf<RecordingRow>()(
  'patient_id, site, device_name, sample_rate, duration_sec, file_name, wav_sha256, status, recorded_by, recorded_at, created_at, quality, top_class, p_abnormal, analysis_status',
);
const ANALYSIS_COLS =
  'recording_id, created_at, engine_version, head_name, head_version, p_asthma, p_copd, p_pneumonia, p_healthy, p_bronchial, p_abnormal, top_class, status, quality, result_json';
const FINDING_COLS = columnsOf<FindingRow>()(
  'recording_id, author_id, author_role, text, label, created_at, is_amendment',
);
const VERDICT_COLS = columnsOf<SoundVerdictRow>()(
  'recording_id, analysis_id, sound_type, event_index, start_sec, end_sec, verdict, author_id, created_at, is_amendment',
);

/** What the copy reads of each table: the columns above and the row's id (signed_* for recordings). */
type SourceUser = Pick<UserRow, 'id' | ColumnNames<typeof USER_COLS>>;
type SourcePatient = Pick<PatientRow, 'id' | ColumnNames<typeof PATIENT_COLS>>;
type SourceRecording = Pick<RecordingRow, 'id' | ColumnNames<typeof RECORDING_COLS> | 'signed_at' | 'signed_by'>;
type RecordingKey = Pick<RecordingRow, 'id' | 'file_name' | 'wav_sha256'>;
type SourceAuditRow = Omit<AuditRow, 'prev_hash'>;

const insertSql = (table: string, cols: string) =>
  `INSERT INTO ${table} (${cols}) VALUES (${cols
    .split(',')
    .map(() => '?')
    .join(', ')})`;

/** Why two patient rows with the same MRN are not the same person, or null when they are. */
function personDiffers(a: SourcePatient, b: SourcePatient): string | null {
  const diffs: string[] = [];
  if (fold(a.family_name) !== fold(b.family_name)) diffs.push(`family name '${a.family_name}' vs '${b.family_name}'`);
  if (fold(a.given_name) !== fold(b.given_name)) diffs.push(`given name '${a.given_name}' vs '${b.given_name}'`);
  if ((a.birth_date ?? '') !== (b.birth_date ?? ''))
    diffs.push(`birth date ${a.birth_date ?? 'none'} vs ${b.birth_date ?? 'none'}`);
  if (a.sex !== b.sex && a.sex !== 'unknown' && b.sex !== 'unknown') diffs.push(`sex ${a.sex} vs ${b.sex}`);
  return diffs.length ? diffs.join(', ') : null;
}

/** Why a site account with the same user name is another account, or null when it is this one. */
function accountDiffers(src: SourceUser, site: SourceUser): string | null {
  const diffs: string[] = [];
  if (src.role !== site.role) diffs.push(`role ${src.role} here, ${site.role} on the site`);
  if (src.display_name !== site.display_name)
    diffs.push(`name '${src.display_name}' here, '${site.display_name}' on the site`);
  // the same account copied before keeps its hash; an account made on the site has its own salt
  if (src.password_hash !== site.password_hash) diffs.push('another password');
  return diffs.length ? diffs.join(', ') : null;
}

/** The newest `site.migrated` entry for this source history: where a second run goes on from. */
function lastMigratedSeq(site: SqlDatabase, sourceDbId: string): number {
  const rows = site
    .prepare("SELECT details_json FROM audit_log WHERE action = 'site.migrated' ORDER BY seq DESC")
    .pluck()
    .all() as string[];
  for (const r of rows) {
    const d = JSON.parse(r) as { source?: { dbId?: string; head?: { seq?: number } } };
    if (d.source?.dbId === sourceDbId) return d.source.head?.seq ?? 0;
  }
  return 0;
}

function verifySource(source: Store): { head: { seq: number; hash: string }; keyId: string; dbId: string } {
  const dbId = source.dbId;
  const signing = source.signing;
  if (!dbId || !signing)
    throw new SiteMigrationRefused(
      'The standalone history is not signed (schema before 4, or opened without its signing folder): open it once with Auscult 0.1 or later, then migrate. Nothing was changed.',
    );
  const integrity = source.integrityCheck();
  if (!integrity.ok)
    throw new SiteMigrationRefused(
      `The standalone database fails its integrity check (${integrity.integrity.slice(0, 3).join('; ')}): run \`auscult check\` and restore a backup first. Nothing was changed.`,
    );
  const chain = source.verifyAudit();
  if (!chain.ok)
    throw new SiteMigrationRefused(
      `The standalone audit chain does not verify${chain.firstBadSeq !== null ? ` (first bad entry ${chain.firstBadSeq})` : ''}: ${chain.reason}. A damaged history is not moved to a site; run \`auscult check\`. Nothing was changed.`,
    );
  const seals = source.verifySeals();
  if (seals.problems.length)
    throw new SiteMigrationRefused(
      `Signed recording ${seals.problems[0]!.recordingId} does not match its seal (${seals.problems[0]!.reason}); ${seals.problems.length} problem(s) in all. Run \`auscult check\`. Nothing was changed.`,
    );
  const anchors = source.recordingHashAnchors();
  if (anchors.length)
    throw new SiteMigrationRefused(
      `Recording ${anchors[0]!.recordingId}: ${anchors[0]!.reason}; ${anchors.length} problem(s) in all. Run \`auscult check\`. Nothing was changed.`,
    );
  // An account rewritten in the file would arrive on the site sealed as it is (see the users' seals below).
  const accounts = credentialMismatches(source.db, { keys: source.trustedKeys, dbId, engine: 'sqlite' });
  if (accounts.length)
    throw new SiteMigrationRefused(
      `Account '${accounts[0]!.username}' was changed outside Auscult (${accounts[0]!.why}); ${accounts.length} account(s) in all. Set its password again with \`auscult users passwd ${accounts[0]!.username} --db <file>\`, then migrate. Nothing was changed.`,
    );
  const head = source.audit.head();
  return { head: { seq: head.seq, hash: head.hash }, keyId: signing.signer.keyId, dbId };
}

/** Map a source entry's object id to the site's row where the object is one we copied. */
function mapObjectId(type: string | null, id: string | null, maps: Record<string, Map<number, number>>): string | null {
  if (type === null || id === null || !/^\d+$/.test(id)) return id;
  const m = maps[type];
  const to = m?.get(Number(id));
  return to === undefined ? id : String(to);
}

/**
 * Copy `source` (a standalone SQLite history, opened writable with its signing folder) into `site`
 * (a PostgreSQL store opened with the same signing folder). One site transaction; throws
 * `SiteMigrationRefused` (nothing written) on a conflict or a failed check.
 */
export function migrateToSite(source: Store, site: Store, opts: SiteMigrationOptions): SiteMigrationReport {
  if (source.engine !== 'sqlite' || site.engine !== 'postgresql')
    throw new StoreError(
      'UNREADABLE',
      'A migration copies a standalone SQLite history into a PostgreSQL site database.',
    );
  const siteSigning = site.signing;
  if (!siteSigning)
    throw new StoreError('SIGNING_KEY', 'The site database was opened without a signing key. Nothing was changed.');
  const log = opts.log ?? (() => undefined);
  const src = source.db;
  const dst = site.db;
  const verified = verifySource(source);
  log(`source verified: ${verified.head.seq} audit entries, head ${verified.head.hash.slice(0, 12)}…`);

  const done = site.tx(() => {
    // ---- conflicts first: nothing is written before every row was compared
    const conflicts: MigrationConflict[] = [];
    const users = src.prepare(`SELECT id, ${USER_COLS} FROM users ORDER BY id`).all() as SourceUser[];
    const patients = src.prepare(`SELECT id, ${PATIENT_COLS} FROM patients ORDER BY id`).all() as SourcePatient[];
    const userMap = new Map<number, number>();
    const patientMap = new Map<number, number>();
    const recordingMap = new Map<number, number>();
    const siteUser = dst.prepare(`SELECT id, ${USER_COLS} FROM users WHERE username = ?`);
    for (const u of users) {
      const s = siteUser.get(u.username) as SourceUser | undefined;
      if (!s) continue;
      const why = accountDiffers(u, s);
      if (why)
        conflicts.push({
          kind: 'user',
          username: u.username,
          reason: `the site has another account named '${s.username}' (${why})`,
        });
      else userMap.set(u.id, s.id);
    }
    const sitePatient = dst.prepare(`SELECT id, ${PATIENT_COLS} FROM patients WHERE mrn = ?`);
    for (const p of patients) {
      const s = sitePatient.get(p.mrn) as SourcePatient | undefined;
      if (!s) continue;
      const why = personDiffers(p, s);
      if (why)
        conflicts.push({
          kind: 'patient',
          mrn: p.mrn,
          reason: `the site has another person under identifier ${p.mrn} (${why})`,
        });
      else patientMap.set(p.id, s.id);
    }
    // one read of the site's recording ids (a lookup per recording is a round trip each)
    const siteRecordings = new Map(
      (dst.prepare('SELECT file_name, id, wav_sha256 FROM recordings').all() as RecordingKey[]).map((r) => [
        r.file_name,
        r,
      ]),
    );
    const recIds = src.prepare('SELECT id, file_name, wav_sha256 FROM recordings ORDER BY id').all() as RecordingKey[];
    for (const r of recIds) {
      const s = siteRecordings.get(r.file_name);
      if (!s) continue;
      if (s.wav_sha256 !== r.wav_sha256)
        conflicts.push({
          kind: 'recording',
          fileName: r.file_name,
          sourceId: r.id,
          siteId: s.id,
          reason: `the site's recording ${s.id} has the same id (${r.file_name}) and another WAV (SHA-256 ${s.wav_sha256.slice(0, 12)}… here ${r.wav_sha256.slice(0, 12)}…)`,
        });
      else recordingMap.set(r.id, s.id);
    }
    if (conflicts.length)
      throw new SiteMigrationRefused(
        `The site database already holds ${conflicts.length} thing(s) that differ from this history; nothing was copied. Resolve each (correct the identifier or user name on one side), then run the migration again.`,
        conflicts,
      );

    const copied: MigrationCounts = {
      users: 0,
      patients: 0,
      recordings: 0,
      audio: 0,
      analyses: 0,
      findings: 0,
      soundVerdicts: 0,
      signoffs: 0,
      seals: 0,
      accessGrants: 0,
      auditEntries: 0,
    };
    const already = {
      users: userMap.size,
      patients: patientMap.size,
      recordings: recordingMap.size,
      auditEntries: 0,
    };
    const mapped = (m: Map<number, number>, id: number | null, what: string): number | null => {
      if (id === null) return null;
      const to = m.get(id);
      if (to === undefined)
        throw new SiteMigrationRefused(`${what} ${id} points at no row of the history. Nothing was changed.`);
      return to;
    };
    const insertId = (stmt: SqlStatement, args: unknown[]): number => Number(stmt.run(...args).lastInsertRowid);

    // ---- users and patients
    const insUser = dst.prepare(insertSql('users', USER_COLS));
    const copiedUsers: { from: number; to: number; username: string }[] = [];
    for (const u of users) {
      if (userMap.has(u.id)) continue;
      const to = insertId(insUser, [
        u.username,
        u.display_name,
        u.role,
        u.password_hash,
        u.active,
        u.created_at,
        u.updated_at,
        u.credential_epoch,
      ]);
      userMap.set(u.id, to);
      copiedUsers.push({ from: u.id, to, username: u.username });
      copied.users++;
    }
    const insPatient = dst.prepare(insertSql('patients', PATIENT_COLS));
    for (const p of patients) {
      if (patientMap.has(p.id)) continue;
      patientMap.set(
        p.id,
        insertId(insPatient, [
          p.mrn,
          p.given_name,
          p.family_name,
          p.birth_date,
          p.sex,
          p.notes,
          mapped(userMap, p.created_by, 'A patient creator'),
          p.created_at,
          p.updated_at,
          p.mrn_norm,
          p.family_norm,
          p.given_norm,
        ]),
      );
      copied.patients++;
    }

    // ---- recordings with their audio, analyses, findings, verdicts; sign-offs and seals last
    const insRec = dst.prepare(insertSql('recordings', RECORDING_COLS));
    const insAnalysis = dst.prepare(insertSql('analyses', ANALYSIS_COLS));
    const insFinding = dst.prepare(insertSql('findings', FINDING_COLS));
    const insVerdict = dst.prepare(insertSql('sound_verdicts', VERDICT_COLS));
    const insSignoff = dst.prepare(
      'INSERT INTO signoffs (recording_id, signed_by, signed_at, label, statement, meaning, signer_name, signer_role) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const markSigned = dst.prepare('UPDATE recordings SET signed_at = ?, signed_by = ? WHERE id = ?');
    const srcRec = src.prepare(`SELECT id, ${RECORDING_COLS}, signed_at, signed_by FROM recordings WHERE id = ?`);
    const srcAnalyses = src.prepare(`SELECT id, ${ANALYSIS_COLS} FROM analyses WHERE recording_id = ? ORDER BY id`);
    const srcFindings = src.prepare(`SELECT id, ${FINDING_COLS} FROM findings WHERE recording_id = ? ORDER BY id`);
    const srcVerdicts = src.prepare(`SELECT ${VERDICT_COLS} FROM sound_verdicts WHERE recording_id = ? ORDER BY id`);
    const srcSignoff = src.prepare('SELECT * FROM signoffs WHERE recording_id = ?');
    const srcSeal = src.prepare('SELECT document FROM record_seals WHERE recording_id = ?').pluck();
    const srcUsername = src.prepare('SELECT username FROM users WHERE id = ?').pluck();
    const analysisMap = new Map<number, number>();
    const findingMap = new Map<number, number>();
    const resealed: { from: number; to: number; sourceSealSha256: string; sealSha256: string }[] = [];
    let n = 0;
    for (const { id } of recIds) {
      if (recordingMap.has(id)) continue;
      const r = srcRec.get(id) as SourceRecording;
      const wav = opts.readWav(r.file_name);
      if (sha256(wav) !== r.wav_sha256)
        throw new SiteMigrationRefused(
          `The audio file ${r.file_name} of recording ${r.id} does not match its stored SHA-256 (changed outside Auscult): restore it from a backup, then migrate. Nothing was changed.`,
        );
      const to = insertId(insRec, [
        mapped(patientMap, r.patient_id, 'A recording’s patient'),
        r.site,
        r.device_name,
        r.sample_rate,
        r.duration_sec,
        r.file_name,
        r.wav_sha256,
        r.status,
        mapped(userMap, r.recorded_by, 'A recording’s author'),
        r.recorded_at,
        r.created_at,
        r.quality,
        r.top_class,
        r.p_abnormal,
        r.analysis_status,
      ]);
      recordingMap.set(id, to);
      copied.recordings++;
      uploadAudio(dst, to, wav, r.wav_sha256);
      copied.audio++;
      for (const a of srcAnalyses.all(id) as Record<string, unknown>[]) {
        const args = ANALYSIS_COLS.split(', ').map((c) => (c === 'recording_id' ? to : a[c]));
        analysisMap.set(Number(a['id']), insertId(insAnalysis, args));
        copied.analyses++;
      }
      for (const f of srcFindings.all(id) as Record<string, unknown>[]) {
        const args = FINDING_COLS.split(', ').map((c) =>
          c === 'recording_id' ? to : c === 'author_id' ? mapped(userMap, Number(f[c]), 'A finding’s author') : f[c],
        );
        findingMap.set(Number(f['id']), insertId(insFinding, args));
        copied.findings++;
      }
      for (const v of srcVerdicts.all(id) as Record<string, unknown>[]) {
        const args = VERDICT_COLS.split(', ').map((c) =>
          c === 'recording_id'
            ? to
            : c === 'analysis_id'
              ? mapped(analysisMap, Number(v[c]), 'A sound verdict’s analysis')
              : c === 'author_id'
                ? mapped(userMap, Number(v[c]), 'A sound verdict’s author')
                : v[c],
        );
        insVerdict.run(...args);
        copied.soundVerdicts++;
      }
      const s = srcSignoff.get(id) as SignoffRow | undefined;
      if (s) {
        const signer = mapped(userMap, s.signed_by, 'A sign-off’s signer')!;
        insSignoff.run(to, signer, s.signed_at, s.label, s.statement, s.meaning, s.signer_name, s.signer_role);
        markSigned.run(r.signed_at ?? s.signed_at, mapped(userMap, r.signed_by ?? s.signed_by, 'A signer'), to);
        copied.signoffs++;
        const doc = srcSeal.get(id) as string | undefined;
        if (doc !== undefined) {
          // the seal names the site's rows and history now, so it is made again over them (and
          // must describe the same record: verifySeals below rebuilds it from the rows)
          const seal = sealRecord(dst, siteSigning.signer, siteSigning.dbId, to, {
            signer: {
              username: srcUsername.get(s.signed_by) as string,
              fullName: s.signer_name ?? '',
              role: s.signer_role ?? '',
            },
            signedAt: s.signed_at,
            meaning: s.meaning ?? '',
            label: s.label,
            statement: s.statement,
          });
          resealed.push({ from: id, to, sourceSealSha256: sha256(doc), sealSha256: seal.sha256 });
          copied.seals++;
        }
      }
      if (++n % 1000 === 0) log(`copied ${n} recordings`);
    }

    // access grants (time-limited access a user was given to a patient): idempotent by who, whom, when
    const insGrant = dst.prepare(
      'INSERT INTO access_grants (user_id, patient_id, reason, granted_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    );
    const siteGrant = dst.prepare(
      'SELECT 1 FROM access_grants WHERE user_id = ? AND patient_id = ? AND granted_at = ?',
    );
    for (const g of src.prepare('SELECT * FROM access_grants ORDER BY id').all() as AccessGrantRow[]) {
      const user = mapped(userMap, g.user_id, 'A grant’s user');
      const patient = mapped(patientMap, g.patient_id, 'A grant’s patient');
      if (siteGrant.get(user, patient, g.granted_at) !== undefined) continue;
      insGrant.run(user, patient, g.reason, g.granted_at, g.expires_at);
      copied.accessGrants++;
    }

    // ---- the audit log: every source entry not yet carried, in order, then the migration entry
    const from = lastMigratedSeq(dst, verified.dbId);
    already.auditEntries = from;
    if (from > verified.head.seq)
      throw new SiteMigrationRefused(
        `The site already carries ${from} entries of this history, more than the ${verified.head.seq} it holds now: this is an older copy of a history already moved. Nothing was changed.`,
      );
    const maps: Record<string, Map<number, number>> = {
      user: userMap,
      patient: patientMap,
      recording: recordingMap,
      analysis: analysisMap,
      finding: findingMap,
    };
    const entries = src
      .prepare(
        'SELECT seq, at, username, action, object_type, object_id, transport, details_json, hash FROM audit_log WHERE seq > ? ORDER BY seq',
      )
      .iterate(from) as IterableIterator<SourceAuditRow>;
    for (const e of entries) {
      site.audit.append({
        at: e.at,
        username: e.username,
        action: e.action,
        objectType: e.object_type,
        objectId: mapObjectId(e.object_type, e.object_id, maps),
        transport: e.transport,
        details: {
          ...(JSON.parse(e.details_json) as Record<string, unknown>),
          migratedFrom: { dbId: verified.dbId, seq: e.seq, hash: e.hash, objectId: e.object_id },
        },
      });
      copied.auditEntries++;
    }
    // The copied entries' credentials seal the source's rows (other ids): each copied account is
    // sealed again as the site holds it (a sign-in skips entries with `migratedFrom`).
    for (const u of copiedUsers)
      site.audit.append({
        username: opts.by.username,
        action: 'user.credential',
        objectType: 'user',
        objectId: u.to,
        transport: 'cli',
        details: {
          username: u.username,
          reason: 'site-migrate',
          sourceDbId: verified.dbId,
          sourceUserId: u.from,
          credential: credentialOf(dst, u.to),
        },
      });
    for (const s of resealed)
      site.audit.append({
        username: opts.by.username,
        action: 'recording.seal.migrated',
        objectType: 'recording',
        objectId: s.to,
        transport: 'cli',
        details: {
          sourceDbId: verified.dbId,
          sourceRecordingId: s.from,
          sourceSealSha256: s.sourceSealSha256,
          sealSha256: s.sealSha256,
        },
      });
    const wrote = Object.values(copied).some((c) => c > 0);
    let migrationEntrySeq: number | null = null;
    if (wrote)
      migrationEntrySeq = site.audit.append({
        username: opts.by.username,
        action: 'site.migrated',
        objectType: 'history',
        objectId: verified.dbId,
        transport: 'cli',
        details: {
          source: {
            dbId: verified.dbId,
            head: verified.head,
            keyId: verified.keyId,
            chain: 'verified',
          },
          copied,
          alreadyOnSite: already,
          osAccount: opts.by.osAccount,
        },
      }).seq;

    // ---- verified before the commit: the whole site chain with every signature (its checkpoints
    // after the commit, below: this commit's checkpoint is written then), every seal, every intake hash
    const keys = trustedKeys(
      dst.prepare('SELECT public_key FROM workstation_keys ORDER BY first_seq, key_id').pluck().all() as string[],
    );
    // nothing written (a second run): the chain is checked after, below, as it is
    const inTx = wrote
      ? verifyAuditLog(dst, { keys, checkpointLog: null, dbId: siteSigning.dbId })
      : { ok: true, reason: null, entries: 0, signaturesChecked: 0 };
    if (!inTx.ok)
      throw new SiteMigrationRefused(
        `The site's audit chain does not verify with the copied entries (${inTx.reason}); the migration was rolled back. Nothing was changed.`,
      );
    const seals = wrote ? site.verifySeals({ keys: 'registered' }) : { problems: [] };
    if (seals.problems.length)
      throw new SiteMigrationRefused(
        `Signed recording ${seals.problems[0]!.recordingId} does not match its seal on the site (${seals.problems[0]!.reason}); the migration was rolled back. Nothing was changed.`,
      );
    const carried = new Set(recordingMap.values());
    const anchorProblems = wrote ? site.recordingHashAnchors().filter((a) => carried.has(a.recordingId)) : [];
    if (anchorProblems.length)
      throw new SiteMigrationRefused(
        `Recording ${anchorProblems[0]!.recordingId} on the site: ${anchorProblems[0]!.reason}; the migration was rolled back. Nothing was changed.`,
      );
    log(`site chain verified before the commit: ${inTx.entries} entries, ${inTx.signaturesChecked ?? 0} signatures`);
    return { copied, already, migrationEntrySeq, wrote, signaturesInTx: inTx.signaturesChecked ?? 0 };
  });
  // after the commit: the chain against this workstation's checkpoint log (now written), and the
  // signatures by sample (every 256th and the last) when all were checked just before the commit
  const chain: ChainCheck = site.verifyAudit({ signatures: done.wrote ? 'sample' : 'all' });
  // intact but signed by a key the site's owner has yet to approve: the copy stands, said as such
  if (!chain.ok && chain.awaitingApproval) log(chain.reason ?? '');
  else if (!chain.ok)
    throw new StoreError(
      'UNREADABLE',
      `The copy was committed, but the site's audit chain does not verify now: ${chain.reason}. Run \`auscult audit verify --db ${site.path}\` and tell the site's database administrator.`,
    );
  return {
    source: { ...verified, entries: verified.head.seq },
    copied: done.copied,
    alreadyOnSite: done.already,
    siteChain: {
      entries: chain.entries,
      head: chain.head,
      signaturesChecked: chain.signaturesChecked ?? 0,
      signaturesBeforeCommit: done.signaturesInTx,
    },
    migrationEntrySeq: done.migrationEntrySeq,
  };
}
