/**
 * Users (admin): list with last sign-in and lock, add, reset a password, unlock, change a role,
 * activate or deactivate (each asked for confirmation). Passwords are set here, never shown.
 */
import { ROLES } from '../../../src/common/roles';
import type { Role, UserAdminInfo } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, options, listener } from '../ui/dom';
import { dateTime } from '../ui/format';
import { withLoading } from '../ui/states';
import { confirmDialog } from '../widgets/confirm-dialog';
import { openChangePassword } from '../widgets/change-password-dialog';
import { dataTable } from '../widgets/table';
import { siteSettingsPanel } from '../widgets/site-settings-panel';

export function usersView(ctx: AppContext, root: HTMLElement): undefined {
  const list = h('div', {});
  /** Run an admin command, then reload the list and say what was done (or why not). */
  const act = (run: () => Promise<unknown>, done: string): void =>
    void run().then(
      () => {
        ctx.notify(done, 'info');
        load();
      },
      (e: unknown) => ctx.notify(errorMessage(e), 'error'),
    );
  const resetPassword = async (u: UserAdminInfo): Promise<void> => {
    const pw = await confirmDialog({
      title: `Reset the password of ${u.username}`,
      text: `${u.displayName} will be signed out everywhere and must sign in with the new password. A lock after wrong passwords is lifted too.`,
      confirm: 'Reset password',
      input: { label: 'New password', type: 'password', autocomplete: 'new-password' },
    });
    if (pw === null) return;
    act(
      () => ctx.api.call('users.setPassword', { username: u.username, password: pw }),
      `Password of ${u.username} reset.`,
    );
  };
  const changeRole = async (u: UserAdminInfo, role: Role, select: HTMLSelectElement): Promise<void> => {
    const ok = await confirmDialog({
      title: `Change the role of ${u.username}`,
      text: `${u.displayName} becomes ${role} (was ${u.role}) and is signed out everywhere.`,
      confirm: `Make ${role}`,
    });
    if (ok === null) {
      select.value = u.role;
      return;
    }
    act(() => ctx.api.call('users.setRole', { username: u.username, role }), `${u.username} is now ${role}.`);
  };
  const setActive = async (u: UserAdminInfo): Promise<void> => {
    if (u.active) {
      const ok = await confirmDialog({
        title: `Deactivate ${u.username}?`,
        text: `${u.displayName} is signed out at once and cannot sign in until reactivated. Their recordings and audit entries stay.`,
        confirm: 'Deactivate',
      });
      if (ok === null) return;
    }
    act(
      () => ctx.api.call('users.setActive', { username: u.username, active: !u.active }),
      `${u.username} ${u.active ? 'deactivated' : 'activated'}.`,
    );
  };
  const roleSelect = (u: UserAdminInfo): HTMLSelectElement => {
    const sel = h(
      'select',
      { name: `role-${u.username}`, 'aria-label': `Role of ${u.username}` },
      options([...ROLES], u.role),
    );
    sel.addEventListener('change', () => void changeRole(u, sel.value as Role, sel));
    return sel;
  };
  const load = (): void =>
    void withLoading(
      list,
      'users',
      () => ctx.api.call('users.list', {}),
      (users) => {
        list.append(
          dataTable<UserAdminInfo>(
            'Users',
            [
              { title: 'User name', cell: (u) => u.username },
              { title: 'Name', cell: (u) => u.displayName },
              { title: 'Role', cell: roleSelect },
              {
                title: 'Status',
                cell: (u) =>
                  !u.active
                    ? 'deactivated'
                    : u.lockedUntil
                      ? h('span', { class: 'bad' }, `locked until ${dateTime(u.lockedUntil)}`)
                      : 'active',
              },
              { title: 'Last sign-in', cell: (u) => (u.lastSignInAt ? dateTime(u.lastSignInAt) : 'never') },
              {
                title: '',
                cell: (u) =>
                  h(
                    'div',
                    { class: 'user-actions' },
                    u.lockedUntil
                      ? h(
                          'button',
                          {
                            type: 'button',
                            onclick: () =>
                              act(
                                () => ctx.api.call('users.unlock', { username: u.username }),
                                `${u.username} unlocked.`,
                              ),
                          },
                          'Unlock',
                        )
                      : null,
                    // One's own password is changed, not reset: the current one is asked for.
                    u.username === ctx.user.username
                      ? h(
                          'button',
                          { type: 'button', class: 'secondary', onclick: () => openChangePassword(ctx) },
                          'Change my password…',
                        )
                      : h(
                          'button',
                          { type: 'button', class: 'secondary', onclick: () => void resetPassword(u) },
                          'Reset password',
                        ),
                    h(
                      'button',
                      { type: 'button', class: 'secondary', onclick: () => void setActive(u) },
                      u.active ? 'Deactivate' : 'Activate',
                    ),
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
