/**
 * Every view, registered once: its route (`#/<name>` or `#/<name>/<id>`), its navigation entry
 * (null for pages reached from another view), the roles that may open it, and how it renders.
 * The router, the navigation bar and the access check all read this table.
 */
import type { Role } from '../../../src/service/api';
import type { AppContext } from './context';
import { auditView } from '../views/audit';
import { historyView } from '../views/history';
import { modelCardView } from '../views/model-card';
import { patientView } from '../views/patient';
import { recordView } from '../views/record';
import { recordingView } from '../views/recording';
import { reviewQueueView } from '../views/review-queue';
import { usersView } from '../views/users';

interface ViewEntry {
  /** The navigation bar's label, or null when the view is opened from another one. */
  nav: string | null;
  roles: readonly Role[];
  /** Whether the route carries an id (#/recording/12). */
  takesId: boolean;
  render(ctx: AppContext, root: HTMLElement, id: number): (() => void) | undefined;
}

const CLINICAL = ['nurse', 'pulmonologist'] as const;

/** In navigation order. */
export const VIEWS = {
  record: { nav: 'Record', roles: CLINICAL, takesId: false, render: recordView },
  review: { nav: 'Review queue', roles: ['pulmonologist'], takesId: false, render: reviewQueueView },
  history: { nav: 'History', roles: CLINICAL, takesId: false, render: historyView },
  audit: { nav: 'Audit & export', roles: ['auditor'], takesId: false, render: auditView },
  users: { nav: 'Users', roles: ['admin'], takesId: false, render: usersView },
  model: {
    nav: 'Model card',
    roles: ['nurse', 'pulmonologist', 'auditor', 'admin'],
    takesId: false,
    render: modelCardView,
  },
  recording: { nav: null, roles: CLINICAL, takesId: true, render: recordingView },
  patient: { nav: null, roles: CLINICAL, takesId: true, render: patientView },
} as const satisfies Record<string, ViewEntry>;

export type ViewName = keyof typeof VIEWS;
