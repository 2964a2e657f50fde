/**
 * The workstation UI: connects to the transport it was given, signs in, and shows the views
 * the user's role may use. The current user and role stay visible in the header.
 */
import type { ApiClient, UserInfo } from '../../src/service/api';
import { DISCLAIMER } from '../../src/service/api';
import { errorMessage } from './api/errors';
import { connect } from './api/transport';
import { homeFor } from './ui/context';
import type { AppContext } from './ui/context';
import { h } from './ui/dom';
import { parseRoute, routeHash } from './ui/router';
import type { Route } from './ui/router';
import { errorState } from './ui/states';
import { topBar } from './ui/topbar';
import { VIEWS, type ViewName } from './ui/views';
import { signInView } from './views/sign-in';
import { acceptedMessage, restorePendingView } from './views/restore-pending';
import { openChangePassword } from './widgets/change-password-dialog';
import { SITE_SETTINGS } from '../../src/common/site-settings';

/**
 * Lock after this long without keyboard or pointer input: the site setting an admin sets
 * (settings.get after every sign-in), the registry's default until it has arrived.
 */
let lockAfterSec: number = SITE_SETTINGS.lockAfterSec.default;
function lockAfterMs(): number {
  return lockAfterSec * 1000;
}

const app = document.getElementById('app') as HTMLElement;

function render(route: Route, ctx: AppContext, root: HTMLElement): (() => void) | undefined {
  return VIEWS[route.view].render(ctx, root, 'id' in route ? route.id : 0);
}

function allowed(route: Route, user: UserInfo): boolean {
  const roles: readonly string[] = VIEWS[route.view].roles;
  return roles.includes(user.role);
}

/** The navigation bar's entries for a role, in the table's order. */
function navFor(user: UserInfo): Array<{ route: Route; label: string }> {
  return (Object.keys(VIEWS) as ViewName[]).flatMap((view) => {
    const v = VIEWS[view];
    const roles: readonly string[] = v.roles;
    return v.nav !== null && roles.includes(user.role) ? [{ route: { view } as Route, label: v.nav }] : [];
  });
}

function showFatal(title: string, err: unknown): void {
  app.replaceChildren(h('main', { class: 'fatal' }, h('h1', {}, 'Auscult'), errorState(title, err)));
}

async function start(): Promise<void> {
  let api: ApiClient;
  try {
    const c = await connect();
    api = c.api;
    c.onClose(() =>
      showFatal(
        'Disconnected from the workstation',
        new Error(
          'The connection was closed (the server stopped or restarted). Reload the page from the address `auscult serve` printed; you will need to sign in again.',
        ),
      ),
    );
  } catch (err) {
    showFatal('Cannot reach the workstation', err);
    return;
  }

  let dispose: (() => void) | undefined = undefined;
  let busy = false;
  let lockTimer = 0;
  let user: UserInfo | null = null;
  /** Set while this page signs itself out, so the session.ended echo is not shown as news. */
  let leaving = false;

  const cleanup = (): void => {
    if (dispose) dispose();
    dispose = undefined;
  };

  const notice = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  let noticeTimer = 0;
  /**
   * Lock was pressed while a recording runs: the screen locks when the take ends (setBusy(false)),
   * and says so meanwhile in its own line, which the view's notices do not replace or time out.
   */
  let lockWhenTakeEnds = false;
  const lockWaits = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'lock-waits' });

  const signIn = (message?: string, lockedUser?: string): void => {
    lockWhenTakeEnds = false; // before cleanup: the view's setBusy(false) on leaving must not lock again
    cleanup();
    // A message for the user who leaves is not shown to the next one.
    window.clearTimeout(noticeTimer);
    notice.className = 'notice';
    notice.textContent = '';
    user = null;
    window.clearTimeout(lockTimer);
    const root = h('main', { class: 'signin-page' });
    app.replaceChildren(root);
    signInView(api, root, { message, username: lockedUser }, (u) => {
      user = u;
      loadSettings();
      const wanted = parseRoute(location.hash);
      renderShell(wanted && allowed(wanted, u) ? wanted : homeFor(u.role));
    });
  };

  /** Ends the session on the server; never throws (the sign-in page is shown either way). */
  const endSession = async (): Promise<void> => {
    leaving = true;
    try {
      await api.call('auth.signOut', {});
    } catch {
      /* the session may already be gone */
    } finally {
      leaving = false;
    }
  };

  /** `idle`: the inactivity timer; `button`: the user pressed Lock; `take-ended`: pressed during a take, which ended. */
  const lock = async (cause: 'idle' | 'button' | 'take-ended'): Promise<void> => {
    if (!user) return;
    if (busy) {
      // Ending the session would cut the take short; the idle timer just waits for the next turn.
      if (cause === 'button') {
        lockWhenTakeEnds = true;
        lockWaits.textContent =
          'Locks when this recording stops: the take is saved first (unless you discard it), then the screen locks.';
        lockWaits.className = 'notice show';
      }
      armLock();
      return;
    }
    lockWhenTakeEnds = false;
    const name = user.username;
    await endSession();
    const ms = lockAfterMs();
    const why =
      cause === 'idle'
        ? `Locked after ${ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`} without activity.`
        : cause === 'take-ended'
          ? 'Locked when the recording ended, as you asked.'
          : 'Locked.';
    signIn(`${why} Sign in again to continue.`, name);
  };
  const armLock = (): void => {
    window.clearTimeout(lockTimer);
    if (user) lockTimer = window.setTimeout(() => void lock('idle'), lockAfterMs());
  };
  /** The site's settings for this session (the lock delay); an admin's change applies at once. */
  const loadSettings = (): void => {
    api.call('settings.get', {}).then(
      (s) => {
        lockAfterSec = s.lockAfterSec;
        armLock();
      },
      () => undefined, // the default stays; the next sign-in asks again
    );
  };
  window.addEventListener('auscult:settings-changed', loadSettings);
  for (const ev of ['keydown', 'pointerdown', 'pointermove', 'wheel'])
    window.addEventListener(ev, armLock, { passive: true });

  api.on('session.ended', (e) => {
    if (!user || leaving) return;
    const why =
      e.reason === 'expired'
        ? 'Your session expired.'
        : e.reason === 'locked'
          ? 'The session was locked.'
          : e.reason === 'password-changed'
            ? 'Your password was changed, which ends your other sessions.'
            : e.reason === 'role-changed'
              ? 'An administrator changed your role.'
              : 'You were signed out.';
    signIn(`${why} Sign in again to continue.`, user.username);
  });

  const signOut = async (): Promise<void> => {
    await endSession();
    signIn('Signed out.');
  };

  const renderShell = (route: Route): void => {
    const u = user;
    if (!u) {
      signIn();
      return;
    }
    cleanup();
    armLock();
    const main = h('main', { id: 'view', tabindex: '-1' });
    const header = topBar({
      user: u,
      nav: navFor(u).map((n) => ({
        href: routeHash(n.route),
        label: n.label,
        current: n.route.view === route.view,
      })),
      onChangePassword: () => openChangePassword(ctx),
      onLock: () => void lock('button'),
      onSignOut: () => void signOut(),
    });
    const footer = h('footer', {}, DISCLAIMER);
    lockWaits.className = 'notice';
    app.replaceChildren(header, notice, lockWaits, main, footer);
    if (location.hash !== routeHash(route)) history.replaceState(null, '', routeHash(route));
    const ctx: AppContext = {
      api,
      user: u,
      navigate: (r) => {
        location.hash = routeHash(r);
      },
      notify: (message, kind = 'info') => {
        notice.textContent = message;
        notice.className = `notice show ${kind}`;
        window.clearTimeout(noticeTimer);
        noticeTimer = window.setTimeout(() => (notice.className = 'notice'), kind === 'error' ? 12000 : 5000);
      },
      setBusy: (b) => {
        busy = b;
        if (!b && lockWhenTakeEnds) void lock('take-ended');
      },
    };
    try {
      dispose = render(route, ctx, main);
    } catch (err) {
      main.replaceChildren(errorState('This view failed to open', err));
    }
    main.focus({ preventScroll: true });
  };

  window.addEventListener('hashchange', () => {
    if (!user) return;
    const r = parseRoute(location.hash);
    if (r && allowed(r, user)) renderShell(r);
  });

  try {
    // A restored older copy answers nothing but this until an administrator accepts it.
    const status = await api.call('system.status', {});
    if (status.rollback) {
      const root = h('main', { class: 'signin-page' });
      app.replaceChildren(root);
      const pending = status.rollback;
      restorePendingView(api, root, pending, (r) => signIn(acceptedMessage(pending, r)));
      return;
    }
    const { user: current } = await api.call('auth.whoami', {});
    if (current) {
      user = current;
      loadSettings();
      const wanted = parseRoute(location.hash);
      renderShell(wanted && allowed(wanted, current) ? wanted : homeFor(current.role));
    } else {
      signIn();
    }
  } catch (err) {
    showFatal('The workstation did not answer', new Error(errorMessage(err)));
  }
}

// Pasting the full address (with its token) into a tab that shows an error only changes the
// fragment, which does not reload the page: reload so the new token is used.
window.addEventListener('hashchange', () => {
  if (/(?:^#|&)token=/.test(location.hash)) location.reload();
});

void start();
