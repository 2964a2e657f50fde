import type { ApiClient, UserInfo } from '../../../src/service/api';
import { DISCLAIMER } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import { field, h, listener } from '../ui/dom';

export function signInView(
  api: ApiClient,
  root: HTMLElement,
  opts: { message?: string; username?: string },
  done: (u: UserInfo) => void,
): void {
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    value: opts.username ?? '',
    readonly: opts.username ? true : null,
  });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit' }, opts.username ? 'Unlock' : 'Sign in');
  const form = h(
    'form',
    { class: 'card signin', 'aria-label': 'Sign in' },
    h('h1', {}, 'Auscult'),
    h('p', { class: 'lead' }, 'Digital lung auscultation workstation'),
    opts.message ? h('p', { class: 'signin-message', role: 'status' }, opts.message) : null,
    field('User name', username),
    field('Password', password),
    error,
    submit,
    opts.username
      ? h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: () => {
              username.readOnly = false;
              username.value = '';
              username.focus();
            },
          },
          'Sign in as someone else',
        )
      : null,
    h('p', { class: 'disclaimer small' }, DISCLAIMER),
  );
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        const s = await api.call('auth.signIn', { username: username.value.trim(), password: password.value });
        password.value = '';
        done(s.user);
      } catch (err) {
        error.textContent = errorMessage(err);
        password.select();
      } finally {
        submit.disabled = false;
      }
    }),
  );
  root.append(form);
  (opts.username ? password : username).focus();
}
