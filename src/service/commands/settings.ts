/** Site settings: every signed-in user reads them (the UI obeys them); only an admin changes them. */
import { ROLES } from '../../common/roles.js';
import { SITE_SETTING_NAMES } from '../../common/site-settings.js';
import { audit, type CommandTable } from '../handler.js';

export const settingsCommands: CommandTable<'settings.get' | 'settings.set'> = {
  'settings.get': {
    access: 'user',
    roles: ROLES,
    run(deps) {
      return deps.store.settings.all();
    },
  },
  'settings.set': {
    access: 'user',
    roles: ['admin'],
    audit: ['settings.change'],
    run(deps, call, p) {
      return deps.store.tx(() => {
        const before = deps.store.settings.all();
        for (const name of SITE_SETTING_NAMES) {
          const value = p[name];
          if (value === undefined || value === before[name]) continue;
          deps.store.settings.set(name, value, call.user.id);
          audit(deps, call, 'settings.change', 'setting', name, { name, from: before[name], to: value });
        }
        return deps.store.settings.all();
      });
    },
  },
};
