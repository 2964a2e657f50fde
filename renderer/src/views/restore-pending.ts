/**
 * The page shown instead of sign-in while the database is a restored older copy, behind its signed
 * checkpoint log (src/store/README.md, "Accepting a restored older copy"). Nobody can sign in: a
 * sign-in is an audit entry, and an entry written now would fork the signed history. It says what
 * is missing (entries, up to when), whom to call, and lets an administrator accept the copy with
 * their password and a reason: the same signed acceptance as `auscult restore accept`.
 */
import type { ApiClient, PendingRollbackInfo, ResultOf } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import { field, h, listener } from '../ui/dom';
import { dateTime } from '../ui/format';

const MIN_REASON = 10;

function range(from: number, to: number): string {
  return from === to ? `entry ${from}` : `entries ${from}–${to}`;
}

export function restorePendingView(
  api: ApiClient,
  root: HTMLElement,
  info: PendingRollbackInfo,
  accepted: (r: ResultOf<'system.acceptRollback'>) => void,
): void {
  const lost = range(info.lostFromSeq, info.lostToSeq);
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
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Accept this older copy');
  const who = info.administrators.length
    ? info.administrators.join(', ')
    : 'your administrator (no active administrator account is listed in this copy)';
  const form = h(
    'form',
    { class: 'restore-accept', 'aria-label': 'Accept the older copy', 'data-testid': 'restore-accept-form' },
    h('h2', {}, 'Administrators: accept this older copy'),
    h(
      'p',
      {},
      `Accepting gives up ${lost} for good and records it, with your name and reason, in the signed audit log. If a newer backup exists, restore that instead: it keeps everything.`,
    ),
    field('Administrator user name', username),
    field('Password', password, 'Entering your password is your signature of this acceptance.'),
    field('Reason', reason, `Why this copy is the one to keep (at least ${MIN_REASON} characters).`),
    h('label', { class: 'check' }, understood, ` I understand that ${lost} and what they recorded are given up.`),
    err,
    submit,
  );
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      if (!understood.checked) {
        err.textContent = `Tick that you understand ${lost} are given up. Nothing was changed.`;
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
      h('h1', {}, 'This database is an older copy'),
      h(
        'p',
        { class: 'bad-banner', role: 'alert' },
        'Auscult will not read or write patient data until an administrator decides. Nothing was changed.',
      ),
      h(
        'dl',
        { class: 'signed-facts', 'data-testid': 'restore-facts' },
        h('dt', {}, 'This copy ends at'),
        h('dd', {}, `audit entry ${info.keptSeq}`),
        h('dt', {}, 'The signed log records'),
        h('dd', {}, `${info.lostToSeq} entries, the last checkpoint at ${dateTime(info.lostCheckpointAt)}`),
        h('dt', {}, 'Missing from this copy'),
        h('dd', {}, `${lost}: whatever they recorded (recordings, findings, signatures, sign-ins, views)`),
        ...(info.refusedAttempts
          ? [
              h('dt', {}, 'Refused attempts'),
              h('dd', {}, `${info.refusedAttempts} so far, each recorded in the signed log`),
            ]
          : []),
      ),
      h(
        'p',
        {},
        'The database was restored from an older copy, or its newest entries were deleted. The checkpoint log kept outside the database shows what it held before.',
      ),
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
