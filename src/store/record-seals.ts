/**
 * Sealed records. Signing a recording seals, with the workstation's key, one canonical document:
 * the recording (its WAV's SHA-256 included), the analysis shown at signing, the findings at that
 * moment, the signer's username, full name and role, the time, the meaning and the statement. The
 * document is kept as text beside its signature (`record_seals`), and the `recording.sign` audit
 * entry records the document's SHA-256, so the seal is also anchored in the signed audit chain.
 *
 * `verifySeals` rebuilds every signed recording's document from the rows as they are now and
 * compares: any change of the recording row, the analysis, a sealed finding or the sign-off —
 * with the freeze triggers dropped first — is named, and so is a signature that is not the key's,
 * or (a site) a key still awaiting the database owner's approval.
 */
import type { SqlDatabase } from './sql-database.js';
import { createHash } from 'node:crypto';
import { canonicalJson } from './audit-log.js';
import { documentMessage, signatureValid, type AuditSigner, type TrustedKeys } from './audit-signing.js';
import type { SealedRecordingRow, SealSignoffRow } from './rows.js';
import { pendingKey, signedByPendingKey } from './workstation-keys.js';

export const SEAL_PREFIX = 'auscult-record-seal/1';
export const SEAL_FORMAT = 'auscult.record-seal/1';

export interface SealSigner {
  username: string;
  fullName: string;
  role: string;
}

export interface SealProblem {
  recordingId: number;
  reason: string;
}

/** The canonical document of a recording's record as it stands now (null: no such recording). */
export function recordDocument(
  db: SqlDatabase,
  dbId: string,
  recordingId: number,
  sign: { signer: SealSigner; signedAt: string; meaning: string; label: string; statement: string },
): Record<string, unknown> | null {
  const r = db.prepare('SELECT * FROM recordings WHERE id = ?').get(recordingId) as SealedRecordingRow | undefined;
  if (!r) return null;
  const a = db.prepare('SELECT * FROM analyses WHERE recording_id = ? ORDER BY id DESC LIMIT 1').get(recordingId) as
    Record<string, unknown> | undefined;
  const findings = db
    .prepare(
      `SELECT f.id, u.username AS author, f.author_role, f.text, f.label, f.created_at, f.is_amendment
       FROM findings f JOIN users u ON u.id = f.author_id WHERE f.recording_id = ? AND f.created_at <= ? ORDER BY f.id`,
    )
    .all(recordingId, sign.signedAt) as Record<string, unknown>[];
  return {
    format: SEAL_FORMAT,
    dbId,
    recording: {
      id: r.id,
      patientId: r.patient_id,
      site: r.site,
      deviceName: r.device_name,
      sampleRate: r.sample_rate,
      durationSec: r.duration_sec,
      fileName: r.file_name,
      wavSha256: r.wav_sha256,
      status: r.status,
      recordedAt: r.recorded_at,
      recordedBy: r.recorded_by,
    },
    analysis: a
      ? {
          id: a['id'],
          createdAt: a['created_at'],
          engineVersion: a['engine_version'],
          headName: a['head_name'],
          headVersion: a['head_version'],
          status: a['status'],
          quality: a['quality'],
          pAbnormal: a['p_abnormal'],
          topClass: a['top_class'],
          probabilities: [a['p_asthma'], a['p_copd'], a['p_pneumonia'], a['p_healthy'], a['p_bronchial']],
          // The full result as shown (patches, gate, sounds): by its hash, so the seal stays small.
          resultSha256: createHash('sha256').update(String(a['result_json'])).digest('hex'),
        }
      : null,
    findings: findings.map((f) => ({
      id: f['id'],
      author: f['author'],
      authorRole: f['author_role'],
      text: f['text'],
      label: f['label'],
      createdAt: f['created_at'],
      isAmendment: f['is_amendment'] === 1,
    })),
    signer: sign.signer,
    signedAt: sign.signedAt,
    meaning: sign.meaning,
    label: sign.label,
    statement: sign.statement,
  };
}

export function sealSha256(documentText: string): string {
  return createHash('sha256').update(documentText).digest('hex');
}

/** Seal a recording just signed (inside the signing transaction). Returns the document's SHA-256. */
export function sealRecord(
  db: SqlDatabase,
  signer: AuditSigner,
  dbId: string,
  recordingId: number,
  sign: { signer: SealSigner; signedAt: string; meaning: string; label: string; statement: string },
): { sha256: string; keyId: string } {
  const doc = recordDocument(db, dbId, recordingId, sign);
  if (!doc) throw new Error(`recording ${recordingId} does not exist`);
  const text = canonicalJson(doc);
  const sig = signer.sign(documentMessage(SEAL_PREFIX, text)).toString('base64');
  db.prepare('INSERT INTO record_seals (recording_id, document, key_id, sig, sealed_at) VALUES (?, ?, ?, ?, ?)').run(
    recordingId,
    text,
    signer.keyId,
    sig,
    sign.signedAt,
  );
  return { sha256: sealSha256(text), keyId: signer.keyId };
}

/** One signed recording's seal checked against its rows now; null when it holds. */
export function sealProblem(
  db: SqlDatabase,
  dbId: string,
  keys: TrustedKeys | null,
  recordingId: number,
): string | null {
  const s = db
    .prepare(
      `SELECT s.*, u.username, r.signed_at AS rec_signed_at FROM signoffs s JOIN users u ON u.id = s.signed_by
       JOIN recordings r ON r.id = s.recording_id WHERE s.recording_id = ?`,
    )
    .get(recordingId) as SealSignoffRow | undefined;
  const seal = db.prepare('SELECT * FROM record_seals WHERE recording_id = ?').get(recordingId) as
    { document: string; key_id: string; sig: string } | undefined;
  if (!s && !seal) return null;
  if (!seal) {
    if (s && s.meaning === null) return null; // signed before sealing existed (schema < 4): said in notes
    return 'it is signed but has no seal: the seal was removed or the sign-off was written without the key';
  }
  if (!s) return 'its sign-off was removed (the seal remains)';
  // A site's key awaiting approval: its signature is checked, and the record against it, so other
  // damage is named first (as chain-verify.ts does for entries); intact, it is still not verified.
  let awaiting: string | null = null;
  if (keys) {
    let key = keys.get(seal.key_id);
    if (!key) {
      const pending = pendingKey(db, seal.key_id);
      if (!pending) return `its seal is signed by key ${seal.key_id}, which is not the workstation's`;
      key = pending.key;
      awaiting = `its seal is ${signedByPendingKey(seal.key_id, pending.workstation, 'the seal is not verified')}`;
    }
    if (!signatureValid(key, documentMessage(SEAL_PREFIX, seal.document), seal.sig))
      return 'its seal signature is not valid: the sealed document was altered';
  }
  if (s.rec_signed_at !== s.signed_at) return "the recording row's signature time differs from its sign-off";
  const now = recordDocument(db, dbId, recordingId, {
    signer: { username: s.username, fullName: s.signer_name ?? '', role: s.signer_role ?? '' },
    signedAt: s.signed_at,
    meaning: s.meaning ?? '',
    label: s.label,
    statement: s.statement,
  });
  const text = canonicalJson(now);
  if (text === seal.document) return awaiting;
  const was = JSON.parse(seal.document) as Record<string, unknown>;
  const is = now as Record<string, unknown>;
  const changed = Object.keys(was).filter((k) => canonicalJson(was[k]) !== canonicalJson(is[k]));
  return `it was changed after signing (${changed.join(', ') || 'content'} differ from the seal)`;
}

/** Every signed recording's seal; the first problems (up to `limit`). */
export function verifySeals(
  db: SqlDatabase,
  dbId: string,
  keys: TrustedKeys | null,
  limit = 20,
): { checked: number; legacy: number; problems: SealProblem[] } {
  const ids = db
    .prepare(
      'SELECT recording_id AS id FROM signoffs UNION SELECT recording_id FROM record_seals UNION SELECT id FROM recordings WHERE signed_at IS NOT NULL ORDER BY 1',
    )
    .pluck()
    .all() as number[];
  const problems: SealProblem[] = [];
  let legacy = 0;
  for (const id of ids) {
    const hasSeal = db.prepare('SELECT 1 FROM record_seals WHERE recording_id = ?').get(id) !== undefined;
    const meaning = db.prepare('SELECT meaning FROM signoffs WHERE recording_id = ?').pluck().get(id) as
      string | null | undefined;
    if (!hasSeal && meaning === null) {
      legacy++;
      continue;
    }
    const signedRow = db.prepare('SELECT signed_at FROM recordings WHERE id = ?').pluck().get(id) as
      string | null | undefined;
    const why =
      meaning === undefined && signedRow
        ? 'the recording is marked signed but has no sign-off'
        : sealProblem(db, dbId, keys, id);
    if (why && problems.length < limit) problems.push({ recordingId: id, reason: why });
  }
  return { checked: ids.length - legacy, legacy, problems };
}
