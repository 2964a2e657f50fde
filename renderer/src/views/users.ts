/** Users (admin): list, add, activate or deactivate. Passwords are set here, never shown. */
import { ROLES } from '../../../src/common/roles';
import type { Role } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, options, listener } from '../ui/dom';
import { withLoading } from '../ui/states';
import { dataTable } from '../widgets/table';
import { siteSettingsPanel } from '../widgets/site-settings-panel';

export function usersView(ctx: AppContext, root: HTMLElement): undefined {
  const list = h('div', {});
  const load = (): void =>
    void withLoading(
      list,
      'users',
      () => ctx.api.call('users.list', {}),
      (users) => {
        list.append(
          dataTable(
            'Users',
            [
              { title: 'User name', cell: (u) => u.username },
              { title: 'Name', cell: (u) => u.displayName },
              { title: 'Role', cell: (u) => u.role },
              { title: 'Active', cell: (u) => (u.active ? 'yes' : 'no') },
              {
                title: '',
                cell: (u) =>
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      onclick: () =>
                        void ctx.api
                          .call('users.setActive', { username: u.username, active: !u.active })
                          .then(load, (e: unknown) => ctx.notify(errorMessage(e), 'error')),
                    },
                    u.active ? 'Deactivate' : 'Activate',
                  ),
              },
            ],
            users,
          ),
        );
      },
    );
  const username = h('input', { name: 'newUsername', required: true, autocomplete: 'off' });
  const displayName = h('input', { name: 'displayName', required: true, autocomplete: 'off' });
  const role = h(
    'select',
    { name: 'role' },
    options(
      ROLES.map((r) => r),
      'nurse',
    ),
  );
  const password = h('input', { name: 'newPassword', type: 'password', required: true, autocomplete: 'new-password' });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Add user' },
    h(
      'div',
      { class: 'row' },
      field('User name', username),
      field('Full name', displayName),
      field('Role', role),
      field('Password', password),
      h('button', { type: 'submit' }, 'Add user'),
    ),
    err,
  );
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      try {
        await ctx.api.call('users.create', {
          username: username.value.trim(),
          displayName: displayName.value.trim(),
          role: role.value as Role,
          password: password.value,
        });
        form.reset();
        load();
      } catch (e) {
        err.textContent = errorMessage(e);
      }
    }),
  );
  root.append(
    h('h1', {}, 'Users'),
    h('section', { class: 'panel' }, h('h2', {}, 'Add a user'), form),
    h('section', { class: 'panel' }, h('h2', {}, 'Users'), list),
    siteSettingsPanel(ctx),
  );
  load();
}
