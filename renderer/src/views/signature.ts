/**
 * The electronic signature on the recording page (21 CFR Part 11 §11.50, §11.200 style): the
 * signing dialog, and the signed-by block. Kept apart from recording.ts so the result display and
 * the signature can change independently.
 *
 * The dialog asks for the signer's own statement (empty: nothing pre-filled signs itself), a label,
 * a meaning chosen from the list (none preselected) and the signer's password again; it says who
 * is signing, with their printed full name and role. The signed-by block shows the printed full
 * name, role, date and time and meaning, and whether the seal is valid, or what is wrong.
 */
import {
  SIGNATURE_MEANINGS,
  SIGNATURE_MEANING_TEXT,
  type SignatureMeaning,
} from '../../../src/common/signature-meanings';
import type { FindingLabel, RecordingDetail, SignOff } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, listener, options } from '../ui/dom';
import { dateTime } from '../ui/format';

/** The signed-by block (or "Not signed yet"). */
export function signatureBlock(s: SignOff | null, labelText: (l: FindingLabel) => string): HTMLElement {
  if (!s) return h('p', { class: 'unsigned-banner' }, 'Not signed yet.');
  const who = s.signerName ? `${s.signerName} (${s.signerRole ?? 'pulmonologist'})` : s.signedBy;
  const meaning = s.meaning
    ? SIGNATURE_MEANING_TEXT[s.meaning]
    : 'signed before electronic signatures (no meaning recorded)';
  const seal = s.seal
    ? s.seal.valid
      ? h('span', { class: 'seal-ok', 'data-testid': 'seal-status' }, '✓ Signature valid')
      : h(
          'span',
          { class: 'seal-bad', 'data-testid': 'seal-status', role: 'alert' },
          `⚠ Signature NOT valid: ${s.seal.problem ?? 'unknown problem'}`,
        )
    : h('span', { class: 'hint', 'data-testid': 'seal-status' }, 'not sealed (signed before sealed records)');
  return h(
    'div',
    { class: s.seal && !s.seal.valid ? 'signed-banner broken' : 'signed-banner', 'data-testid': 'signed-banner' },
    h('p', { class: 'signed-line' }, `Signed by ${who}`),
    h(
      'dl',
      { class: 'signed-facts' },
      h('dt', {}, 'Date and time'),
      h('dd', {}, dateTime(s.signedAt)),
      h('dt', {}, 'Meaning'),
      h('dd', {}, meaning),
      h('dt', {}, 'Label'),
      h('dd', {}, labelText(s.label)),
      h('dt', {}, 'Statement'),
      h('dd', {}, s.statement),
    ),
    seal,
    h('p', { class: 'hint' }, 'Signed recordings cannot be changed; add an amendment below if needed.'),
  );
}

/** The "Sign recording…" button and its dialog. */
export function signControl(
  ctx: AppContext,
  d: RecordingDetail,
  labels: ReadonlyArray<{ value: FindingLabel; label: string }>,
  reload: () => void,
): HTMLElement {
  const dialog = h('dialog', { class: 'sign-dialog', 'aria-labelledby': 'sign-title', 'data-testid': 'sign-dialog' });
  const statement = h('textarea', {
    name: 'statement',
    rows: '3',
    required: true,
    'aria-describedby': 'statement-hint',
  });
  const label = h(
    'select',
    { name: 'signLabel', required: true },
    h('option', { value: '' }, 'Choose…'),
    options(labels, d.findings.at(-1)?.label ?? null),
  );
  const meanings = h(
    'fieldset',
    { class: 'meanings' },
    h('legend', {}, 'Meaning of your signature'),
    ...SIGNATURE_MEANINGS.map((m) =>
      h(
        'label',
        { class: 'radio' },
        h('input', { type: 'radio', name: 'meaning', value: m, required: true }),
        ` ${SIGNATURE_MEANING_TEXT[m]}`,
      ),
    ),
  );
  const password = h('input', { type: 'password', name: 'password', required: true, autocomplete: 'current-password' });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign');
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'sign-title' }, `Sign recording #${d.recording.id}`),
    h(
      'p',
      { class: 'signer' },
      `Signing as ${ctx.user.displayName} (${ctx.user.role}), user ${ctx.user.username}. The date and time are recorded when you sign.`,
    ),
    field('Your statement', statement),
    h('p', { class: 'hint', id: 'statement-hint' }, 'In your own words: what you reviewed and what you conclude.'),
    field('Your label', label),
    meanings,
    field('Your password', password, 'Entering your password is your signature.'),
    h(
      'p',
      { class: 'hint' },
      'After signing, the recording, its analysis and findings are sealed and cannot be changed; only amendments can be added.',
    ),
    err,
    h('div', { class: 'dialog-buttons' }, cancel, submit),
  );
  dialog.append(form);
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      const meaning = form.querySelector<HTMLInputElement>('input[name=meaning]:checked')?.value;
      if (!meaning) {
        err.textContent = 'Choose what your signature means.';
        return;
      }
      submit.disabled = true;
      try {
        await ctx.api.call('recordings.sign', {
          recordingId: d.recording.id,
          label: label.value as FindingLabel,
          statement: statement.value.trim(),
          meaning: meaning as SignatureMeaning,
          password: password.value,
        });
        password.value = '';
        dialog.close();
        ctx.notify('Recording signed.');
        reload();
      } catch (e) {
        password.value = '';
        err.textContent = errorMessage(e);
      } finally {
        submit.disabled = false;
      }
    }),
  );
  const open = h('button', { type: 'button', class: 'primary', 'data-testid': 'open-sign' }, 'Sign recording…');
  open.addEventListener('click', () => {
    err.textContent = '';
    dialog.showModal();
    statement.focus();
  });
  return h('div', { class: 'sign-form' }, h('h3', {}, 'Sign off'), open, dialog);
}
