/**
 * Imported FIRST by main.ts, for its side effect. app:// must be registered as privileged before
 * Electron's 'ready'; with an ESM entry point only the side effects of the entry's static imports
 * are sure to run before ready (Electron's ESM notes), so this is an import, not a statement in
 * main.ts.
 */
import { protocol } from 'electron';
import { APP_SCHEME_PRIVILEGES } from './app-protocol.js';

protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
