/** The site settings table: stored values over the registry's defaults (src/common/site-settings.ts). */
import type { SqlDatabase } from './sql-database.js';
import {
  SITE_SETTINGS,
  SITE_SETTING_NAMES,
  defaultSiteSettings,
  type SiteSettingName,
  type SiteSettings,
} from '../common/site-settings.js';

export class SiteSettingsRepo {
  constructor(private readonly db: SqlDatabase) {}

  /** Every setting: the stored value where it is a valid one, else the default. */
  all(): SiteSettings {
    const out = defaultSiteSettings();
    const rows = this.db.prepare('SELECT name, value FROM site_settings').all() as { name: string; value: string }[];
    for (const r of rows) {
      if (!(SITE_SETTING_NAMES as string[]).includes(r.name)) continue;
      const name = r.name as SiteSettingName;
      const v = Number(r.value);
      // a value edited into the file outside the app's limits is not obeyed
      if (Number.isFinite(v) && v >= SITE_SETTINGS[name].min && v <= SITE_SETTINGS[name].max) out[name] = v;
    }
    return out;
  }

  set(name: SiteSettingName, value: number, userId: number): void {
    this.db
      .prepare(
        `INSERT INTO site_settings (name, value, updated_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      )
      .run(name, String(value), userId, new Date().toISOString());
  }
}
