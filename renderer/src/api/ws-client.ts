/**
 * ApiClient over the loopback WebSocket. The per-start token (from the URL the server printed)
 * rides in the Sec-WebSocket-Protocol header; the session token is kept by the server, per
 * connection, and never reaches this page.
 */
import type {
  ApiClient,
  ApiErrorBody,
  ApiEvents,
  CommandName,
  EventName,
  ParamsOf,
  ResultOf,
  WireEvent,
  WireResponse,
} from '../../../src/service/api';
import { ApiCallError } from './errors';

type Pending = { resolve: (v: unknown) => void; reject: (e: ApiCallError) => void };
type Listener = (payload: unknown) => void;

export interface WsClient extends ApiClient {
  /** Called once when the connection drops (the session is gone with it). */
  onClose(listener: () => void): void;
}

export function connectWs(url: string, token: string): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['auscult.v1', `auscult-token.${token}`]);
    const pending = new Map<number, Pending>();
    const listeners = new Map<EventName, Set<Listener>>();
    const closeListeners: Array<() => void> = [];
    let nextId = 1;
    let opened = false;

    ws.addEventListener('open', () => {
      opened = true;
      resolve(client);
    });
    ws.addEventListener('close', () => {
      for (const p of pending.values()) {
        p.reject(
          new ApiCallError(
            'UNAVAILABLE',
            'The connection to the workstation was lost. Reload the page from the address `auscult serve` printed.',
          ),
        );
      }
      pending.clear();
      if (!opened) {
        reject(
          new ApiCallError(
            'UNAUTHENTICATED',
            'The workstation refused the connection: the access token is missing or out of date. Open the address printed by `auscult serve` again.',
          ),
        );
      }
      for (const l of closeListeners) l();
    });
    ws.addEventListener('message', (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      let msg: WireResponse | WireEvent;
      try {
        msg = JSON.parse(ev.data) as WireResponse | WireEvent;
      } catch {
        return;
      }
      if ('event' in msg) {
        const set = listeners.get(msg.event);
        if (set) for (const l of [...set]) l(msg.payload);
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(ApiCallError.fromBody(msg.error));
    });

    const client: WsClient = {
      call<K extends CommandName>(method: K, params: ParamsOf<K>): Promise<ResultOf<K>> {
        return new Promise<ResultOf<K>>((res, rej) => {
          if (ws.readyState !== WebSocket.OPEN) {
            rej(new ApiCallError('UNAVAILABLE', 'Not connected to the workstation. Reload the page.'));
            return;
          }
          const id = nextId++;
          pending.set(id, { resolve: (v) => res(v as ResultOf<K>), reject: rej });
          ws.send(JSON.stringify({ id, method, params }));
        });
      },
      on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
        let set = listeners.get(event);
        if (!set) listeners.set(event, (set = new Set()));
        const l = listener as Listener;
        set.add(l);
        return () => set.delete(l);
      },
      onClose(listener) {
        closeListeners.push(listener);
      },
    };
  });
}

export type { ApiErrorBody };
