/**
 * What the loopback server needs from the workstation service: call a command in a caller's
 * context, and listen to events. The real Workstation (src/service/workstation.ts) satisfies it.
 */
import type { CommandName, EventName } from '../service/api.js';

export interface ServerCallContext {
  sessionToken: string | null;
  transport: 'http';
  peer: string;
}

/** One event, and (when it concerns one session only) which session it is for. */
export interface ServiceEventEnvelope {
  event: EventName;
  payload: unknown;
  sessionToken?: string | null;
}

export interface ServerWorkstation {
  call(ctx: ServerCallContext, method: CommandName, params: unknown): Promise<unknown>;
  onEvent(listener: (env: ServiceEventEnvelope) => void): () => void;
  /** Whether a session token is still live: events go only to live sessions. */
  isSessionLive?(token: string | null | undefined): boolean;
}
