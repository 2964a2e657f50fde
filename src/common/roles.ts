/** Account roles (what each may do: src/service/access.ts and src/service/README.md). */
export const ROLES = ['nurse', 'pulmonologist', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
