/** A typed event bus for ApiEvents. A listener's failure never reaches the emitter. */
import type { ApiEvents, EventName, WireEvent } from './api.js';

/** An event as it leaves the service; `sessionToken` set when it concerns one session only. */
export interface EventEnvelope extends WireEvent {
  sessionToken?: string | null;
}

export class EventBus {
  private readonly listeners = new Set<(env: EventEnvelope) => void>();

  emit<E extends EventName>(event: E, payload: ApiEvents[E], sessionToken?: string | null): void {
    const env: EventEnvelope = sessionToken === undefined ? { event, payload } : { event, payload, sessionToken };
    for (const l of [...this.listeners]) {
      try {
        l(env);
      } catch (err) {
        // A broken transport must not break capture or another window.
        console.error(`auscult: event listener failed on ${event}:`, err);
      }
    }
  }

  on(listener: (env: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Only events named `event`, with their typed payload. */
  onEvent<E extends EventName>(
    event: E,
    listener: (payload: ApiEvents[E], sessionToken?: string | null) => void,
  ): () => void {
    return this.on((env) => {
      if (env.event === event) listener(env.payload as ApiEvents[E], env.sessionToken);
    });
  }

  clear(): void {
    this.listeners.clear();
  }
}
