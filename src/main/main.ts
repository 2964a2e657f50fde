/**
 * The Electron main process: the thin wiring of the pure pieces in this folder. Everything with
 * a decision in it (window options, CSP, guards, IPC checks, the bridge, shutdown) lives in its
 * own module with unit tests; this file only connects them to Electron.
 *
 * ESM entry: what must precede `ready` (the app:// scheme) is a static import's side effect
 * (before-ready.ts); the service is imported after ready, once the models folder (packaged)
 * is settled.
 */
import './before-ready.js';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, session, utilityProcess } from 'electron';
import type { WebContents } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionFactory } from '../service/connection.js';
import { defaultEngineLoader } from '../service/engine-loader.js';
import { appDataDir, defaultDbPath } from '../service/paths.js';
import { APP_INDEX_URL, APP_SCHEME, createAppProtocolHandler } from './app-protocol.js';
import { shellPaths } from './app-paths.js';
import { appAtRestKey, signingKeyCustody } from './os-keystore.js';
import { utilityProcessLauncher } from './utility-launcher.js';
import { createFileLog } from './file-log.js';
import type { FileLog } from './file-log.js';
import {
  denyDevicePermission,
  denyPermissionCheck,
  denyPermissionRequest,
  denyWebview,
  denyWindowOpen,
  guardNavigation,
  requestAllowed,
} from './guards.js';
import { IpcBridge } from './ipc-bridge.js';
import { CALL_CHANNEL } from './ipc-contract.js';
import { applicationMenuTemplate } from './menu.js';
import { gracefulShutdown } from './shutdown.js';
import { mainWindowOptions } from './window-options.js';

const devBuild = !app.isPackaged;

/** Every webContents (the window, and anything a bug might create) gets the same locks. */
function harden(contents: WebContents, log: FileLog): void {
  const refuse = (kind: string) => (event: { preventDefault(): void }, url: string) => {
    if (!guardNavigation(event, url)) log.warn(`blocked ${kind}`, { url: url.slice(0, 200) });
  };
  contents.on('will-navigate', (event) => refuse('navigation')(event, event.url));
  contents.on('will-frame-navigate', (event) => refuse('frame navigation')(event, event.url));
  contents.on('will-redirect', (event) => refuse('redirect')(event, event.url));
  contents.on('will-attach-webview', (event) => {
    denyWebview(event);
    log.warn('blocked a webview');
  });
  contents.setWindowOpenHandler((details) => {
    log.warn('blocked a new window', { url: details.url.slice(0, 200) });
    return denyWindowOpen();
  });
}

function lockSession(log: FileLog): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((wc, permission, callback) => {
    log.warn('denied a permission request', { permission });
    denyPermissionRequest(wc, permission, callback);
  });
  ses.setPermissionCheckHandler(denyPermissionCheck);
  ses.setDevicePermissionHandler(denyDevicePermission);
  ses.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => {
    const allowed = requestAllowed(details.url, devBuild);
    if (!allowed) log.warn('blocked a request', { url: details.url.slice(0, 200) });
    callback({ cancel: !allowed });
  });
}

type Service = ConnectionFactory & { close(): Promise<void> };

async function openService(dataDir: string, log: FileLog): Promise<Service> {
  const paths = shellPaths(app.getAppPath(), app.isPackaged);
  // `npm start` has already pointed the ABI-specific native modules at their Electron builds
  // (scripts/electron-native-prime.cjs, loaded through NODE_OPTIONS before this file).
  const nativeDir = process.env['AUSCULT_ELECTRON_NATIVE_DIR'];
  if (devBuild) log.info('native modules', { electronBuilds: nativeDir ?? 'node_modules (none separate)' });
  // The models ship unpacked next to app.asar; the inference room reads AUSCULT_MODELS_DIR.
  if (app.isPackaged && !process.env['AUSCULT_MODELS_DIR']) process.env['AUSCULT_MODELS_DIR'] = paths.modelsDir;
  const { Workstation } = await import('../service/workstation.js');
  // An interrupted recording stays in the in-progress folder untouched: the service lists it
  // (recordings.pendingRecovery) and the UI offers it after sign-in. The shell never clears it.
  const dbPath = defaultDbPath(dataDir);
  return Workstation.open({
    dbPath,
    dataDir,
    // The at-rest key from the OS keystore (or none: a plain folder); see os-keystore.ts.
    atRest: appAtRestKey(dataDir, dbPath, safeStorage),
    // The capture device helper runs as an Electron utility process: no runAsNode fuse needed.
    capture: { launcher: utilityProcessLauncher(utilityProcess) },
    // The audit signing key: sealed by the OS keystore for such a folder, else a key file.
    keyCustody: signingKeyCustody(dataDir, safeStorage),
    // A restored older copy waits for an administrator's acceptance on the sign-in page.
    offerRollbackAcceptance: true,
    // As `auscult serve` does: a model problem leaves the app usable (recordings stored, unanalysed)
    // and is reported by model.info / system.status.
    loadEngine: defaultEngineLoader((line) => {
      log.info(`models: ${line}`);
    }),
  });
}

function main(): void {
  // Private files (0600) and folders (0700) for everything the app and its libraries write.
  process.umask(0o077);
  const dataDir = appDataDir();
  const log = createFileLog({ dir: join(dataDir, 'logs'), echo: devBuild });
  log.info('starting', { version: app.getVersion(), electron: process.versions['electron'], packaged: app.isPackaged });
  process.on('uncaughtException', (err) => log.error('uncaught exception', { error: err.stack ?? err.message }));
  process.on('unhandledRejection', (err) =>
    log.error('unhandled rejection', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );

  let win: BrowserWindow | null = null;
  let service: Service | null = null;
  let bridge: IpcBridge | null = null;
  let phase: 'running' | 'stopping' | 'done' = 'running';

  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_event, contents) => harden(contents, log));
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (phase === 'done') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    log.info('quitting: settling recordings and closing the service');
    const current = service;
    void gracefulShutdown({
      connections: bridge?.signedIn() ?? [],
      close: async () => {
        await bridge?.dispose();
        await current?.close();
      },
      log,
    }).finally(() => {
      phase = 'done';
      app.quit();
    });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  app
    .whenReady()
    .then(async () => {
      const paths = shellPaths(app.getAppPath(), app.isPackaged);
      if (!existsSync(join(paths.rendererDir, 'index.html'))) {
        throw new Error(
          `The user interface is not built (${paths.rendererDir} has no index.html). Run \`npm run build\`, or start with \`npm start\`.`,
        );
      }
      lockSession(log);
      protocol.handle(APP_SCHEME, createAppProtocolHandler(paths.rendererDir));
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          applicationMenuTemplate({ platform: process.platform, appName: app.getName(), devTools: devBuild }),
        ),
      );

      service = await openService(dataDir, log);
      const activeBridge = new IpcBridge(service, log);
      bridge = activeBridge;
      ipcMain.handle(CALL_CHANNEL, (event, payload: unknown) => activeBridge.handle(event, payload));

      const window = new BrowserWindow(
        mainWindowOptions({ preload: paths.preload, icon: paths.icon, devTools: devBuild }),
      );
      win = window;
      const contentsId = window.webContents.id;
      activeBridge.attach(window.webContents);
      window.once('ready-to-show', () => window.show());
      // One window: closing it quits, through the same graceful path as the menu's Quit.
      window.on('close', (event) => {
        if (phase !== 'done') {
          event.preventDefault();
          app.quit();
        }
      });
      window.on('closed', () => {
        void activeBridge.detach(contentsId);
        win = null;
      });
      window.webContents.on('render-process-gone', (_event, details) =>
        log.error('renderer gone', { reason: details.reason, exitCode: details.exitCode }),
      );
      await window.loadURL(APP_INDEX_URL);
      log.info('window loaded', { url: APP_INDEX_URL });
    })
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      log.error('start-up failed', { error: err instanceof Error ? (err.stack ?? message) : message });
      dialog.showErrorBox('Auscult could not start', `${message}\n\nThe log is at ${log.path}.`);
      phase = 'done';
      // Close the database cleanly if it was opened, then leave without the quit sequence.
      void Promise.resolve(service?.close())
        .catch(() => undefined)
        .finally(() => app.exit(1));
    });
}

// One instance only: a second launch focuses the running window (two instances would fight
// over the database and the stethoscope).
if (app.requestSingleInstanceLock()) main();
else app.quit();
