/** Model card, system status, and the in-app acceptance of a restored older copy. */
import { DISCLAIMER, type PendingRollbackInfo } from '../api.js';
import { LATEST_SCHEMA_VERSION, type RefusalReason } from '../../store/index.js';
import { ApiError } from '../errors.js';
import type { CommandTable, Deps, PublicCall } from '../handler.js';
import { ROLES } from '../../common/roles.js';
import { modelFacts } from '../model-facts.js';
import { checkPassword, refusal } from '../sign-in-guard.js';
import { osAccountName } from '../os-account.js';

export const APP_VERSION = '0.1.0';

/** What the sign-in page says while the database waits for an administrator's acceptance. */
function pendingInfo(deps: Deps): PendingRollbackInfo | null {
  const p = deps.store.rollbackPending;
  if (!p) return null;
  return {
    keptSeq: p.base.seq,
    lostFromSeq: p.held.seq + 1, // a site: after the last point it holds of this workstation's log
    lostToSeq: p.lost.seq,
    lostCheckpointAt: p.lost.at,
    interruptedAcceptance: p.resume ? { by: p.resume.acceptedBy, at: p.resume.at } : null,
    refusedAttempts: deps.store.rollbackRefusals().length,
    administrators: deps.store.users
      .list()
      .filter((u) => u.role === 'admin' && u.active)
      .map((u) => u.displayName),
    site: deps.store.engine === 'postgresql' ? { lostCheckpoints: p.lostCheckpoints } : null,
  };
}

/**
 * A refused acceptance: the database cannot take an audit entry before the rollback is accepted,
 * so the refusal is a signed, fsynced line in the signing folder (src/store/README.md).
 */
function refuseAcceptance(deps: Deps, call: PublicCall, username: string, reason: RefusalReason, why: string): never {
  deps.store.recordRollbackRefusal({ username, reason, transport: call.transport, peer: call.peer ?? null });
  throw new ApiError(
    reason === 'not-admin' ? 'FORBIDDEN' : 'UNAUTHENTICATED',
    `${why} Nothing was changed; this attempt is recorded in the signed log beside the checkpoints.`,
  );
}

export const systemCommands: CommandTable<'model.info' | 'system.status' | 'system.acceptRollback'> = {
  'model.info': {
    access: 'user',
    roles: ROLES,
    run(deps) {
      const e = deps.engine;
      return {
        card: e?.card ?? null,
        facts: modelFacts(e?.card ?? null, e?.soundsCard ?? null),
        error: e
          ? null
          : (deps.engineError ??
            'The analysis engine is not loaded. Run "auscult models" to build the models, then restart the workstation.'),
        yamnet: e?.versions?.yamnet ?? null,
        engineVersion: e?.versions?.engineVersion ?? 'unavailable',
        disclaimer: DISCLAIMER,
      };
    },
  },
  'system.status': {
    access: 'public',
    run(deps, call) {
      const rollback = pendingInfo(deps);
      if (rollback) return { version: APP_VERSION, detail: null, rollback };
      if (!call.user) return { version: APP_VERSION, detail: null };
      return {
        version: APP_VERSION,
        detail: {
          engineReady: deps.engine !== null,
          modelError: deps.engine ? null : (deps.engineError ?? 'The analysis engine is not loaded.'),
          schemaVersion: Math.min(deps.store.schemaVersion, LATEST_SCHEMA_VERSION),
          encryptedAtRest: deps.atRest !== null,
          outbox: deps.outbox ? deps.outbox.counts() : null,
        },
      };
    },
  },
  'system.acceptRollback': {
    // Public: nobody can sign in to a copy that cannot take the sign-in's audit entry. The
    // administrator's password is checked here, under the sign-in throttle.
    access: 'public',
    audit: ['audit.rollback-accepted'],
    async run(deps, call, p) {
      if (!deps.store.rollbackPending)
        throw new ApiError(
          'CONFLICT',
          'This database holds its latest signed checkpoint: there is no rollback to accept. Nothing was changed.',
        );
      const c = await checkPassword(deps, call, p.username, p.password);
      if (!c.ok) refuseAcceptance(deps, call, p.username, c.reason, refusal(c, p.username).message);
      if (c.user.role !== 'admin')
        refuseAcceptance(
          deps,
          call,
          p.username,
          'not-admin',
          `'${c.user.username}' is not an administrator; only an administrator can accept a restored older copy.`,
        );
      const d = deps.store.acceptRollback({
        username: c.user.username,
        osAccount: osAccountName(),
        reason: p.reason,
        transport: call.transport,
      });
      return { keptSeq: d.base.seq, lostFromSeq: d.lost.fromSeq, lostToSeq: d.lost.toSeq, acceptedBy: d.acceptedBy };
    },
  },
};
