/**
 * Runtime validation of every command's params (zod, strict objects: unknown keys are refused).
 * The compile-time checks at the bottom keep these schemas and `ApiCommands` in step: if a
 * params type in api.ts changes, this file stops compiling until the schema follows.
 */
import { SIGNATURE_MEANINGS } from '../common/signature-meanings.js';
import { z } from 'zod';
import { CHEST_SITES } from '../common/chest-sites.js';
import { CLASS_ORDER } from '../common/classes.js';
import { EXPORT_KIND_NAMES } from '../common/export-kinds.js';
import { RECORDING_LENGTHS } from '../common/recording-lengths.js';
import { ROLES } from '../common/roles.js';
import { BREAK_GLASS_MIN_REASON } from '../common/break-glass.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../common/password-policy.js';
import { SITE_SETTINGS, SITE_SETTING_NAMES, type SiteSettingName } from '../common/site-settings.js';
import { unsafeTextReason } from '../common/text-safety.js';
import { importTooLargeMessage, MAX_IMPORT_BASE64_CHARS } from '../common/import-limit.js';
import { COMMAND_NAMES, EVENT_NAMES, REVIEW_SCREENS, type CommandName, type EventName, type ParamsOf } from './api.js';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** One-line names and identifiers: refused if unsafe (src/common/text-safety.ts), then trimmed and stored in NFC. */
const safe = (multiline: boolean) => (s: string, ctx: z.RefinementCtx) => {
  const why = unsafeTextReason(s, { multiline });
  if (why) ctx.addIssue({ code: 'custom', message: why });
};
const line = (max: number) => z.string().superRefine(safe(false)).trim().normalize('NFC').min(1).max(max);
/** Free text (notes, findings): the same refusals, but tab and newline are fine. */
const text = (max: number) => z.string().superRefine(safe(true)).normalize('NFC').max(max);
const username = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, underscore or hyphen');
const newPassword = z
  .string()
  .min(PASSWORD_MIN, `passwords need at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX);
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().slice(0, 10) === s, 'not a real date');
/**
 * A birth date: a real date, not in the future (a day of slack for time zones) and not before 1880.
 * Compared as YYYY-MM-DD strings, which order like the dates they name.
 */
const birthDate = isoDate
  .refine((s) => s >= '1880-01-01', 'a birth date before 1880 is not plausible: check the year')
  .refine(
    (s) => s <= new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
    'a birth date cannot be in the future: check the year',
  );
/** A date (YYYY-MM-DD) or a full ISO 8601 timestamp, for range filters. */
const isoDateTime = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'use YYYY-MM-DD or an ISO 8601 timestamp')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date');
const sex = z.enum(['female', 'male', 'other', 'unknown']);
const site = z.enum(CHEST_SITES);
const className = z.enum(CLASS_ORDER);
const findingLabel = z.enum([...CLASS_ORDER, 'other', 'inconclusive']);
const page = {
  limit: z.number().int().min(1).max(500).optional(),
  offset: z.number().int().min(0).max(10_000_000).optional(),
};
const empty = z.strictObject({});
/** The patient as the screen showed them (api.ts PatientAsShown): the same rules as patients.create. */
const patientAsShown = z.strictObject({ mrn: line(64), familyName: line(100), givenName: line(100) }).optional();
const exportKind = z.enum(EXPORT_KIND_NAMES);

export const PARAM_SCHEMAS = {
  'auth.signIn': z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }),
  'auth.signOut': empty,
  'auth.whoami': empty,

  'users.list': empty,
  'users.create': z.strictObject({ username, displayName: line(100), role: z.enum(ROLES), password: newPassword }),
  // Changing one's own password needs the current one (someone at an unlocked screen cannot).
  'users.setPassword': z.strictObject({
    username,
    password: newPassword,
    currentPassword: z.string().min(1).max(1024).optional(),
  }),
  'users.setActive': z.strictObject({ username, active: z.boolean() }),
  'users.unlock': z.strictObject({ username }),
  'users.setRole': z.strictObject({ username, role: z.enum(ROLES) }),

  'patients.create': z.strictObject({
    mrn: line(64),
    givenName: line(100),
    familyName: line(100),
    birthDate: birthDate.nullable().optional(),
    sex: sex.optional(),
    notes: text(10_000).optional(),
    confirmSimilar: z.boolean().optional(),
  }),
  'patients.update': z.strictObject({
    id,
    givenName: line(100).optional(),
    familyName: line(100).optional(),
    birthDate: birthDate.nullable().optional(),
    sex: sex.optional(),
    notes: text(10_000).optional(),
  }),
  'patients.search': z.strictObject({ ...page, query: text(200).optional() }),
  'patients.get': z.strictObject({ id }),
  'patients.breakGlass': z.strictObject({
    patientId: id,
    reason: text(1_000)
      .trim()
      .min(
        BREAK_GLASS_MIN_REASON,
        `say in a sentence why you need this patient's other recordings (at least ${BREAK_GLASS_MIN_REASON} characters)`,
      ),
  }),

  'recordings.list': z.strictObject({
    ...page,
    patientId: id.optional(),
    query: z.string().max(200).optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    site: site.optional(),
    signed: z.boolean().optional(),
    topClass: className.optional(),
  }),
  'recordings.reviewQueue': z.strictObject({ ...page, screen: z.enum(REVIEW_SCREENS).optional() }),
  'recordings.get': z.strictObject({ id }),
  'recordings.audio': z.strictObject({ id }),
  'recordings.spectrogram': z.strictObject({ id }),
  'recordings.import': z.strictObject({
    patientId: id,
    site,
    fileName: line(255),
    // The one import limit (src/common/import-limit.ts), with the same sentence as the UI and CLI.
    wavBase64: z
      .string()
      .min(1)
      .refine((b) => b.length <= MAX_IMPORT_BASE64_CHARS, {
        error: (iss) => importTooLargeMessage(Math.floor(((iss.input as string).length * 3) / 4)),
      }),
    patientAsShown,
  }),
  'recordings.reanalyze': z.strictObject({ id }),
  'recordings.pendingRecovery': empty,
  'recordings.recover': z.strictObject({ path: z.string().min(1).max(4096), patientId: id, site }),
  'recordings.discardRecovery': z.strictObject({ path: z.string().min(1).max(4096) }),

  'findings.add': z.strictObject({
    recordingId: id,
    text: text(20_000).trim().min(1),
    label: findingLabel.nullable().optional(),
  }),
  'findings.soundVerdict': z.strictObject({
    recordingId: id,
    eventIndex: z.number().int().min(0).max(100_000),
    verdict: z.enum(['confirmed', 'rejected']),
  }),
  // An electronic signature: the signer's own words, a chosen meaning, and the password again.
  'recordings.sign': z.strictObject({
    recordingId: id,
    label: findingLabel,
    statement: text(5_000).trim().min(1),
    meaning: z.enum(SIGNATURE_MEANINGS),
    password: z.string().min(1).max(1024),
  }),

  'capture.devices': empty,
  'capture.pinDevice': z.strictObject({ name: z.string().min(1).max(256).nullable() }),
  'capture.start': z.strictObject({
    patientId: id,
    site,
    durationSec: z.union([z.literal(RECORDING_LENGTHS), z.null()]),
    device: z.string().min(1).max(256).optional(),
    patientAsShown,
  }),
  'capture.stop': z.strictObject({ captureId: z.string().min(1).max(100) }),
  'capture.cancel': z.strictObject({ captureId: z.string().min(1).max(100) }),
  'capture.status': empty,
  'capture.preferences': empty,

  'audit.list': z.strictObject({
    ...page,
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    username: z.string().max(64).optional(),
    action: z.string().max(100).optional(),
    objectType: z.string().max(50).optional(),
    objectId: z.string().max(100).optional(),
    text: z.string().max(200).optional(),
  }),
  'audit.verify': empty,

  'exports.start': z.strictObject({
    kind: exportKind,
    scope: z.strictObject({
      patientId: id.optional(),
      patientMrn: line(64).optional(),
      recordingId: id.optional(),
      from: isoDateTime.optional(),
      to: isoDateTime.optional(),
    }),
    options: z.strictObject({ csvBom: z.boolean().optional(), zip: z.boolean().optional() }).optional(),
    destinationDir: z.string().min(1).max(4096).optional(),
  }),
  'exports.cancel': z.strictObject({ jobId: z.string().min(1).max(100) }),
  'exports.status': z.strictObject({ jobId: z.string().min(1).max(100) }),
  'exports.list': empty,
  'exports.download': z.strictObject({ jobId: z.string().min(1).max(100), file: z.string().min(1).max(255) }),

  'model.info': empty,
  'system.status': empty,
  'system.acceptRollback': z.strictObject({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(200),
    reason: text(1_000)
      .trim()
      .min(10, 'say in a sentence why this older copy is the one to keep (at least 10 characters)'),
  }),
  'settings.get': empty,
  'settings.set': z.strictObject(
    Object.fromEntries(
      SITE_SETTING_NAMES.map((n) => {
        const d = SITE_SETTINGS[n];
        const range = `between ${d.min} and ${d.max} ${d.unit}`;
        return [
          n,
          z
            .number()
            .int(`must be a whole number of ${d.unit}`)
            .min(d.min, `must be ${range}`)
            .max(d.max, `must be ${range}`)
            .optional(),
        ];
      }),
    ) as Record<SiteSettingName, z.ZodOptional<z.ZodNumber>>,
  ),
} as const satisfies Record<CommandName, z.ZodType>;

export type ParamSchemas = typeof PARAM_SCHEMAS;

// ---- compile-time checks: schemas ⇔ api.ts ----
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SchemaMatches = { [K in CommandName]: Mutual<z.output<ParamSchemas[K]>, ParamsOf<K>> };
type Mismatched = { [K in CommandName]: SchemaMatches[K] extends true ? never : K }[CommandName];
/** Compiles only when T is `true`; otherwise the error names T. */
type Expect<T extends true> = T;
type ListedCommands = (typeof COMMAND_NAMES)[number];
export type SchemaChecks = [
  /** Fails to compile naming the command whose schema and api.ts params disagree. */
  Expect<[Mismatched] extends [never] ? true : Mismatched>,
  /** Every name in COMMAND_NAMES is a key of ApiCommands and vice versa. */
  Expect<Mutual<ListedCommands, CommandName>>,
  /** Every name in EVENT_NAMES is a key of ApiEvents and vice versa. */
  Expect<Mutual<(typeof EVENT_NAMES)[number], EventName>>,
];

/** Parse a command's params; zod's issues are turned into one readable sentence by the caller. */
/** How the fields a person fills in are called on screen (messages name these, not parameter names). */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  mrn: 'Identifier (MRN)',
  givenName: 'Given name',
  familyName: 'Family name',
  birthDate: 'Birth date',
  sex: 'Sex',
  notes: 'Notes',
  username: 'User name',
  displayName: 'Full name',
  password: 'Password',
  newPassword: 'New password',
  currentPassword: 'Current password',
  reason: 'Reason',
  role: 'Role',
  text: 'Finding',
  label: 'Label',
  statement: 'Statement',
  query: 'Search text',
  lockAfterSec: 'Lock the screen after',
  site: 'Chest site',
};

/**
 * zod's default wording ("Too small: expected string to have >=1 characters") in the words a form
 * uses. Given to every parse of a command's params; a schema's own message (e.g. "use YYYY-MM-DD")
 * is kept, because zod asks this only for issues without one.
 */
export const friendlyIssue: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'too_small':
      if (iss.origin === 'string')
        return iss.minimum === 1 ? 'is required' : `needs at least ${iss.minimum} characters`;
      return `must be at least ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'string') return `is too long (at most ${iss.maximum} characters)`;
      return `must be at most ${iss.maximum}`;
    case 'invalid_type':
      return iss.input === undefined
        ? 'is required'
        : `must be ${iss.expected === 'number' ? 'a number' : `a ${iss.expected}`}`;
    case 'invalid_value':
      return `must be one of: ${iss.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `this request does not take ${iss.keys.join(', ')}`;
    default:
      return undefined;
  }
};

/**
 * The issues of a refused request: `issues` for machines (the parameter path), `message` for
 * people — one sentence per field, named as the screen names it, saying what to change.
 */
export function describeIssues(err: z.ZodError): { message: string; issues: { path: string; message: string }[] } {
  const issues = err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(params)', message: i.message }));
  const sentences = err.issues.slice(0, 5).map((i) => {
    const field =
      i.path.length > 0 ? (FIELD_LABELS[String(i.path[i.path.length - 1])] ?? i.path.map(String).join('.')) : null;
    const what = i.message.replace(/\.$/, '');
    return field ? `${field}: ${what}.` : `${what.charAt(0).toUpperCase()}${what.slice(1)}.`;
  });
  return { message: sentences.join(' '), issues };
}
