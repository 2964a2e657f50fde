/**
 * The handler pattern: each command group (src/service/commands/<group>.ts) exports a
 * `CommandTable` of `{ access, roles, audit, run }`; registry.ts joins them and checks at compile
 * time that every CommandName has exactly one handler. Params arrive already validated by
 * PARAM_SCHEMAS (schemas.ts) and the caller's role already checked.
 */
import type { AnalysisResult, CommandName, ModelCard, ParamsOf, ResultOf, Role, Transport, UserInfo } from './api.js';
import type { Store } from '../store/index.js';
import type { EventBus } from './events.js';
import type { Sessions } from './sessions.js';
import type { ModelVersions } from '../inference/analysis-types.js';

/** What the service needs from the analysis engine (src/inference/engine.ts satisfies it). */
export interface AnalysisEnginePort {
  analyzeRecording(samples: Float32Array, sampleRate: number): Promise<AnalysisResult>;
  readonly card: ModelCard;
  /** Engine and model versions (for model.info); optional so a minimal engine still fits. */
  readonly versions?: ModelVersions;
}

/** Everything a handler may use. One per Workstation. */
export interface Deps {
  store: Store;
  events: EventBus;
  sessions: Sessions;
  engine: AnalysisEnginePort | null;
  /** Why the engine is null, in words an admin can act on. */
  engineError: string | null;
  dbPath: string;
  dataDir: string;
  recordingsDir: string;
  exportsDir: string;
  inProgressDir: string;
  /**
   * Per-workstation singletons owned by a command group (the capture controller, export jobs):
   * `slots.get('capture')`. Create lazily; register cleanup with `onClose`.
   */
  slots: Map<string, unknown>;
  onClose(fn: () => void | Promise<void>): void;
  /** Wiring passed to Workstation.open for other groups (capture backend, device store ...). */
  options: Readonly<Record<string, unknown>>;
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
      /** Audit actions this command appends (documentation, and what the tests look for). */
      audit?: readonly string[];
      run(deps: Deps, call: PublicCall, params: ParamsOf<K>): Awaitable<ResultOf<K>>;
    }
  | {
      access: 'user';
      roles: readonly Role[];
      audit?: readonly string[];
      run(deps: Deps, call: UserCall, params: ParamsOf<K>): Awaitable<ResultOf<K>>;
    };

export type CommandTable<K extends CommandName> = { [P in K]: CommandDef<P> };

/** Append an audit entry for this call. Use inside `deps.store.tx(...)` with the change it records. */
export function audit(
  deps: Deps,
  call: PublicCall,
  action: string,
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
