/**
 * The one window's options. Every security switch is spelled out even where it is Electron's
 * default, so a reviewer (and test/shell/window-options.test.ts) can see each one.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (dist/preload/preload.cjs). */
  preload: string;
  /** PNG icon for Linux/Windows title bars; macOS takes the bundle icon. */
  icon?: string;
  /** DevTools only in development (unpackaged) builds. */
  devTools: boolean;
}

export function mainWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    title: 'Auscult',
    width: 1360,
    height: 860,
    minWidth: 1024,
    minHeight: 680,
    show: false, // shown on 'ready-to-show': no white flash, no half-drawn UI
    backgroundColor: '#ffffff',
    ...(input.icon ? { icon: input.icon } : {}),
    webPreferences: {
      preload: input.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      enableWebSQL: false,
      // Chromium's spellchecker downloads dictionaries from Google: no remote anything.
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      devTools: input.devTools,
    },
  };
}
