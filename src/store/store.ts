/**
 * The store: one SQLite file and its repositories. Every change that must be audited runs inside
 * `tx`, with its audit entry appended in the same transaction.
 */
import type { SqlDatabase, SqlEngine, SqlStatement } from './sql-database.js';
import { openPgDatabase, type PgOpenOptions } from './pg/pg-open.js';
import { readAudio, uploadAudio, type UploadResult } from './pg/recording-audio.js';
import { PG_MATCHES_SQLITE_VERSION } from './pg/migrations/index.js';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import {
  appendRefusal,
  readRefusals,
  refusalLogPath,
  type RefusalReason,
  type RollbackRefusal,
} from './rollback-refusals.js';
import { AuditLog, GENESIS_HASH, type ChainCheck } from './audit-log.js';
import {
  checkpointProblem,
  documentMessage,
  makeCheckpoint,
  makeRollback,
  ROLLBACK_FORMAT,
  rollbackProblem,
  trustedKeys,
  type AuditSigner,
  type SignedCheckpoint,
  type SignedRollback,
  type TrustedKeys,
} from './audit-signing.js';
import { acceptanceNames, verifyAuditLog, type RollbackAcceptedDetails } from './chain-verify.js';
import { listWorkstationKeys, siteKeySets, siteRoles, type WorkstationKey } from './workstation-keys.js';
import { CheckpointLog, checkpointLogPath } from './checkpoint-log.js';
import { openDatabase, type OpenOptions } from './database.js';
import { StoreError, translateSqliteError } from './errors.js';
import { openSigningFolder, readPublicKey, type KeyCustody } from './signing-key.js';
import { sealProblem, sealRecord, verifySeals, type SealProblem } from './record-seals.js';
import type { SignOffRecord } from './recordings.js';
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { Patients } from './patients.js';
import { Recordings } from './recordings.js';
import { Users } from './users.js';
import { SiteSettingsRepo } from './site-settings.js';
import { SignInThrottle } from './sign-in-throttle.js';

export interface IntegrityReport {
  ok: boolean;
  /** `PRAGMA integrity_check` lines ('ok' when healthy). */
  integrity: string[];
  /** Rows whose foreign keys point nowhere. */
  foreignKeyViolations: number;
}

/** A write's whole wait for the lock (busy_timeout is one wait; tx tries again until this). */
const DEFAULT_LOCK_WAIT_MS = 30_000;

const isBusy = (err: unknown): boolean =>
  err instanceof Error && 'code' in err && /^SQLITE_BUSY/.test(String((err as { code: unknown }).code));

/** A short pause without yielding (the store's API is synchronous, like SQLite's own busy wait). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface StoreOpenOptions extends OpenOptions {
  /** How long in all a write waits for another writer's lock before failing (default 30 s). */
  lockWaitMs?: number;
  /**
   * The signing folder (outside the data folder): entries are signed and checkpointed with its key,
   * which is created on first start. Read-only stores only read its public key and checkpoints.
   */
  signing?: {
    dir: string;
    custody?: KeyCustody;
    rolledBack?: RolledBackMode;
  };
}

/**
 * 'inspect': a database behind its latest checkpoint (a restored older copy; a site restored from
 * an older pg_dump) opens anyway, with no audit entry possible, so that an administrator can see
 * what would be lost and accept it (`rollbackPending`, `acceptRollback`): `auscult restore accept`,
 * and the Workstation with `offerRollbackAcceptance` (serve, the app), which then answers nothing else.
 */
export type RolledBackMode = 'inspect';

/** A restored older copy, found at open: what accepting it gives up. */
export interface PendingRollback {
  /** The database's head: the history goes on from here. */
  base: { seq: number; hash: string };
  /**
   * The last point of the checkpoint log the database still holds: a single workstation's copy,
   * `base`; a site, earlier when other workstations wrote on the restored copy since.
   */
  held: { seq: number; hash: string };
  /** The latest signed checkpoint, which the database no longer holds. */
  lost: { seq: number; hash: string; at: string };
  /** How many of the log's checkpoints after `held` the database no longer holds (each at least one entry of this workstation's). */
  lostCheckpoints: number;
  /** An acceptance already in the checkpoint log whose audit entry was not written (a crash). */
  resume: SignedRollback | null;
}

/** What the store signs with, for seals and export manifests. */
export interface StoreSigning {
  signer: AuditSigner;
  dbId: string;
  /** The latest checkpoint (written after the last commit that added entries). */
  latestCheckpoint(): SignedCheckpoint | null;
  signDocument(prefix: string, canonical: string): string;
}

/** How long a read's checkpoint may wait (see Store.checkpoint). */
const READ_CHECKPOINT_EVERY = 64;
const READ_CHECKPOINT_MS = 1000;

export class Store {
  readonly users: Users;
  readonly patients: Patients;
  readonly recordings: Recordings;
  readonly audit: AuditLog;
  readonly settings: SiteSettingsRepo;
  readonly signInThrottle: SignInThrottle;

  private constructor(
    readonly db: SqlDatabase,
    readonly path: string,
    /** Whether the file is encrypted at rest (opened with a key). */
    readonly encrypted: boolean,
    /** 'postgresql' for a site database (`Store.openSite`). */
    readonly engine: SqlEngine = 'sqlite',
  ) {
    this.users = new Users(db);
    this.patients = new Patients(db, engine);
    this.recordings = new Recordings(db, engine);
    this.audit = new AuditLog(db);
    this.settings = new SiteSettingsRepo(db);
    this.signInThrottle = new SignInThrottle(db);
  }

  private signer: AuditSigner | null = null;
  private checkpoints: CheckpointLog | null = null;
  private lastCheckpoint: SignedCheckpoint | null = null;
  /** `own`: a site, this workstation's key (its signing folder's), which signed its checkpoint log. */
  private trust: { keys: TrustedKeys | null; log: string | null; own?: TrustedKeys | null } = { keys: null, log: null };

  /** How long in all a write transaction waits for another writer (SQLite; see tx). */
  private lockWaitMs = DEFAULT_LOCK_WAIT_MS;

  static open(path: string, opts: StoreOpenOptions = {}): Store {
    const store = new Store(openDatabase(path, opts), path, !!opts.key);
    if (opts.lockWaitMs !== undefined) store.lockWaitMs = Math.max(0, opts.lockWaitMs);
    if (opts.signing) {
      try {
        store.useSigningFolder(opts.signing.dir, opts.signing.custody, opts.signing.rolledBack === 'inspect');
      } catch (err) {
        store.close();
        throw err;
      }
    }
    return store;
  }

  /**
   * A site database on PostgreSQL (`postgresql://role@host/db`, no password in it): the same
   * repositories, every audit entry signed by this workstation's key (registered in
   * `workstation_keys`), the chain verified with every registered workstation's key.
   */
  static openSite(
    url: string,
    opts: PgOpenOptions & {
      signing?: { dir: string; custody?: KeyCustody; rolledBack?: RolledBackMode };
      workstation?: string;
    } = {},
  ): Store {
    const store = new Store(openPgDatabase(url, opts), url, false, 'postgresql');
    if (opts.signing) {
      try {
        store.useSiteSigning(
          opts.signing.dir,
          opts.signing.custody,
          opts.workstation ?? hostname(),
          opts.signing.rolledBack === 'inspect',
        );
      } catch (err) {
        store.close();
        throw err;
      }
    }
    return store;
  }

  /**
   * The workstation keys the site database's owner approved (the only ones trusted). Never null,
   * even when none is approved yet: no trusted key must not read as "signatures not checked".
   */
  private siteKeys(): TrustedKeys {
    return siteKeySets(this.db).approved;
  }

  /** A site: the role this connection acts as and the tables' owner (who approves keys). */
  siteRoles(): { current: string; owner: string } | null {
    return this.engine === 'postgresql' ? siteRoles(this.db) : null;
  }

  /** A site's workstation keys: id, workstation, fingerprint, first entry, approval. */
  workstationKeys(): WorkstationKey[] {
    return this.engine === 'postgresql' ? listWorkstationKeys(this.db) : [];
  }

  /**
   * Approve a workstation's key (a site, by the database's owner only: the trigger and the grants
   * refuse anyone else too), audited on the site's chain with this workstation's key, in one
   * transaction. A refusal says why in one sentence and changes nothing.
   */
  approveWorkstationKey(keyId: string, by: { osAccount: string }): WorkstationKey {
    const refuse = (why: string): never => {
      throw new StoreError('SIGNING_KEY', `${why} Nothing was changed.`);
    };
    if (this.engine !== 'postgresql') refuse('Signing keys are approved on a site database only.');
    const roles = siteRoles(this.db);
    if (roles.current !== roles.owner)
      refuse(
        `You are connected as role '${roles.current}', but only the site database's owner ('${roles.owner}', the role its migrations ran as) approves signing keys: connect as postgresql://${roles.owner}@HOST/DB.`,
      );
    if (!this.signer)
      refuse("Approving a key is audited on the site's chain: open the site with this workstation's signing folder.");
    return this.tx(() => {
      const key = listWorkstationKeys(this.db).find((k) => k.keyId === keyId);
      if (!key) return refuse(`No workstation key ${keyId} is registered on this site: give an id that --list shows.`);
      if (key.idMismatch)
        refuse(
          `Key ${keyId} is registered under an id that is not its public key's fingerprint: it was not registered by Auscult and cannot be approved; tell the site's database administrator.`,
        );
      if (key.approvedAt !== null)
        refuse(
          `Key ${keyId} of workstation '${key.workstation}' was already approved by ${key.approvedBy} at ${key.approvedAt}.`,
        );
      const at = new Date().toISOString();
      const approve = this.db.prepare(
        'UPDATE workstation_keys SET approved_at = ?, approved_by = ? WHERE key_id = ? AND approved_at IS NULL',
      );
      approve.run(at, roles.current, keyId);
      // The entry below is signed with the owner's own workstation key: the owner vouches for it by
      // using it, so it is approved with it (said in the entry) rather than left to flag the approval.
      const own = this.signer!.keyId;
      const ownApproved = own !== keyId && approve.run(at, roles.current, own).changes > 0;
      this.audit.append({
        username: null,
        action: 'site.key.approved',
        transport: 'cli',
        objectType: 'workstation_key',
        objectId: keyId,
        details: {
          keyId,
          workstation: key.workstation,
          fingerprint: key.fingerprint,
          firstSeq: key.firstSeq,
          approvedBy: roles.current,
          osAccount: by.osAccount,
          ...(ownApproved ? { alsoApprovedSigningKey: own } : {}),
        },
      });
      return { ...key, approvedAt: at, approvedBy: roles.current };
    });
  }

  private useSiteSigning(
    dir: string,
    custody: KeyCustody | undefined,
    workstation: string,
    inspectRollback: boolean,
  ): void {
    const dbId = this.dbId!;
    const log = checkpointLogPath(dir, dbId);
    if (this.readonly) {
      const pub = readPublicKey(dir);
      this.trust = { keys: this.siteKeys(), log, own: pub ? trustedKeys([pub]) : null };
      return;
    }
    const signer = openSigningFolder(dir, { custody, create: true }).signer;
    const registered = this.db
      .prepare('SELECT public_key FROM workstation_keys WHERE key_id = ?')
      .pluck()
      .get(signer.keyId) as string | undefined;
    if (registered !== undefined && registered !== signer.publicKey)
      throw new StoreError(
        'SIGNING_KEY',
        `The site database registers key ${signer.keyId} with another public key. Nothing was changed.`,
      );
    // This workstation's own checkpoints: the site's chain must still hold the last one it wrote.
    // Checked before anything is written, the key's registration included (a restored site may
    // have lost it): a refused or pending open leaves the site as it was.
    const own = trustedKeys([signer.publicKey]);
    const rolledBack = this.rollbackAgainst(log, dbId, own);
    if (rolledBack) {
      if (inspectRollback && rolledBack.pending) {
        this.trust = { keys: this.siteKeys(), log, own };
        this.pending = { rollback: rolledBack.pending, signer, log, workstation };
        return;
      }
      throw new StoreError(
        'ROLLED_BACK',
        `The site database ${rolledBack.why}. Auscult will not write on it. ` +
          (rolledBack.pending
            ? `If this restored copy is the one to keep, an administrator accepts it with \`auscult restore accept --db '${this.path}' --user ADMIN\` (what this workstation recorded since is then given up for good); otherwise the site's database administrator restores a newer backup. Nothing was changed.`
            : "Tell the site's database administrator. Nothing was changed."),
      );
    }
    if (registered === undefined) this.tx(() => this.registerSiteKey(signer, workstation));
    this.signer = signer;
    this.trust = { keys: this.siteKeys(), log, own };
    this.audit.attachSigning({ signer, dbId, eachEntry: true });
    this.checkpoints = new CheckpointLog(log);
  }

  /** This workstation's key in `workstation_keys`, awaiting the owner's approval (in the caller's tx). */
  private registerSiteKey(signer: AuditSigner, workstation: string): void {
    this.db
      .prepare(
        'INSERT INTO workstation_keys (key_id, public_key, workstation, first_seq, added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
      )
      .run(signer.keyId, signer.publicKey, workstation, this.audit.head().seq + 1, new Date().toISOString());
  }

  private cachedDbId: string | null | undefined;

  /** The history's random id (schema 4 on), in every signed statement; it never changes (a trigger refuses). */
  get dbId(): string | null {
    if (this.cachedDbId !== undefined) return this.cachedDbId;
    const id =
      this.engine === 'sqlite' && this.schemaVersion < 4
        ? null
        : ((this.db.prepare("SELECT value FROM meta WHERE name = 'db_id'").pluck().get() as string | undefined) ??
          null);
    if (id !== null) this.cachedDbId = id;
    return id;
  }

  /** Whether a key has been registered for this history (then every new entry must be signed). */
  private registeredKeys(): { key_id: string; public_key: string }[] {
    if (this.schemaVersion < 4) return [];
    return this.db.prepare('SELECT key_id, public_key FROM audit_keys ORDER BY first_seq').all() as {
      key_id: string;
      public_key: string;
    }[];
  }

  /** `workstation`: a site, the name this workstation's key is registered under if the site lost it. */
  private pending: { rollback: PendingRollback; signer: AuditSigner; log: string; workstation?: string } | null = null;

  /** Set when the store was opened with `rolledBack: 'inspect'` on a restored older copy. */
  get rollbackPending(): PendingRollback | null {
    return this.pending?.rollback ?? null;
  }

  private useSigningFolder(dir: string, custody: KeyCustody | undefined, inspectRollback = false): void {
    const dbId = this.dbId;
    if (this.readonly || dbId === null) {
      const pub = readPublicKey(dir);
      this.trust = { keys: pub ? trustedKeys([pub]) : null, log: dbId ? checkpointLogPath(dir, dbId) : null };
      return;
    }
    const registered = this.registeredKeys();
    const signedHistory = registered.length > 0 || this.audit.isSigned;
    const folder = openSigningFolder(dir, { custody, create: !signedHistory });
    const signer = folder.signer;
    if (signedHistory && !registered.some((k) => k.key_id === signer.keyId))
      throw new StoreError(
        'SIGNING_KEY',
        `This history is signed with key ${registered.map((k) => k.key_id).join(', ') || '(unknown)'}, but the signing folder ${dir} holds key ${signer.keyId}. ` +
          'Restore the signing folder that belongs to this data folder. Nothing was changed.',
      );
    const keys = trustedKeys([signer.publicKey]);
    const log = checkpointLogPath(dir, dbId);
    // Checked before anything is appended: a database behind its latest checkpoint was truncated or
    // rolled back, and writing on would fork the history (unless an administrator accepted it).
    const rolledBack = this.rollbackAgainst(log, dbId, keys);
    if (rolledBack) {
      if (inspectRollback && rolledBack.pending) {
        this.trust = { keys, log };
        this.pending = { rollback: rolledBack.pending, signer, log };
        return;
      }
      throw new StoreError(
        'ROLLED_BACK',
        `The database ${this.path} ${rolledBack.why}. Auscult will not write on it. ` +
          'Run `auscult check` for details; restore the latest backup, or, if this older copy is the one to keep, an administrator accepts it with `auscult restore accept`. Nothing was changed.',
      );
    }
    this.trust = { keys, log };
    this.signer = signer;
    this.audit.attachSigning({ signer, dbId });
    this.checkpoints = new CheckpointLog(log);
    if (!signedHistory) {
      // Signing starts here: the unsigned entries before it are verified first and covered by the
      // first signed entry (its hash chains them), which says so in the log.
      const chain = this.audit.verify();
      if (!chain.ok)
        throw new StoreError(
          'SIGNING_KEY',
          `The audit chain is broken at entry ${chain.firstBadSeq} (${chain.reason}), so it will not be signed from here on. Run \`auscult check\` and restore a backup. Nothing was changed.`,
        );
      const head = this.audit.head();
      const meta = (name: string) =>
        this.db.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(name) as string | undefined;
      this.tx(() => {
        this.db
          .prepare('INSERT INTO audit_keys (key_id, public_key, first_seq, added_at) VALUES (?, ?, ?, ?)')
          .run(signer.keyId, signer.publicKey, head.seq + 1, new Date().toISOString());
        if (head.seq > 0)
          this.audit.append({
            username: null,
            action: 'audit.signing.started',
            transport: 'system',
            details: {
              keyId: signer.keyId,
              unsignedEntries: head.seq,
              unsignedHead: head.hash,
              unsignedChain: 'verified',
              atUpgrade: { entries: Number(meta('legacy_entries') ?? 0), head: meta('legacy_head') ?? null },
            },
          });
      });
    }
  }

  /**
   * A site database: store a recording's WAV (already stored locally and hashed at intake) and
   * read it back verified; only then may the local copy go. Idempotent by recording id and hash.
   */
  uploadRecordingAudio(recordingId: number, wav: Buffer): UploadResult {
    if (this.engine !== 'postgresql')
      throw new StoreError('NOT_FOUND', 'A single workstation keeps its recordings in its data folder.');
    const rec = this.recordings.get(recordingId);
    if (!rec) throw new StoreError('NOT_FOUND', `Recording ${recordingId} does not exist.`);
    return this.tx(() => uploadAudio(this.db, recordingId, wav, rec.wavSha256));
  }

  /** A site database's copy of a recording's WAV, or null. */
  recordingAudio(recordingId: number): Buffer | null {
    return this.engine === 'postgresql' ? readAudio(this.db, recordingId) : null;
  }

  /**
   * The log's last record this history can rely on: a checkpoint or acceptance signed by the key;
   * an acceptance counts only where it follows the checkpoint it gives up (not moved or replayed),
   * as the verifier requires. Lines that are neither are passed over, as the verifier ignores them.
   */
  private lastTrustedRecord(log: string, dbId: string, keys: TrustedKeys): SignedCheckpoint | SignedRollback | null {
    let rollback: SignedRollback | null = null;
    for (const r of CheckpointLog.fromTail(log)) {
      if (r.dbId !== dbId) continue;
      if (r.format === 'auscult.rollback-accepted/1') {
        if (!rollback && !rollbackProblem(r, keys)) rollback = r;
        continue;
      }
      if (checkpointProblem(r, keys)) continue;
      if (!rollback) return r;
      if (r.seq === rollback.lost.seq && r.hash === rollback.lost.hash) return rollback;
      // The acceptance does not follow this checkpoint: it was moved or copied here; ignore it.
      return r;
    }
    return null; // an acceptance with no checkpoint before it gives up nothing: the verifier ignores it too
  }

  /**
   * The last point of the log the database still holds (a checkpoint, or an acceptance's base),
   * newest first, and how many trusted checkpoints after it it no longer holds. `skip`: a record
   * not to count as a point (the interrupted acceptance being finished). Genesis when none.
   */
  private heldPoint(
    log: string,
    dbId: string,
    keys: TrustedKeys,
    holds: (p: { seq: number; hash: string }) => boolean,
    skip: SignedRollback | null = null,
  ): { held: { seq: number; hash: string }; lostCheckpoints: number } {
    let lostCheckpoints = 0;
    for (const r of CheckpointLog.fromTail(log)) {
      if (r.dbId !== dbId) continue;
      if (r.format === ROLLBACK_FORMAT) {
        if (r.sig !== skip?.sig && !rollbackProblem(r, keys) && holds(r.base)) return { held: r.base, lostCheckpoints };
        continue;
      }
      if (checkpointProblem(r, keys)) continue;
      if (holds(r)) return { held: { seq: r.seq, hash: r.hash }, lostCheckpoints };
      lostCheckpoints++;
    }
    return { held: { seq: 0, hash: GENESIS_HASH }, lostCheckpoints };
  }

  /**
   * Why the database may not be written on against the log's last trusted record, or null when it
   * may; `pending` when an administrator may accept it. A single workstation's copy is acceptable
   * only when it ends before the record (an older copy; one that differs was written on without the
   * key: a fork). A site is acceptable also when others wrote on the restored copy since (it then
   * differs at this log's checkpoints: what they wrote is the site's history now).
   */
  private rollbackAgainst(
    log: string,
    dbId: string,
    keys: TrustedKeys,
  ): { why: string; pending: PendingRollback | null } | null {
    const latest = this.lastTrustedRecord(log, dbId, keys);
    if (!latest) return null;
    const site = this.engine === 'postgresql';
    const head = this.audit.head();
    const hashAt = (seq: number) =>
      this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq) as string | undefined;
    const holds = (p: { seq: number; hash: string }): boolean =>
      p.seq === 0 ? p.hash === GENESIS_HASH : p.seq <= head.seq && hashAt(p.seq) === p.hash;
    const restored = (lost: PendingRollback['lost']): PendingRollback => {
      const h = this.heldPoint(log, dbId, keys, holds);
      return { base: head, held: site ? h.held : head, lost, lostCheckpoints: h.lostCheckpoints, resume: null };
    };
    if (latest.format === ROLLBACK_FORMAT) {
      const kept = holds(latest.base);
      if (kept && head.seq === latest.base.seq) {
        const h = this.heldPoint(log, dbId, keys, holds, latest);
        return {
          why: `is a rollback accepted at ${latest.at} whose audit entry was not written (interrupted): run \`auscult restore accept\` again to finish it`,
          pending: {
            base: latest.base,
            held: latest.held ?? latest.base,
            lost: latest.lost,
            lostCheckpoints: h.lostCheckpoints,
            resume: latest,
          },
        };
      }
      if (kept && (!site || this.holdsAcceptanceOf(latest))) return null;
      if (kept)
        return {
          why: `holds entry ${latest.base.seq}, the head kept when this workstation accepted a rollback at ${latest.at}, but not the acceptance's audit entry after it: the site's history was rewritten`,
          pending: null,
        };
      const again = `does not hold entry ${latest.base.seq}, the head an administrator kept when accepting a rollback at ${latest.at}: it was rolled back again`;
      // A site restored again: the acceptance's base is what this log last knew, as a checkpoint is.
      return {
        why: again,
        pending: site ? restored({ seq: latest.base.seq, hash: latest.base.hash, at: latest.at }) : null,
      };
    }
    if (holds(latest)) return null;
    const older = head.seq < latest.seq;
    if (site)
      return {
        why: `does not hold audit entry ${latest.seq} as this workstation signed it at ${latest.at}: the site's history was restored from an older backup (or rewritten)`,
        pending: restored(latest),
      };
    return {
      why:
        `does not hold the audit entries its latest signed checkpoint (${latest.at}, ${latest.seq} entries) records: ` +
        (older
          ? `it ends at entry ${head.seq}, so newest entries were deleted or the file was rolled back to an older copy`
          : `entry ${latest.seq} differs`),
      pending: older ? restored(latest) : null,
    };
  }

  /** Whether the entry after an acceptance's base is the acceptance entry naming its loss. */
  private holdsAcceptanceOf(r: SignedRollback): boolean {
    const e = this.db.prepare('SELECT action, details_json FROM audit_log WHERE seq = ?').get(r.base.seq + 1) as
      { action: string; details_json: string } | undefined;
    return !!e && e.action === 'audit.rollback-accepted' && acceptanceNames(e.details_json, r);
  }

  /**
   * An administrator accepts the restored older copy (the caller checked who they are): the signed
   * record in the checkpoint log makes the database's head the new base, the signed
   * `audit.rollback-accepted` entry right after it states what was given up, and writing goes on
   * from there. Refused unless accepting leaves the history verifying (chain, every signature,
   * every checkpoint up to the kept point): a forked or damaged copy is not accepted.
   * A single workstation writes the record first (fsynced), then the entry; a site the entry first
   * (under the chain's lock, so it lands right after the head it names), then the record: other
   * workstations may write between a crash and the next attempt, and an entry without its record
   * is only asked for again, while a record without its entry could never be finished.
   */
  acceptRollback(by: {
    username: string;
    osAccount: string;
    /** The administrator's reason, in their words (the in-app acceptance asks for one). */
    reason?: string;
    transport?: 'cli' | 'ipc' | 'http';
  }): RollbackAcceptedDetails {
    const p = this.pending;
    if (!p)
      throw new StoreError(
        'ROLLED_BACK',
        'This database holds its latest signed checkpoint: there is no rollback to accept. Nothing was changed.',
      );
    const { held, lost } = p.rollback;
    if (!p.rollback.resume) {
      const v = this.verifyAudit({ accepting: { held, lost } });
      if ((!v.ok && !v.awaitingApproval) || (this.engine === 'sqlite' && v.entries !== p.rollback.base.seq))
        throw new StoreError(
          'ROLLED_BACK',
          `This copy is not an intact older state of the signed history, so it cannot be accepted: ${v.ok ? 'it changed since it was opened' : v.reason}. ` +
            (this.engine === 'postgresql'
              ? "Tell the site's database administrator (a newer backup may keep more). Nothing was changed."
              : 'Restore another backup. Nothing was changed.'),
        );
    }
    // Refused attempts on this same pending rollback could not be audited then; now they can.
    const refused = this.rollbackRefusals().map((r) => ({
      at: r.at,
      username: r.username,
      reason: r.reason,
      transport: r.transport,
      peer: r.peer,
    }));
    const detailsFor = (base: { seq: number; hash: string }): RollbackAcceptedDetails => ({
      base,
      lost: { fromSeq: held.seq + 1, toSeq: lost.seq, head: lost.hash, checkpointAt: lost.at },
      ...(this.engine === 'postgresql' ? { held: { ...held, lostCheckpoints: p.rollback.lostCheckpoints } } : {}),
      acceptedBy: by.username,
      osAccount: by.osAccount,
      ...(by.reason ? { reason: by.reason } : {}),
      ...(refused.length ? { refusedAttempts: refused } : {}),
    });
    const entryOf = (details: RollbackAcceptedDetails, at: string) => ({
      username: by.username,
      action: 'audit.rollback-accepted',
      objectType: 'audit',
      objectId: null,
      transport: by.transport ?? 'cli',
      details: { ...details, acceptedAt: at },
    });
    const recordAt = (base: { seq: number; hash: string }): SignedRollback =>
      makeRollback(p.signer, {
        dbId: this.dbId!,
        base,
        ...(this.engine === 'postgresql' ? { held } : {}),
        lost,
        at: new Date().toISOString(),
        acceptedBy: by.username,
      });
    if (this.engine === 'postgresql') return this.acceptOnSite(p, detailsFor, entryOf, recordAt);
    const record = p.rollback.resume ?? recordAt(p.rollback.base);
    const details = detailsFor(p.rollback.base);
    this.trust = { keys: trustedKeys([p.signer.publicKey]), log: p.log };
    this.signer = p.signer;
    this.audit.attachSigning({ signer: p.signer, dbId: this.dbId! });
    this.checkpoints = new CheckpointLog(p.log);
    this.pending = null;
    if (!p.rollback.resume) this.checkpoints.appendDurable(record);
    this.tx(() => this.audit.append(entryOf(details, record.at)));
    return details;
  }

  /** The site's order (see acceptRollback): the entry under the chain's lock, then the record. */
  private acceptOnSite(
    p: NonNullable<Store['pending']>,
    detailsFor: (base: { seq: number; hash: string }) => RollbackAcceptedDetails,
    entryOf: (d: RollbackAcceptedDetails, at: string) => Parameters<AuditLog['append']>[0],
    recordAt: (base: { seq: number; hash: string }) => SignedRollback,
  ): RollbackAcceptedDetails {
    const dbId = this.dbId!;
    const resume = p.rollback.resume;
    let record: SignedRollback | null = resume;
    let details: RollbackAcceptedDetails | null = null;
    // Signing is attached for this one transaction; checkpoints only once the record is written.
    this.audit.attachSigning({ signer: p.signer, dbId, eachEntry: true });
    let entry: { seq: number; hash: string };
    try {
      entry = this.tx(() => {
        const head = this.audit.head();
        if (resume && (head.seq !== resume.base.seq || head.hash !== resume.base.hash))
          throw new StoreError(
            'ROLLED_BACK',
            `The site database was written on since the interrupted acceptance of ${resume.at} (it ends at entry ${head.seq}, not ${resume.base.seq}), so it cannot be finished. Tell the site's database administrator. Nothing was changed.`,
          );
        const registered = this.db.prepare('SELECT 1 FROM workstation_keys WHERE key_id = ?').get(p.signer.keyId);
        if (registered === undefined) this.registerSiteKey(p.signer, p.workstation ?? hostname());
        record ??= recordAt(head);
        details = detailsFor(head);
        return this.audit.append(entryOf(details, record.at));
      });
    } catch (err) {
      this.audit.attachSigning(null);
      throw err;
    }
    this.pending = null;
    this.signer = p.signer;
    this.trust = { keys: this.siteKeys(), log: p.log, own: trustedKeys([p.signer.publicKey]) };
    this.checkpoints = new CheckpointLog(p.log);
    if (!resume) this.checkpoints.appendDurable(record!);
    // The acceptance entry's own checkpoint, after the record (the verifier reads them in that order).
    const sig = this.db.prepare('SELECT sig FROM audit_log WHERE seq = ?').pluck().get(entry.seq) as string;
    this.unwritten = { seq: entry.seq, hash: entry.hash, sig };
    this.writeCheckpoint();
    return details!;
  }

  /**
   * A refused attempt to accept the pending rollback (wrong password, wrong role): the database
   * cannot take an audit entry yet, so it is a signed, fsynced line in the signing folder
   * (rollback-refusals.ts), copied into the acceptance entry when an administrator accepts.
   */
  recordRollbackRefusal(a: {
    username: string;
    reason: RefusalReason;
    transport: string;
    peer: string | null;
  }): RollbackRefusal {
    const p = this.pending;
    if (!p)
      throw new StoreError(
        'ROLLED_BACK',
        'This database holds its latest signed checkpoint: there is no rollback to accept. Nothing was changed.',
      );
    return appendRefusal(refusalLogPath(dirname(p.log), this.dbId!), p.signer, {
      dbId: this.dbId!,
      lost: { seq: p.rollback.lost.seq, hash: p.rollback.lost.hash },
      at: new Date().toISOString(),
      ...a,
    });
  }

  /** The verified refusals recorded against the pending rollback (empty when none is pending). */
  rollbackRefusals(): RollbackRefusal[] {
    const p = this.pending;
    if (!p) return [];
    return readRefusals(
      refusalLogPath(dirname(p.log), this.dbId!),
      trustedKeys([p.signer.publicKey]),
      this.dbId!,
      p.rollback.lost,
    );
  }

  /** The signing key and history id, when this store signs (opened with its signing folder). */
  get signing(): StoreSigning | null {
    const signer = this.signer;
    const dbId = this.dbId;
    if (!signer || !dbId) return null;
    return {
      signer,
      dbId,
      latestCheckpoint: () => {
        this.writeCheckpoint(); // an export carries the head as of now, not a deferred one
        return this.lastCheckpoint ?? (this.trust.log ? CheckpointLog.latest(this.trust.log) : null);
      },
      signDocument: (prefix, canonical) => signer.sign(documentMessage(prefix, canonical)).toString('base64'),
    };
  }

  /** The trusted keys (the signing folder's public key), for checking seals and manifests. */
  get trustedKeys(): TrustedKeys | null {
    return this.trust.keys;
  }

  /**
   * The audit log verified in full: hash chain, signatures against the signing folder's key,
   * and the database against every signed checkpoint outside it.
   */
  verifyAudit(
    opts: {
      signatures?: 'all' | 'sample';
      accepting?: { held: PendingRollback['held']; lost: PendingRollback['lost'] };
    } = {},
  ): ChainCheck {
    return verifyAuditLog(this.db, {
      keys: this.currentKeys(),
      ...(this.trust.own ? { logKeys: this.trust.own } : {}),
      ...(opts.accepting ? { accepting: opts.accepting } : {}),
      ...(this.engine === 'postgresql' ? { awaitingApproval: siteKeySets(this.db).pending } : {}),
      checkpointLog: this.trust.log,
      dbId: this.dbId,
      signatures: opts.signatures,
    });
  }

  /**
   * An electronic signature: the sign-off (meaning, full name, role) and the record's seal, signed
   * with the workstation's key, in the caller's transaction. Refused without the key.
   */
  signRecording(s: {
    recordingId: number;
    userId: number;
    username: string;
    fullName: string;
    role: string;
    label: string;
    statement: string;
    meaning: string;
  }): { signoff: SignOffRecord; sealSha256: string; keyId: string } {
    const signer = this.signer;
    const dbId = this.dbId;
    if (!signer || !dbId)
      throw new StoreError(
        'SIGNING_KEY',
        'Recordings can be signed only where the workstation holds its signing key. Nothing was changed.',
      );
    return this.tx(() => {
      const at = new Date().toISOString();
      const signoff = this.recordings.sign({
        recordingId: s.recordingId,
        userId: s.userId,
        label: s.label,
        statement: s.statement,
        meaning: s.meaning,
        signerName: s.fullName,
        signerRole: s.role,
        at,
      });
      const seal = sealRecord(this.db, signer, dbId, s.recordingId, {
        signer: { username: s.username, fullName: s.fullName, role: s.role },
        signedAt: at,
        meaning: s.meaning,
        label: s.label,
        statement: s.statement,
      });
      return { signoff, sealSha256: seal.sha256, keyId: seal.keyId };
    });
  }

  /** One recording's seal now: null when it has none (unsigned, or signed before seals existed). */
  sealStatus(recordingId: number): { valid: boolean; problem: string | null } | null {
    const dbId = this.dbId;
    if (!dbId) return null;
    const sealed = this.db.prepare('SELECT 1 FROM record_seals WHERE recording_id = ?').get(recordingId) !== undefined;
    const problem = sealProblem(this.db, dbId, this.currentKeys(), recordingId);
    if (!sealed && !problem) return null;
    return { valid: problem === null, problem };
  }

  /**
   * Every signed recording's seal against its rows now and the trusted key. `registered`: a site's
   * keys awaiting approval too — the copy's integrity (site migrate, before its commit), not trust.
   */
  verifySeals(opts: { keys?: 'trusted' | 'registered' } = {}): {
    checked: number;
    legacy: number;
    problems: SealProblem[];
  } {
    const dbId = this.dbId;
    if (!dbId) return { checked: 0, legacy: 0, problems: [] };
    let keys = this.currentKeys();
    if (opts.keys === 'registered' && this.engine === 'postgresql') {
      const sets = siteKeySets(this.db);
      keys = new Map([...sets.approved, ...[...sets.pending].map(([id, p]) => [id, p.key] as const)]);
    }
    return verifySeals(this.db, dbId, keys);
  }

  /**
   * The keys to check against now. A site: every workstation registered so far, read again — one
   * that joined after we opened signs seals and entries we must accept (it was its key, registered
   * in the database, that signed them).
   */
  private currentKeys(): TrustedKeys | null {
    if (this.engine === 'postgresql') this.trust.keys = this.siteKeys();
    return this.trust.keys;
  }

  /**
   * Recordings whose stored WAV hash differs from the hash the signed audit entry of their intake
   * recorded (`recording.create`): a WAV swapped together with its stored hash. A recording with no
   * such entry is reported too (its row was inserted behind the service's back).
   */
  recordingHashAnchors(): { recordingId: number; reason: string }[] {
    const rows = this.db
      .prepare(
        `SELECT r.id, r.wav_sha256, a.seq, json_extract(a.details_json, '$.sha256') AS anchored
         FROM recordings r LEFT JOIN audit_log a
           ON a.action = 'recording.create' AND a.object_type = 'recording' AND a.object_id = CAST(r.id AS TEXT)
         ORDER BY r.id`,
      )
      .all() as { id: number; wav_sha256: string; seq: number | null; anchored: string | null }[];
    const out: { recordingId: number; reason: string }[] = [];
    for (const r of rows) {
      if (r.seq === null)
        out.push({
          recordingId: r.id,
          reason: 'no audit entry records its intake: the row was inserted outside Auscult',
        });
      else if (r.anchored !== r.wav_sha256)
        out.push({
          recordingId: r.id,
          reason: `its stored SHA-256 differs from the one audit entry ${r.seq} recorded at intake: the WAV and its stored hash were replaced`,
        });
    }
    return out;
  }

  /** The newest signed head not yet in the checkpoint log, and how many read commits it waited. */
  private unwritten: { seq: number; hash: string; sig: string } | null = null;
  private deferredReads = 0;
  private lastWrittenAt = 0;
  private flushTimer: NodeJS.Timeout | null = null;

  /**
   * After a commit: a signed checkpoint of the new head, outside the database. After a change
   * (`tx`) at once; after a read's entry (`readTx`) at most every READ_CHECKPOINT_EVERY commits or
   * READ_CHECKPOINT_MS, whichever comes first (and at the next change, an export, close). The same
   * rule as their durability: those read entries are not fsynced either, so the newest of them can
   * be lost to a power cut, and deleting them is not seen against the log for that window; a
   * change, and everything before it, always is.
   */
  private checkpoint(read = false): void {
    const p = this.audit.takePending();
    if (p?.sig && this.signer && this.checkpoints) this.unwritten = { seq: p.seq, hash: p.hash, sig: p.sig };
    if (!this.unwritten) return;
    if (read && ++this.deferredReads < READ_CHECKPOINT_EVERY && Date.now() - this.lastWrittenAt < READ_CHECKPOINT_MS) {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = null;
        this.writeCheckpoint();
      }, READ_CHECKPOINT_MS).unref();
      return;
    }
    this.writeCheckpoint();
  }

  private writeCheckpoint(): void {
    const head = this.unwritten;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!head || !this.signer || !this.checkpoints) return;
    try {
      const cp = makeCheckpoint(this.signer.keyId, this.dbId!, head, new Date().toISOString());
      this.checkpoints.append(cp);
      this.lastCheckpoint = cp;
      this.unwritten = null;
      this.deferredReads = 0;
      this.lastWrittenAt = Date.now();
    } catch (err) {
      // The commit stands; the next checkpoint covers it. Said once per failure, not thrown.
      console.error(
        `auscult: could not write the audit checkpoint: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** The schema version; a site database reports the SQLite version its schema matches. */
  get schemaVersion(): number {
    if (this.engine === 'postgresql') return PG_MATCHES_SQLITE_VERSION;
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /**
   * Run `fn` in one write transaction (BEGIN IMMEDIATE: takes the write lock up front, so two
   * processes never deadlock upgrading a read lock). Throws roll everything back.
   */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    let result: T;
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      const attempt = { began: false };
      try {
        result = this.db
          .transaction(() => {
            attempt.began = true;
            const r = fn();
            this.audit.sealPending(); // the commit's signature, on its last entry
            return r;
          })
          .immediate();
        break;
      } catch (err) {
        this.audit.dropPending();
        // SQLite's busy handler polls at growing intervals and is not fair: under several busy
        // writers one can lose the lock for longer than busy_timeout and fail. BEGIN IMMEDIATE
        // failed before anything ran, so trying again (after a random pause that breaks the
        // lockstep) is safe; the sentence comes only after lockWaitMs in all.
        if (!attempt.began && isBusy(err)) {
          if (Date.now() < deadline) {
            sleepSync(5 + Math.random() * 20);
            continue;
          }
          throw new StoreError(
            'UNREADABLE',
            `The database ${this.path} stayed locked by another writer for ${Math.round(this.lockWaitMs / 1000)} s (another Auscult process, or a tool holding it open). Close that program or try again. Nothing was changed.`,
          );
        }
        throw translateSqliteError(err);
      }
    }
    this.checkpoint(this.reading);
    return result;
  }

  /** Inside readTx (its commit's checkpoint may wait, its entry is signed as it is inserted). */
  private reading = false;
  private syncStmts: { NORMAL: SqlStatement; FULL: SqlStatement } | null = null;

  /** SQLite: the two PRAGMAs prepared once (db.pragma() prepares at every call, ~15 µs a read). */
  private setSynchronous(mode: 'NORMAL' | 'FULL'): void {
    if (this.engine === 'postgresql') {
      this.db.pragma(`synchronous = ${mode}`); // the site engine's commit mode for the next commit
      return;
    }
    this.syncStmts ??= {
      NORMAL: this.db.prepare('PRAGMA synchronous = NORMAL'),
      FULL: this.db.prepare('PRAGMA synchronous = FULL'),
    };
    this.syncStmts[mode].run();
  }

  /**
   * A write transaction whose only change is the audit entry of a read (a search, a view, a
   * list): committed without its own fsync (synchronous=NORMAL for this commit), so reading
   * costs ~0.05 ms instead of an fsync (~5 ms here). It becomes durable with the next change's
   * fsync or the next checkpoint; a power cut can lose the last such entries, never a change and
   * never the chain's consistency. Every change (import, signature, finding, account) uses `tx`.
   */
  readTx<T>(fn: () => T): T {
    if (this.db.inTransaction || this.readonly) return this.tx(fn);
    this.setSynchronous('NORMAL');
    this.reading = true;
    this.audit.signAtInsert = true;
    try {
      return this.tx(fn);
    } finally {
      this.reading = false;
      this.audit.signAtInsert = false;
      this.setSynchronous('FULL');
    }
  }

  private get readonly(): boolean {
    return this.db.readonly;
  }

  /**
   * A consistent copy of the database while others keep writing: `VACUUM INTO` reads one
   * snapshot (a read transaction) and writes a compact, self-contained file (no WAL). An encrypted
   * database's copy is encrypted with the same key (SQLite3 Multiple Ciphers does so for VACUUM
   * INTO; SQLite's backup API would have written plaintext pages into a keyless destination).
   * The destination must not exist; it is created 0600.
   */
  backup(destination: string): { pages: number; bytes: number } {
    if (this.engine === 'postgresql')
      throw new StoreError(
        'UNREADABLE',
        "A site database is backed up on its server with pg_dump (see README: 'Site mode'), not by a workstation. Nothing was changed.",
      );
    closeSync(openSync(destination, 'wx', 0o600));
    try {
      this.db.prepare('VACUUM INTO ?').run(destination);
    } catch (err) {
      rmSync(destination, { force: true });
      throw translateSqliteError(err);
    }
    const bytes = statSync(destination).size;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return { pages: Math.round(bytes / pageSize), bytes };
  }

  integrityCheck(): IntegrityReport {
    // PostgreSQL checks its own pages (data checksums); the foreign keys are enforced, never off
    if (this.engine === 'postgresql') return { ok: true, integrity: ['ok'], foreignKeyViolations: 0 };
    const integrity = (this.db.pragma('integrity_check') as { integrity_check: string }[]).map(
      (r) => r.integrity_check,
    );
    const fk = (this.db.pragma('foreign_key_check') as unknown[]).length;
    return { ok: integrity.length === 1 && integrity[0] === 'ok' && fk === 0, integrity, foreignKeyViolations: fk };
  }

  close(): void {
    this.writeCheckpoint();
    this.checkpoints?.close();
    if (this.db.open) this.db.close();
  }
}
