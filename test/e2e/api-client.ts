/** A Node client of the loopback API (as a second user at the same time as the browser), for setting up and checking state. */
import { WebSocket } from 'ws';
import type { ApiErrorBody, CommandName, ParamsOf, ResultOf, WireResponse } from '../../src/service/api.js';

export class ApiCallFailed extends Error {
  constructor(readonly body: ApiErrorBody) {
    super(`${body.code}: ${body.message}`);
  }
}

export class NodeApiClient {
  private nextId = 1;
  private readonly pending = new Map<number, (r: WireResponse) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse((data as Buffer).toString('utf8')) as WireResponse | { event: string };
      if ('id' in msg) {
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
      }
    });
  }

  static open(port: number, token: string): Promise<NodeApiClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, ['auscult.v1', `auscult-token.${token}`]);
      ws.once('open', () => resolve(new NodeApiClient(ws)));
      ws.once('error', reject);
    });
  }

  call<K extends CommandName>(method: K, params: ParamsOf<K>): Promise<ResultOf<K>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (r) => (r.ok ? resolve(r.result as ResultOf<K>) : reject(new ApiCallFailed(r.error))));
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
