/**
 * Capture commands. STUB owned by the capture engineer: replace the bodies (keep the table's
 * keys). Until then every command answers a typed 'not available yet' error.
 */
import { ApiError } from '../errors.js';
import type { CommandTable } from '../handler.js';
import { RECORDERS } from '../access.js';

const notYet = (): never => {
  throw new ApiError('DEVICE', 'Recording from a stethoscope is not available in this build yet; import a WAV file instead.');
};

export const captureCommands: CommandTable<
  'capture.devices' | 'capture.pinDevice' | 'capture.start' | 'capture.stop' | 'capture.cancel' | 'capture.status'
> = {
  'capture.devices': { access: 'user', roles: RECORDERS, run: notYet },
  'capture.pinDevice': { access: 'user', roles: RECORDERS, run: notYet },
  'capture.start': { access: 'user', roles: RECORDERS, audit: ['recording.create'], run: notYet },
  'capture.stop': { access: 'user', roles: RECORDERS, audit: ['recording.create'], run: notYet },
  'capture.cancel': { access: 'user', roles: RECORDERS, run: notYet },
  'capture.status': { access: 'user', roles: RECORDERS, run: notYet },
};
