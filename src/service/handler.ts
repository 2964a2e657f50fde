/**
 * The handler pattern: each command group (src/service/commands/<group>.ts) exports a
 * `CommandTable` of `{ access, roles, audit, run }`; registry.ts joins them (its `Registry` type
 * makes a missing or doubled handler a compile error). Params arrive already validated by
 * PARAM_SCHEMAS (schemas.ts) and the caller's role already checked.
 */
import type { Outbox } from '../store/index.js';
import type { AnalysisResult, CommandName, ModelCard, ParamsOf, ResultOf, Role, Transport, UserInfo } from './api.js';
import type { AtRestKey } from '../common/at-rest.js';
import type { AuditAction } from '../common/audit-actions.js';
import type { Store } from '../store/index.js';
import type { ChildLauncher } from '../common/child-launcher.js';
import type { CaptureBackend } from '../capture/portaudio-backend.js';
import type { LiveStream, PipelineParts } from '../capture/pipeline-types.js';
import type { EventBus } from './events.js';
import type { Sessions } from './sessions.js';
import type { ModelVersions } from '../inference/analysis-types.js';
import type { SoundsCard } from '../inference/sounds/card.js';
import type { CaptureController } from './capture-controller.js';
import type { ExportJobsSlot } from './commands/exports.js';

/** What the service needs from the analysis engine (src/inference/engine.ts satisfies it). */
export interface AnalysisEnginePort {
  analyzeRecording(samples: Float32Array, sampleRate: number): Promise<AnalysisResult>;
  /** A live analyzer for one capture (fed the 16 kHz stream) for the provisional live display; optional. */
  createLiveAnalyzer?(): LiveStream;
  readonly card: ModelCard;
  /** The sound detector's card, when one is installed (its figures sit beside the event lane). */
  readonly soundsCard?: SoundsCard | null;
  /** Engine and model versions (for model.info); optional so a minimal engine still fits. */
  readonly versions?: ModelVersions;
}

/**
 * What the handlers use of the store. A second engine (PostgreSQL, issue 17) implements this
 * rather than the SQLite class. `db` is still SQLite's: the export queries read it directly.
 */
export type ServiceStore = Pick<
  Store,
  | 'tx'
  | 'readTx'
  | 'users'
  | 'patients'
  | 'recordings'
  | 'audit'
  | 'settings'
  | 'db'
  | 'schemaVersion'
  | 'close'
  | 'encrypted'
  | 'backup'
  | 'verifyAudit'
  | 'signInThrottle'
  | 'signRecording'
  | 'sealStatus'
  | 'verifySeals'
  | 'signing'
  | 'trustedKeys'
  | 'dbId'
  | 'rollbackPending'
  | 'acceptRollback'
  | 'recordRollbackRefusal'
  | 'rollbackRefusals'
  | 'engine'
  | 'uploadRecordingAudio'
  | 'recordingAudio'
>;

/** How capture is wired (Workstation.open({ capture })); every field has a real default. */
export interface CaptureWiring {
  /** Default: PortAudio (naudiodon in a child process). */
  backend?: CaptureBackend;
  /** How the default backend starts its device process (default child_process.fork; the app: utilityProcess). */
  launcher?: ChildLauncher;
  /** Default: the real resampler, front end and quality measures. */
  pipelineParts?: PipelineParts;
  /** The countdown before recording starts (default 3 s). */
  countdownSec?: number;
  /** Device polling while a client watches (default 2000 ms). */
  watchIntervalMs?: number;
}

/** Everything a handler may use. One per Workstation. */
export interface Deps {
  store: ServiceStore;
  events: EventBus;
  sessions: Sessions;
  engine: AnalysisEnginePort | null;
  /** The data folder's at-rest key when its database and recordings are encrypted, else null. */
  atRest: AtRestKey | null;
  /** Why the engine is null, in words an admin can act on. */
  engineError: string | null;
  dbPath: string;
  dataDir: string;
  recordingsDir: string;
  exportsDir: string;
  inProgressDir: string;
  /** Site mode: recordings saved here while the site database could not be reached (else null). */
  outbox?: Outbox | null;
  /** The capture controller, created on first use (opening it starts no device). */
  readonly capture: CaptureController;
  /** The capture controller if anything has used it yet (so asking never creates one). */
  readonly captureIfStarted: CaptureController | null;
  readonly captureWiring: Readonly<CaptureWiring>;
  /** Export jobs, created on first use. */
  readonly exports: ExportJobsSlot;
  onClose(fn: () => void | Promise<void>): void;
}

/** Who is calling, from where. */
export interface PublicCall {
  user: UserInfo | null;
  transport: Transport;
  peer: string | undefined;
  sessionToken: string | null;
}
export interface UserCall extends PublicCall {
  user: UserInfo;
}

type Awaitable<T> = T | Promise<T>;

export type CommandDef<K extends CommandName> =
  | {
      /** Callable without signing in (sign-in itself, whoami, system status). */
      access: 'public';
      /** Audit actions this command appends (a test checks each command writes only these). */
      audit?: readonly AuditAction[];
      run(deps: Deps, call: PublicCall, params: ParamsOf<K>): Awaitable<ResultOf<K>>;
    }
  | {
      access: 'user';
      roles: readonly Role[];
      audit?: readonly AuditAction[];
      run(deps: Deps, call: UserCall, params: ParamsOf<K>): Awaitable<ResultOf<K>>;
    };

export type CommandTable<K extends CommandName> = { [P in K]: CommandDef<P> };

/** Append an audit entry for this call. Use inside `deps.store.tx(...)` with the change it records. */
export function audit(
  deps: Deps,
  call: PublicCall,
  action: AuditAction,
  objectType: string | null,
  objectId: string | number | null,
  details: Record<string, unknown> = {},
): void {
  deps.store.audit.append({
    username: call.user?.username ?? null,
    action,
    objectType,
    objectId,
    transport: call.transport,
    details: call.peer ? { ...details, peer: call.peer } : details,
  });
}
