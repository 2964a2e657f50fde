/** Model card and system status. */
import { DISCLAIMER } from '../api.js';
import { LATEST_SCHEMA_VERSION } from '../../store/index.js';
import type { CommandTable } from '../handler.js';
import { ROLES } from '../../common/roles.js';
import { modelFacts } from '../model-facts.js';

export const APP_VERSION = '0.1.0';

export const systemCommands: CommandTable<'model.info' | 'system.status'> = {
  'model.info': {
    access: 'user',
    roles: ROLES,
    run(deps) {
      const e = deps.engine;
      return {
        card: e?.card ?? null,
        facts: modelFacts(e?.card ?? null, e?.soundsCard ?? null),
        error: e
          ? null
          : (deps.engineError ??
            'The analysis engine is not loaded. Run "auscult models" to build the models, then restart the workstation.'),
        yamnet: e?.versions?.yamnet ?? null,
        engineVersion: e?.versions?.engineVersion ?? 'unavailable',
        disclaimer: DISCLAIMER,
      };
    },
  },
  'system.status': {
    access: 'public',
    run(deps, call) {
      if (!call.user) return { version: APP_VERSION, detail: null };
      return {
        version: APP_VERSION,
        detail: {
          engineReady: deps.engine !== null,
          modelError: deps.engine ? null : (deps.engineError ?? 'The analysis engine is not loaded.'),
          schemaVersion: Math.min(deps.store.schemaVersion, LATEST_SCHEMA_VERSION),
          encryptedAtRest: deps.atRest !== null,
          outbox: deps.outbox ? deps.outbox.counts() : null,
        },
      };
    },
  },
};
