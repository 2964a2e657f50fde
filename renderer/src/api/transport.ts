/**
 * Picks the transport the page was given: Electron's preload bridge (window.auscult) when
 * present, else the loopback WebSocket with the token from the URL fragment.
 */
import type { ApiClient, ApiErrorBody } from '../../../src/service/api';
import { ApiCallError } from './errors';
import { connectWs } from './ws-client';

declare global {
  interface Window {
    /** Exposed by src/preload through contextBridge in the desktop app. */
    auscult?: ApiClient;
  }
}

const TOKEN_KEY = 'auscult.serverToken';

/** Reads the token from `#token=…`, keeps it for reloads of this tab, and takes it out of the address bar. */
function takeToken(): string | null {
  const m = /(?:^#|&)token=([0-9a-f]+)/.exec(location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', location.pathname + location.search);
    return m[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export interface Connected {
  api: ApiClient;
  onClose(listener: () => void): void;
}

/**
 * The preload rejects with a plain `{ name: 'ApiError', code, message }` (the context bridge
 * would drop an Error's code); give the views the same ApiCallError the WebSocket client throws.
 */
function fromBridge(bridge: ApiClient): ApiClient {
  return {
    call: (method, params) =>
      bridge.call(method, params).catch((err: unknown) => {
        if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
          const e = err as { code: ApiErrorBody['code']; message: string; details?: unknown };
          throw new ApiCallError(e.code, e.message, e.details);
        }
        throw err;
      }),
    on: (event, listener) => bridge.on(event, listener),
  };
}

export async function connect(): Promise<Connected> {
  if (window.auscult) return { api: fromBridge(window.auscult), onClose: () => undefined };
  const token = takeToken();
  if (!token) {
    throw new ApiCallError(
      'UNAUTHENTICATED',
      'This address has no access token. Open the full address printed by `auscult serve` (it ends in #token=…).',
    );
  }
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = await connectWs(`${proto}//${location.host}/api/ws`, token);
  return { api: ws, onClose: (l) => ws.onClose(l) };
}
