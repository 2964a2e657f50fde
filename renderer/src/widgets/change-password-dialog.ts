/**
 * "Change my password", from the signed-in user's menu (every role): the current password, the new
 * one twice, the rule stated. The service checks the current password under the sign-in throttle,
 * ends every OTHER session of this user and keeps this one: whoever is here has just proved the
 * current password, and signing them out would only make them type the new one at once.
 */
import { PASSWORD_MAX, PASSWORD_MIN, PASSWORD_POLICY } from '../../../src/common/password-policy';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, listener } from '../ui/dom';

export function openChangePassword(ctx: Pick<AppContext, 'api' | 'user' | 'notify'>): void {
  const pw = (name: string, autocomplete: string) =>
    h('input', { type: 'password', name, required: true, autocomplete, maxlength: String(PASSWORD_MAX) });
  const current = pw('currentPassword', 'current-password');
  const next = pw('newPassword', 'new-password');
  const again = pw('newPasswordAgain', 'new-password');
  const err = h('p', { class: 'form-error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const submit = h('button', { type: 'submit' }, 'Change password');
  const dialog = h('dialog', {
    class: 'sign-dialog',
    'aria-labelledby': 'change-password-title',
    'data-testid': 'change-password-dialog',
  });
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'change-password-title' }, 'Change my password'),
    h('p', { class: 'signer' }, `For ${ctx.user.displayName} (user ${ctx.user.username}).`),
    field('Current password', current),
    field('New password', next),
    field('New password again', again),
    h('p', { class: 'hint', 'data-testid': 'password-policy' }, PASSWORD_POLICY),
    h(
      'p',
      { class: 'hint' },
      'Your other sessions (another window, the browser, another workstation) are signed out; this one continues.',
    ),
    err,
    h('div', { class: 'dialog-buttons' }, cancel, submit),
  );
  dialog.append(form);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  for (const i of [current, next, again]) i.addEventListener('input', () => (err.textContent = ''));
  const clear = (): void => {
    for (const i of [current, next, again]) i.value = '';
  };
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      // The same rule as the service, said before anything is sent.
      const problem =
        next.value !== again.value
          ? 'The two new passwords differ; type the same one twice.'
          : next.value.length < PASSWORD_MIN
            ? `The new password needs at least ${PASSWORD_MIN} characters.`
            : next.value === current.value
              ? 'The new password is the same as the current one; choose a different one.'
              : null;
      if (problem) {
        err.textContent = `${problem} Nothing was changed.`;
        return;
      }
      submit.disabled = true;
      try {
        await ctx.api.call('users.setPassword', {
          username: ctx.user.username,
          password: next.value,
          currentPassword: current.value,
        });
        clear();
        dialog.close();
        ctx.notify('Password changed. Your other sessions were signed out; this one continues.');
      } catch (e) {
        current.value = '';
        err.textContent = errorMessage(e);
        current.focus();
      } finally {
        submit.disabled = false;
      }
    }),
  );
  document.body.append(dialog);
  dialog.showModal();
  current.focus();
}
