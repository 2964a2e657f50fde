/** A test client of the loopback server speaking the wire protocol (tests only). */
import { WebSocket } from 'ws';
import type { WireEvent, WireResponse } from '../../src/service/api.js';

/** A connected API client speaking the wire protocol, recording events. */
export class WireClient {
  private nextId = 1;
  private readonly pending = new Map<number, (r: WireResponse) => void>();
  readonly events: WireEvent[] = [];
  readonly untagged: WireResponse[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse((data as Buffer).toString('utf8')) as WireResponse | WireEvent;
      if ('event' in msg) this.events.push(msg);
      else if (this.pending.has(msg.id)) {
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
      } else this.untagged.push(msg);
    });
  }
  static open(port: number, token: string, origin?: string): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(
        `ws://127.0.0.1:${port}/api/ws`,
        ['auscult.v1', `auscult-token.${token}`],
        origin ? { origin } : {},
      );
      ws.once('open', () => resolve(new WireClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }
  call(method: string, params: unknown): Promise<WireResponse> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  sendRaw(text: string): Promise<WireResponse> {
    return new Promise((resolve) => {
      const before = this.untagged.length;
      const t = setInterval(() => {
        if (this.untagged.length > before) {
          clearInterval(t);
          resolve(this.untagged[this.untagged.length - 1] as WireResponse);
        }
      }, 5);
      this.ws.send(text);
    });
  }
  close(): void {
    this.ws.close();
  }
}
