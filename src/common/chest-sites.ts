/** Standard auscultation sites: trachea plus anterior/posterior × left/right × upper/middle/lower. */
export const CHEST_SITES = [
  'trachea',
  'anterior-left-upper',
  'anterior-right-upper',
  'anterior-left-middle',
  'anterior-right-middle',
  'anterior-left-lower',
  'anterior-right-lower',
  'posterior-left-upper',
  'posterior-right-upper',
  'posterior-left-middle',
  'posterior-right-middle',
  'posterior-left-lower',
  'posterior-right-lower',
] as const;
export type ChestSite = (typeof CHEST_SITES)[number];

export function isChestSite(value: string): value is ChestSite {
  return (CHEST_SITES as readonly string[]).includes(value);
}
