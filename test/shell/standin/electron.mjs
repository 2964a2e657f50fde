// A stand-in for the 'electron' module, for test/shell/main-process.test.ts ONLY: Electron's
// binary cannot run on the build machines, so this runs the real compiled main process (and the
// real service it opens) under plain Node, playing Electron's side of the lifecycle in the order
// Electron documents: entry imported -> 'ready' -> ... -> quit ('before-quit', windows 'close',
// 'will-quit'). It records what the main process did and prints one JSON report on exit.
import { EventEmitter } from 'node:events';
import { utilityProcess } from './utility-process.mjs';

export { utilityProcess };

const report = { calls: [], windows: [], errors: [] };
const note = (what) => report.calls.push(what);
globalThis.__electronStandin = report;

let readyFired = false;
let resolveReady;
const readyPromise = new Promise((r) => (resolveReady = r));

class StandInApp extends EventEmitter {
  isPackaged = false;
  getVersion() {
    return '0.0.0-test';
  }
  getName() {
    return 'Auscult';
  }
  getAppPath() {
    return process.env.STANDIN_APP_PATH;
  }
  requestSingleInstanceLock() {
    note('requestSingleInstanceLock');
    return true;
  }
  enableSandbox() {
    note(`enableSandbox${readyFired ? ' AFTER READY' : ''}`);
  }
  whenReady() {
    return readyPromise;
  }
  isReady() {
    return readyFired;
  }
  quit() {
    note('app.quit');
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) {
      note('before-quit prevented');
      return;
    }
    for (const w of windows) {
      let closePrevented = false;
      w.emit('close', { preventDefault: () => (closePrevented = true) });
      if (closePrevented) {
        note('close prevented during quit');
        return;
      }
      w.emit('closed');
    }
    this.emit('will-quit', { preventDefault() {} });
    note('quit');
    setTimeout(() => {
      process.stdout.write('STANDIN-REPORT ' + JSON.stringify(report) + '\n');
      process.exit(0);
    }, 50);
  }
  exit(code) {
    note(`app.exit(${code})`);
    process.stdout.write('STANDIN-REPORT ' + JSON.stringify(report) + '\n');
    process.exit(code);
  }
}
export const app = new StandInApp();

const windows = [];
let nextId = 1;
class StandInWebContents extends EventEmitter {
  constructor() {
    super();
    this.id = nextId++;
    this.sent = [];
    this.windowOpenHandler = null;
  }
  send(channel, message) {
    this.sent.push({ channel, message });
  }
  isDestroyed() {
    return false;
  }
  setWindowOpenHandler(h) {
    this.windowOpenHandler = h;
  }
}
export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new StandInWebContents();
    app.emit('web-contents-created', {}, this.webContents);
    windows.push(this);
    report.windows.push({ options });
    globalThis.__standinWindow = this;
  }
  static getAllWindows() {
    return [...windows];
  }
  async loadURL(url) {
    note(`loadURL ${url}`);
    this.loadedUrl = url;
    setTimeout(() => this.emit('ready-to-show'), 0);
    process.nextTick(() => globalThis.__standinLoaded?.(this));
  }
  show() {
    note('window.show');
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {}
}

export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    note(`registerSchemesAsPrivileged${readyFired ? ' AFTER READY' : ''}`);
    report.schemes = schemes;
  },
  handle(scheme, handler) {
    note(`protocol.handle ${scheme}`);
    globalThis.__standinProtocol = handler;
  },
};

export const ipcMain = {
  handle(channel, handler) {
    note(`ipcMain.handle ${channel}`);
    globalThis.__standinIpc = handler;
  },
};

const webRequest = {
  onBeforeRequest(filter, fn) {
    note('webRequest.onBeforeRequest');
    globalThis.__standinRequestFilter = fn;
  },
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler(h) {
      note('setPermissionRequestHandler');
      globalThis.__standinPermRequest = h;
    },
    setPermissionCheckHandler(h) {
      note('setPermissionCheckHandler');
      globalThis.__standinPermCheck = h;
    },
    setDevicePermissionHandler(h) {
      note('setDevicePermissionHandler');
      globalThis.__standinDevice = h;
    },
    webRequest,
  },
};

export const Menu = {
  buildFromTemplate(t) {
    return { template: t };
  },
  setApplicationMenu(m) {
    note('setApplicationMenu');
    report.menu = m.template.map((i) => i.label);
  },
};

export const dialog = {
  showErrorBox(title, message) {
    report.errors.push(`${title}: ${message}`);
  },
};

// Electron emits 'ready' once the ESM entry point and its static imports have been evaluated.
setTimeout(() => {
  readyFired = true;
  note('ready');
  app.emit('ready');
  resolveReady();
}, 100);

/** The OS keystore: unavailable in the stand-in (the app then opens a plain data folder). */
export const safeStorage = {
  isEncryptionAvailable: () => false,
  encryptString: () => {
    throw new Error('no keystore in the stand-in');
  },
  decryptString: () => {
    throw new Error('no keystore in the stand-in');
  },
};

export default { app, BrowserWindow, protocol, ipcMain, session, Menu, dialog, safeStorage, utilityProcess };
