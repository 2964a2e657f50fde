/** Every schema version in order. The database's `user_version` is the last one applied. */
import { migration001 } from './001-core.js';
import { migration002 } from './002-search.js';
import { migration003 } from './003-withheld.js';
import { migration004 } from './004-signed-record.js';
import { migration005 } from './005-sound-verdicts.js';
import { migration006 } from './006-substring-search.js';
import { migration007 } from './007-site-settings.js';
import { migration008 } from './008-attempted-username.js';
import { migration009 } from './009-review-priority.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
];
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
