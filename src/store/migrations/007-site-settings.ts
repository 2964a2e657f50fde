/**
 * Schema version 7: settings an administrator sets for the workstation or site (src/common/
 * site-settings.ts), e.g. the inactivity lock, which used to be a URL parameter any user could
 * raise. A missing row means the default; every change is audited by the service.
 */
import type { Migration } from './types.js';

export const migration007: Migration = {
  version: 7,
  name: 'site settings',
  up: `
    CREATE TABLE site_settings (
      name       TEXT PRIMARY KEY,
      value      TEXT NOT NULL,
      updated_by INTEGER NOT NULL REFERENCES users(id),
      updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
  `,
};
