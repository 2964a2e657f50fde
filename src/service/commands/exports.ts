/**
 * Export commands. STUB owned by the export engineer: replace the bodies (keep the table's keys).
 * Until then every command answers a typed 'not available yet' error.
 */
import { ApiError } from '../errors.js';
import type { CommandTable } from '../handler.js';

const notYet = (): never => {
  throw new ApiError('STORAGE', 'Exports are not available in this build yet.');
};

export const exportsCommands: CommandTable<'exports.start' | 'exports.cancel' | 'exports.status' | 'exports.list' | 'exports.download'> = {
  'exports.start': { access: 'user', roles: ['auditor', 'pulmonologist'], audit: ['export.start'], run: notYet },
  'exports.cancel': { access: 'user', roles: ['auditor', 'pulmonologist'], run: notYet },
  'exports.status': { access: 'user', roles: ['auditor', 'pulmonologist'], run: notYet },
  'exports.list': { access: 'user', roles: ['auditor', 'pulmonologist'], run: notYet },
  'exports.download': { access: 'user', roles: ['auditor', 'pulmonologist'], audit: ['export.download'], run: notYet },
};
