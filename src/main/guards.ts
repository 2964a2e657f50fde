/**
 * Navigation, new-window, webview and permission handlers: the page may only ever show our own
 * app:// files, open nothing, and is granted no browser permission (capture runs in the main
 * process, so the page needs neither microphone nor USB). Small pure functions, wired to every
 * webContents in main.ts and unit-tested in test/shell/guards.test.ts.
 */
import { isAppUrl } from './app-protocol.js';

interface Preventable {
  preventDefault(): void;
}

/** True when a navigation to `url` may proceed: only within app://auscult. */
export function navigationAllowed(url: string): boolean {
  return isAppUrl(url);
}

/**
 * For 'will-navigate', 'will-frame-navigate' and 'will-redirect': cancels anything leaving our
 * origin. Returns whether it was allowed (for the log).
 */
export function guardNavigation(event: Preventable, url: string): boolean {
  if (navigationAllowed(url)) return true;
  event.preventDefault();
  return false;
}

/** setWindowOpenHandler: no window.open, no target=_blank, no popups of any kind. */
export function denyWindowOpen(): { action: 'deny' } {
  return { action: 'deny' };
}

/** 'will-attach-webview': never (webviewTag is off too; this is the second lock). */
export function denyWebview(event: Preventable): void {
  event.preventDefault();
}

/** session.setPermissionRequestHandler: every request is refused. */
export function denyPermissionRequest(
  _webContents: unknown,
  _permission: string,
  callback: (granted: boolean) => void,
): void {
  callback(false);
}

/** session.setPermissionCheckHandler: every check answers "not granted". */
export function denyPermissionCheck(): boolean {
  return false;
}

/** session.setDevicePermissionHandler (WebHID/WebUSB/serial): no device reaches the page. */
export function denyDevicePermission(): boolean {
  return false;
}

/**
 * session.webRequest.onBeforeRequest: the page may load only our app:// files, and blob:/data:
 * URLs it made itself (audio playback, exported files). Nothing from the network, no file://.
 */
export function requestAllowed(url: string, allowDevTools: boolean): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:') return true;
  if (u.protocol === 'blob:') return isAppUrl(u.pathname);
  if (isAppUrl(url)) return true;
  return allowDevTools && u.protocol === 'devtools:';
}
