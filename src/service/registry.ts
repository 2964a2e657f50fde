/**
 * Every command's handler, from the group tables. Compile-time checks: each CommandName has a
 * handler, and no name is handled by two groups.
 */
import type { CommandName } from './api.js';
import type { CommandDef } from './handler.js';
import { auditCommands } from './commands/audit.js';
import { authCommands } from './commands/auth.js';
import { captureCommands } from './commands/capture.js';
import { exportsCommands } from './commands/exports.js';
import { findingsCommands } from './commands/findings.js';
import { patientsCommands } from './commands/patients.js';
import { recordingsCommands } from './commands/recordings.js';
import { settingsCommands } from './commands/settings.js';
import { systemCommands } from './commands/system.js';
import { usersCommands } from './commands/users.js';

const GROUPS = [
  authCommands,
  usersCommands,
  patientsCommands,
  recordingsCommands,
  findingsCommands,
  captureCommands,
  auditCommands,
  exportsCommands,
  systemCommands,
  settingsCommands,
] as const;

type Groups = typeof GROUPS;
type KeysOf<T> = T extends readonly [infer H, ...infer R] ? keyof H | KeysOf<R> : never;
/** Names claimed by more than one group (must be never). */
type Overlaps<T> = T extends readonly [infer H, ...infer R] ? (keyof H & KeysOf<R>) | Overlaps<R> : never;
/** Compiles only when T is `true`; otherwise the error names T (the offending command names). */
type Expect<T extends true> = T;
export type RegistryChecks = [
  Expect<[Overlaps<Groups>] extends [never] ? true : Overlaps<Groups>>,
  Expect<[Exclude<CommandName, KeysOf<Groups>>] extends [never] ? true : Exclude<CommandName, KeysOf<Groups>>>,
];

export type Registry = { [K in CommandName]: CommandDef<K> };

export const REGISTRY: Registry = Object.assign({}, ...GROUPS) as Registry;

export function handlerFor(method: string): CommandDef<CommandName> | null {
  return Object.prototype.hasOwnProperty.call(REGISTRY, method) ? REGISTRY[method as CommandName] : null;
}
