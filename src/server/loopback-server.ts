/**
 * The workstation API over HTTP + WebSocket on 127.0.0.1, serving the built renderer.
 *
 * - HTTP (GET/HEAD only): the static UI, with a strict CSP. The page holds no data, so it needs
 *   no token; every request must still name us as Host (DNS-rebinding defence).
 * - WebSocket at /api/ws: the API. The handshake must carry the per-start token (in the
 *   Sec-WebSocket-Protocol header), a loopback Host and, from a browser, our own Origin.
 *   Messages are WireRequest → WireResponse; service events are pushed as WireEvent.
 * - Each WebSocket is one service connection (src/service/connection.ts), which keeps the
 *   session token (the page never sees it) and routes events. This file frames messages, checks
 *   Host/Origin/token, and applies the flow control below.
 *
 * Flow control, per connection (so one client can neither grow the server's memory nor starve
 * the others):
 * - at most MAX_IN_FLIGHT requests run at once; further messages wait in a short queue, and
 *   beyond it the socket is paused (TCP then pushes back on the client);
 * - answers not yet taken by the client are counted (bytes handed to ws and not yet written to
 *   the socket); past PAUSE_BYTES no new request is started and reading is paused until they
 *   drain below RESUME_BYTES. So a client that never reads holds at most about
 *   PAUSE_BYTES + MAX_IN_FLIGHT answers, however many requests it sends;
 * - each next request of a connection starts from a fresh turn of the event loop (setImmediate),
 *   so other connections' messages are read and served between two of its requests;
 * - live display events (frames, level) are dropped for a client this far behind; if even the
 *   other events pile up past CLOSE_BYTES the connection is closed with a reason.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { RawData } from 'ws';
import type { EventName, WireEvent, WireResponse } from '../service/api.js';
import type { ConnectionFactory, ServiceConnection } from '../service/connection.js';
import { toErrorBody } from '../service/errors.js';
import {
  WIRE_PROTOCOL,
  isAllowedHost,
  isAllowedOrigin,
  newServerToken,
  parseProtocolHeader,
  securityHeaders,
  tokenMatches,
} from './security.js';
import { defaultRendererDir, readStatic } from './static-files.js';
import { MAX_MESSAGE_BYTES, errorResponse, parseRequest } from './wire.js';

export const API_PATH = '/api/ws';

/** Live display events are dropped for a client this far behind (capture itself never waits). */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;
/** Requests of one connection running at once. */
export const MAX_IN_FLIGHT = 8;
/** Messages read but not yet started, before the socket is paused. */
const MAX_QUEUED = 8;
/** Unwritten answer bytes at which a connection stops starting requests and reading. */
const PAUSE_BYTES = 8 * 1024 * 1024;
const RESUME_BYTES = 2 * 1024 * 1024;
/** Unwritten bytes at which a client that does not read is closed (events only grow it past PAUSE_BYTES). */
const CLOSE_BYTES = PAUSE_BYTES + 32 * 1024 * 1024;
/** Close code and reason for a client that does not read (RFC 6455 1008: policy violation). */
export const SLOW_CLIENT_CLOSE = { code: 1008, reason: 'The client did not read its answers; reconnect.' } as const;
const DROPPABLE: ReadonlySet<EventName> = new Set<EventName>(['capture.frames', 'capture.level']);

export interface LoopbackServerOptions {
  workstation: ConnectionFactory;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Folder of the built renderer; default dist/renderer. */
  rendererDir?: string;
  /** Fixed token (tests); default a fresh random one per start. */
  token?: string;
}

export interface LoopbackServer {
  port: number;
  token: string;
  /** The URL to open: the token travels in the fragment, which browsers never send to a server. */
  url: string;
  /** Open API connections (for tests and status). */
  connections(): number;
  close(): Promise<void>;
}

interface Connection {
  ws: WebSocket;
  service: ServiceConnection;
  droppedEvents: number;
  /** Messages read, waiting for a free request slot. */
  queue: { data: RawData; isBinary: boolean }[];
  inFlight: number;
  /** Bytes handed to ws and not yet written to the socket. */
  unwritten: number;
  scheduled: boolean;
}

function reject(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({
    ok: false,
    error: { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', message },
  });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

export async function startLoopbackServer(opts: LoopbackServerOptions): Promise<LoopbackServer> {
  const token = opts.token ?? newServerToken();
  const rendererDir = opts.rendererDir ?? defaultRendererDir();
  const workstation = opts.workstation;
  const conns = new Set<Connection>();
  let port = 0;

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const host = req.headers.host;
    if (!isAllowedHost(host, port)) {
      sendText(res, 403, `Forbidden: this server answers only to 127.0.0.1:${port} or localhost:${port}.`);
      return;
    }
    const headers = securityHeaders(host ?? `127.0.0.1:${port}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method not allowed: the API is on the WebSocket at ' + API_PATH, {
        ...headers,
        Allow: 'GET, HEAD',
      });
      return;
    }
    const file = readStatic(rendererDir, req.url ?? '/');
    if (!file) {
      const missingUi = (req.url ?? '/') === '/' || req.url === '/index.html';
      sendText(
        res,
        404,
        missingUi ? `The workstation UI is not built (${rendererDir} is missing). Run: npm run build` : 'Not found',
        headers,
      );
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': file.type,
      'Content-Length': String(file.body.length),
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(WIRE_PROTOCOL) ? WIRE_PROTOCOL : false),
  });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '';
    if (url.split('?')[0] !== API_PATH) {
      reject(socket, 404, 'Not Found', `The API is at ${API_PATH}.`);
      return;
    }
    if (!isAllowedHost(req.headers.host, port)) {
      reject(socket, 403, 'Forbidden', `Host must be 127.0.0.1:${port} or localhost:${port}.`);
      return;
    }
    if (!isAllowedOrigin(req.headers.origin, port)) {
      reject(socket, 403, 'Forbidden', 'Requests from other web pages are refused.');
      return;
    }
    const proto = parseProtocolHeader(req.headers['sec-websocket-protocol']);
    if (!proto.wire || !tokenMatches(token, proto.token)) {
      reject(socket, 401, 'Unauthorized', 'Missing or wrong access token: open the URL printed by `auscult serve`.');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const peer = `${req.socket.remoteAddress ?? '?'}:${String(req.socket.remotePort ?? '?')}`;
      const conn: Connection = {
        ws,
        service: workstation.connect({ transport: 'http', peer }),
        droppedEvents: 0,
        queue: [],
        inFlight: 0,
        unwritten: 0,
        scheduled: false,
      };
      conn.service.onEvent((event) => {
        deliver(conn, event);
      });
      conns.add(conn);
      const gone = (): void => {
        // A closed tab must not leave its session open: nobody can reach it any more.
        if (conns.delete(conn)) void conn.service.close();
      };
      ws.on('message', (data: RawData, isBinary: boolean) => {
        conn.queue.push({ data, isBinary });
        pump(conn);
      });
      ws.on('close', gone);
      ws.on('error', gone);
    });
  });

  function send(conn: Connection, msg: WireResponse | WireEvent): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(msg);
    const bytes = Buffer.byteLength(text);
    conn.unwritten += bytes;
    conn.ws.send(text, () => {
      // Written to the socket (or the socket is gone): count it out, maybe read again.
      conn.unwritten -= bytes;
      if (conn.ws.isPaused && conn.unwritten < RESUME_BYTES) schedule(conn);
    });
  }

  /**
   * The next requests of a connection start on a later turn of the event loop, never straight
   * from a completion (a write callback or a finished request): that chain would run one
   * client's requests back to back without ever reading another socket.
   */
  function schedule(conn: Connection): void {
    if (conn.scheduled) return;
    conn.scheduled = true;
    setImmediate(() => {
      conn.scheduled = false;
      pump(conn);
    });
  }

  /** Start queued requests while there is room; pause or resume reading to match. */
  function pump(conn: Connection): void {
    while (conn.inFlight < MAX_IN_FLIGHT && conn.unwritten < PAUSE_BYTES && conn.queue.length > 0) {
      const m = conn.queue.shift()!;
      conn.inFlight++;
      void onMessage(conn, m.data, m.isBinary).finally(() => {
        conn.inFlight--;
        schedule(conn);
      });
    }
    const behind = conn.queue.length >= MAX_QUEUED || conn.unwritten >= PAUSE_BYTES;
    if (behind && !conn.ws.isPaused) conn.ws.pause();
    else if (!behind && conn.ws.isPaused && conn.unwritten < RESUME_BYTES) conn.ws.resume();
  }

  async function onMessage(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) {
      send(
        conn,
        errorResponse(-1, { code: 'INVALID_INPUT', message: 'Binary messages are not accepted; send JSON text.' }),
      );
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseRequest(text);
    if (!parsed.ok) {
      send(conn, errorResponse(parsed.id, parsed.error));
      return;
    }
    try {
      const result = await conn.service.callWire(parsed.method, parsed.params);
      send(conn, { id: parsed.id, ok: true, result });
    } catch (err) {
      const body = toErrorBody(err);
      if (body.code === 'INTERNAL') console.error(`auscult serve: ${parsed.method} failed:`, err);
      send(conn, errorResponse(parsed.id, body));
    }
  }

  /** The slow-client policy for events (see the top of this file). */
  function deliver(conn: Connection, event: WireEvent): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    if (DROPPABLE.has(event.event) && conn.unwritten > SLOW_CLIENT_BYTES) {
      conn.droppedEvents++;
      return;
    }
    if (conn.unwritten > CLOSE_BYTES) {
      conn.ws.close(SLOW_CLIENT_CLOSE.code, SLOW_CLIENT_CLOSE.reason);
      return;
    }
    send(conn, event);
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    http.once('error', rejectListen);
    http.listen(opts.port ?? 0, '127.0.0.1', () => {
      http.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (http.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    connections: () => conns.size,
    async close() {
      const open = [...conns];
      conns.clear();
      for (const conn of open) conn.ws.terminate();
      await Promise.all(open.map((c) => c.service.close()));
      await new Promise<void>((r) => wss.close(() => r()));
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
