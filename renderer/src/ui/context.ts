import type { ApiClient, Role, UserInfo } from '../../../src/service/api';
import type { Route } from './router';

/** What every view is given. */
export interface AppContext {
  api: ApiClient;
  user: UserInfo;
  navigate(route: Route): void;
  /** A short message at the top of the page (also read out by screen readers). */
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Views call this while a recording runs so the inactivity lock waits. */
  setBusy(busy: boolean): void;
}

/** A view renders into `root` and returns what to undo when the user leaves it. */
export type View = (ctx: AppContext, root: HTMLElement) => (() => void) | undefined;

export function homeFor(role: Role): Route {
  switch (role) {
    case 'nurse':
      return { view: 'record' };
    case 'pulmonologist':
      return { view: 'review' };
    case 'auditor':
      return { view: 'audit' };
    case 'admin':
      return { view: 'users' };
  }
}
