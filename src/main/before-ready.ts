/**
 * Imported FIRST by main.ts, for its side effects, which must happen before Electron's 'ready':
 * with an ESM entry point only the side effects of the entry's static imports are sure to run
 * before ready (Electron's ESM notes), so this is an import, not statements in main.ts.
 */
import { app, protocol } from 'electron';
import { APP_SCHEME_PRIVILEGES } from './app-protocol.js';

// Every renderer sandboxed, whatever options a window is given (the window also sets sandbox: true).
app.enableSandbox();
// app:// gets a real, secure origin, so 'self' in the CSP means our files and nothing else.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
