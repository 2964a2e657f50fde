/**
 * The workstation's (or site's) settings that only an administrator may change: one registry, read
 * by the store (defaults), the service (validation, audit) and the UI (labels, limits).
 */
export interface SiteSettingDef {
  label: string;
  /** What the setting does, for the admin page. */
  help: string;
  unit: 'seconds';
  default: number;
  min: number;
  max: number;
}

export const SITE_SETTINGS = {
  lockAfterSec: {
    label: 'Lock the screen after',
    help: 'Without keyboard or pointer input for this long, the workstation locks and asks for the password again.',
    unit: 'seconds',
    // five minutes: long enough for a bedside take and its review, short for an unattended cart
    default: 300,
    min: 10,
    max: 3600,
  },
} as const satisfies Record<string, SiteSettingDef>;

export type SiteSettingName = keyof typeof SITE_SETTINGS;
export type SiteSettings = Record<SiteSettingName, number>;
export const SITE_SETTING_NAMES = Object.keys(SITE_SETTINGS) as SiteSettingName[];

export function defaultSiteSettings(): SiteSettings {
  return Object.fromEntries(SITE_SETTING_NAMES.map((n) => [n, SITE_SETTINGS[n].default])) as SiteSettings;
}
