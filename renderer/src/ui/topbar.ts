/**
 * The header: brand, the role's views, and the signed-in user's menu. It stays one row from
 * 1024 px up for every role: below 1280 px Lock and Sign out live in the user menu (styles.css
 * shows one copy or the other), and a long name is shortened with its full text in the tooltip.
 */
import type { UserInfo } from '../../../src/service/api';
import { h } from './dom';

export interface TopBarOptions {
  user: UserInfo;
  /** The role's navigation entries, in order. */
  nav: Array<{ href: string; label: string; current: boolean }>;
  onChangePassword: () => void;
  onLock: () => void;
  onSignOut: () => void;
}

/** Closes the menu a menu item sits in, so it does not stay open over the next view or dialog. */
function closeMenu(ev: Event): void {
  (ev.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
}

export function topBar(o: TopBarOptions): HTMLElement {
  const u = o.user;
  // Two copies of each session action, one in the bar and one in the menu; CSS shows one copy
  // per width, and a hidden (display: none) copy is out of the tab order and the accessibility tree.
  const sessionActions = (where: 'bar' | 'menu'): HTMLButtonElement[] =>
    (
      [
        ['Lock', o.onLock],
        ['Sign out', o.onSignOut],
      ] as const
    ).map(([label, act]) =>
      h(
        'button',
        {
          type: 'button',
          class: `secondary session-action in-${where}`,
          onclick: (ev: Event) => {
            closeMenu(ev);
            act();
          },
        },
        label,
      ),
    );
  return h(
    'header',
    { class: 'topbar' },
    h('span', { class: 'brand' }, 'Auscult'),
    h(
      'nav',
      { 'aria-label': 'Views' },
      o.nav.map((n) =>
        h('a', { href: n.href, class: n.current ? 'active' : '', 'aria-current': n.current ? 'page' : null }, n.label),
      ),
    ),
    h(
      'div',
      { class: 'who' },
      // The signed-in user's menu: their own account (every role may change its password).
      h(
        'details',
        { class: 'user-menu' },
        h(
          'summary',
          { 'aria-label': `${u.displayName}, ${u.role}: account menu`, title: u.displayName },
          h(
            'span',
            { class: 'user', 'data-testid': 'current-user' },
            h('span', { class: 'user-name' }, u.displayName),
            ' ',
            h('span', { class: 'role' }, u.role),
          ),
        ),
        h(
          'div',
          { class: 'user-menu-items' },
          h(
            'button',
            {
              type: 'button',
              onclick: (ev: Event) => {
                closeMenu(ev);
                o.onChangePassword();
              },
            },
            'Change password…',
          ),
          sessionActions('menu'),
        ),
      ),
      sessionActions('bar'),
    ),
  );
}
