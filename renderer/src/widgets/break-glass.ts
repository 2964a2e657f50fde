/**
 * Break the glass on the patient page (src/service/access.ts): a nurse who did not register this
 * patient sees only the recordings she made. The page says so, with how many it does not show, and
 * offers the "Request access (break the glass)" dialog: her reason, required, written to the audit
 * log that auditors read. Once granted, a banner stays on the page: the reason and the time.
 */
import { BREAK_GLASS_HOURS, BREAK_GLASS_MIN_REASON } from '../../../src/common/break-glass';
import type { ResultOf } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, listener } from '../ui/dom';
import { dateTime } from '../ui/format';

type PatientPage = ResultOf<'patients.get'>;

/** The banner under a live grant, the explanation and button when recordings are hidden, else nothing. */
export function breakGlassNotice(ctx: AppContext, page: PatientPage, reload: () => void): HTMLElement | null {
  const g = page.breakGlass;
  if (g)
    return h(
      'div',
      { class: 'break-glass-banner', role: 'status', 'data-testid': 'break-glass-banner' },
      h('strong', {}, `Access by break-glass: “${g.reason}”, ${dateTime(g.grantedAt)}`),
      h(
        'p',
        {},
        `You see every recording of this patient until ${dateTime(g.expiresAt)}. This access is in the audit log under your name.`,
      ),
    );
  if (page.hiddenRecordings === 0 || ctx.user.role !== 'nurse') return null;
  const n = page.hiddenRecordings;
  const open = h(
    'button',
    { type: 'button', class: 'secondary', 'data-testid': 'open-break-glass' },
    'Request access (break the glass)…',
  );
  open.addEventListener('click', () => requestAccess(ctx, page, reload));
  return h(
    'div',
    { class: 'break-glass-notice', role: 'note', 'data-testid': 'break-glass-notice' },
    h(
      'p',
      {},
      h(
        'strong',
        {},
        `${n} recording${n === 1 ? '' : 's'} of this patient ${n === 1 ? 'is' : 'are'} not shown to you. `,
      ),
      `${n === 1 ? 'It was made by another clinician' : 'They were made by other clinicians'}, and you did not register this patient, so you see only the recordings you made yourself.`,
    ),
    h(
      'p',
      {},
      `If you need ${n === 1 ? 'it' : 'them'} for this patient's care now, request access. Your reason is required, and it is audited: auditors see who opened which patient, when and why.`,
    ),
    open,
  );
}

function requestAccess(ctx: AppContext, page: PatientPage, reload: () => void): void {
  const p = page.patient;
  const dialog = h('dialog', {
    class: 'sign-dialog break-glass-dialog',
    'aria-labelledby': 'break-glass-title',
    'data-testid': 'break-glass-dialog',
  });
  const reason = h('textarea', {
    name: 'breakGlassReason',
    rows: '3',
    required: true,
    maxlength: '1000',
    'aria-describedby': 'break-glass-reason-hint',
  });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const submit = h('button', { type: 'submit' }, 'Break the glass and show them');
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'break-glass-title' }, 'Request access (break the glass)'),
    h(
      'p',
      {},
      `You are asking to see all ${page.recordings.length + page.hiddenRecordings} recordings of ${p.familyName}, ${p.givenName} (MRN ${p.mrn}), including ${page.hiddenRecordings === 1 ? 'the one made by another clinician' : `the ${page.hiddenRecordings} made by other clinicians`}, for the next ${BREAK_GLASS_HOURS} hours.`,
    ),
    field('Your reason', reason),
    h(
      'p',
      { class: 'hint', id: 'break-glass-reason-hint' },
      `In a sentence, in your own words (at least ${BREAK_GLASS_MIN_REASON} characters): why this patient's care needs them.`,
    ),
    h(
      'p',
      { class: 'break-glass-warning' },
      `This is audited: your name, the time and your reason go into the audit log, which auditors read and export. Access ends after ${BREAK_GLASS_HOURS} hours.`,
    ),
    err,
    h('div', { class: 'dialog-buttons' }, cancel, submit),
  );
  dialog.append(form);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  reason.addEventListener('input', () => (err.textContent = ''));
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      const text = reason.value.trim();
      if (text.length < BREAK_GLASS_MIN_REASON) {
        err.textContent = `Write your reason in a sentence (at least ${BREAK_GLASS_MIN_REASON} characters); nothing was requested yet.`;
        reason.focus();
        return;
      }
      submit.disabled = true;
      try {
        await ctx.api.call('patients.breakGlass', { patientId: p.id, reason: text });
        dialog.close();
        ctx.notify('Access granted and audited: every recording of this patient is shown.');
        reload();
      } catch (e) {
        err.textContent = errorMessage(e);
      } finally {
        submit.disabled = false;
      }
    }),
  );
  document.body.append(dialog);
  dialog.showModal();
  reason.focus();
}
