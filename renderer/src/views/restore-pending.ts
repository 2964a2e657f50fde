/**
 * The page shown instead of sign-in while the database is a restored older copy, behind its signed
 * checkpoint log (src/store/README.md, "Accepting a restored older copy"): this workstation's own
 * file, or a site database restored from an older backup. Nobody can sign in: a sign-in is an
 * audit entry, and an entry written now would fork the signed history. It says what was restored,
 * what this workstation signed that is gone, whom to call, and lets an administrator accept the
 * copy with their password and a reason: the same signed acceptance as `auscult restore accept`.
 */
import type { ApiClient, PendingRollbackInfo, ResultOf } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import { field, h, listener } from '../ui/dom';
import { dateTime } from '../ui/format';

const MIN_REASON = 10;

function range(from: number, to: number): string {
  return from === to ? `entry ${from}` : `entries ${from}–${to}`;
}

/** Every sentence of the page, for one engine: a site's numbers do not read as a file's do. */
interface PendingWords {
  title: string;
  banner: string;
  facts: [string, string][];
  restored: string[];
  acceptTitle: string;
  accepting: string;
  understood: string;
  tick: string;
  button: string;
}

/** A file: the copy ends at keptSeq, and entries keptSeq+1..lostToSeq are missing from it. */
function fileWords(info: PendingRollbackInfo): PendingWords {
  const lost = range(info.lostFromSeq, info.lostToSeq);
  return {
    title: 'This database is an older copy',
    banner: 'Auscult will not read or write patient data until an administrator decides. Nothing was changed.',
    facts: [
      ['This copy ends at', `audit entry ${info.keptSeq}`],
      [
        'The signed log records',
        `${info.lostToSeq} entries, the last checkpoint at ${dateTime(info.lostCheckpointAt)}`,
      ],
      ['Missing from this copy', `${lost}: whatever they recorded (recordings, findings, signatures, sign-ins, views)`],
    ],
    restored: [
      'The database was restored from an older copy, or its newest entries were deleted. The checkpoint log kept outside the database shows what it held before.',
    ],
    acceptTitle: 'Administrators: accept this older copy',
    accepting: `Accepting gives up ${lost} for good and records it, with your name and reason, in the signed audit log. If a newer backup exists, restore that instead: it keeps everything.`,
    understood: `I understand that ${lost} and what they recorded are given up.`,
    tick: `Tick that you understand ${lost} are given up.`,
    button: 'Accept this older copy',
  };
}

/**
 * A site: its entries are numbered on from the backup by every workstation, so "entries N–M" would
 * name other workstations' entries that stay. What is known is this workstation's own log: the
 * last checkpoint the site still holds, and how many of its later checkpoints are gone.
 */
function siteWords(info: PendingRollbackInfo, site: { lostCheckpoints: number }): PendingWords {
  const held = info.lostFromSeq - 1;
  const after = held > 0 ? ` after entry ${held}` : '';
  const n = site.lostCheckpoints;
  const checkpoints = n === 1 ? '1 checkpoint' : `${n} checkpoints`;
  const mine = `what this workstation wrote${after} of the old history`;
  return {
    title: 'The site database was restored from an older backup',
    banner:
      'This workstation will not read or write patient data until a site administrator accepts the restored copy here. Nothing was changed.',
    facts: [
      ['The site database now ends at', `audit entry ${info.keptSeq}`],
      [
        "This workstation's signed log",
        `ends at entry ${info.lostToSeq} of the old history, its last checkpoint at ${dateTime(info.lostCheckpointAt)}`,
      ],
      [
        'Still on the site',
        held > 0
          ? `everything up to entry ${held}, as this workstation signed it`
          : 'none of what this workstation signed',
      ],
      [
        'Gone from the site',
        `${checkpoints} of this workstation's${after}, each at least one entry it wrote (recordings, findings, signatures, sign-ins, views)`,
      ],
    ],
    restored: [
      "The site database was restored from a backup taken before this workstation's latest entries, or its history was rewritten. The checkpoint log kept on this workstation, outside the database, shows what it signed before.",
      ...(info.lostFromSeq <= info.keptSeq
        ? [
            `The site numbered on from the backup, and other workstations may have written on it since: entries ${info.lostFromSeq}–${info.keptSeq} on the site now need not be the ones this workstation signed under those numbers.`,
          ]
        : []),
      'Each workstation that wrote after the backup shows this page and is accepted on that workstation, against its own signed log; an acceptance here is for this workstation only. Workstations that wrote nothing after the backup work on.',
    ],
    acceptTitle: 'Site administrators: accept the restored copy for this workstation',
    accepting: `Accepting gives up ${mine} (${checkpoints}, up to entry ${info.lostToSeq}) for good, and records it with your name and reason in the site's signed audit log; what the site holds now stays. If the site has a newer backup, ask whoever runs the site database first: restoring it could keep these entries.`,
    understood: `I understand that ${mine} is given up.`,
    tick: `Tick that you understand ${mine} is given up.`,
    button: 'Accept for this workstation',
  };
}

function pendingWords(info: PendingRollbackInfo): PendingWords {
  return info.site ? siteWords(info, info.site) : fileWords(info);
}

/** The sign-in page's line after an acceptance. */
export function acceptedMessage(info: PendingRollbackInfo, r: ResultOf<'system.acceptRollback'>): string {
  if (!info.site)
    return `Older copy accepted by ${r.acceptedBy}: the history goes on from entry ${r.keptSeq}; ${range(r.lostFromSeq, r.lostToSeq)} are recorded as given up. Sign in to continue.`;
  const held = r.lostFromSeq - 1;
  return `Restored site copy accepted for this workstation by ${r.acceptedBy}: the site's history goes on from entry ${r.keptSeq}; what this workstation wrote${held > 0 ? ` after entry ${held}` : ''} of the old history (up to entry ${r.lostToSeq}) is recorded as given up. Sign in to continue.`;
}

export function restorePendingView(
  api: ApiClient,
  root: HTMLElement,
  info: PendingRollbackInfo,
  accepted: (r: ResultOf<'system.acceptRollback'>) => void,
): void {
  const words = pendingWords(info);
  const username = h('input', { name: 'adminUsername', autocomplete: 'username', required: true });
  const password = h('input', {
    name: 'adminPassword',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const reason = h('textarea', { name: 'acceptReason', rows: '3', required: true, maxlength: '1000' });
  const understood = h('input', { type: 'checkbox', name: 'understood' });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'danger' }, words.button);
  const who = info.administrators.length
    ? info.administrators.join(', ')
    : 'your administrator (no active administrator account is listed in this copy)';
  const form = h(
    'form',
    { class: 'restore-accept', 'aria-label': words.acceptTitle, 'data-testid': 'restore-accept-form' },
    h('h2', {}, words.acceptTitle),
    h('p', {}, words.accepting),
    field('Administrator user name', username),
    field('Password', password, 'Entering your password is your signature of this acceptance.'),
    field('Reason', reason, `Why this copy is the one to keep (at least ${MIN_REASON} characters).`),
    h('label', { class: 'check' }, understood, ` ${words.understood}`),
    err,
    submit,
  );
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      if (!understood.checked) {
        err.textContent = `${words.tick} Nothing was changed.`;
        return;
      }
      if (reason.value.trim().length < MIN_REASON) {
        err.textContent = `Write your reason in a sentence (at least ${MIN_REASON} characters). Nothing was changed.`;
        return;
      }
      submit.disabled = true;
      try {
        const r = await api.call('system.acceptRollback', {
          username: username.value.trim(),
          password: password.value,
          reason: reason.value.trim(),
        });
        password.value = '';
        accepted(r);
      } catch (e) {
        password.value = '';
        err.textContent = errorMessage(e);
      } finally {
        submit.disabled = false;
      }
    }),
  );
  root.append(
    h(
      'section',
      { class: 'card restore-pending', 'data-testid': 'restore-pending' },
      h('h1', {}, words.title),
      h('p', { class: 'bad-banner', role: 'alert' }, words.banner),
      h(
        'dl',
        { class: 'signed-facts', 'data-testid': 'restore-facts' },
        ...words.facts.flatMap(([dt, dd]) => [h('dt', {}, dt), h('dd', {}, dd)]),
        ...(info.refusedAttempts
          ? [
              h('dt', {}, 'Refused attempts'),
              h('dd', {}, `${info.refusedAttempts} so far, each recorded in the signed log`),
            ]
          : []),
      ),
      ...words.restored.map((t) => h('p', { 'data-testid': 'restore-why' }, t)),
      info.interruptedAcceptance
        ? h(
            'p',
            { class: 'hint' },
            `An acceptance by ${info.interruptedAcceptance.by} at ${dateTime(info.interruptedAcceptance.at)} was interrupted; accepting again finishes it.`,
          )
        : null,
      h(
        'div',
        { class: 'call-admin', 'data-testid': 'call-admin' },
        h('h2', {}, 'Not an administrator?'),
        h('p', {}, `Call ${who}. Nothing can be recorded or opened on this workstation until then.`),
      ),
      form,
    ),
  );
  username.focus();
}
