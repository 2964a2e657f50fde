/** Hash routes (#/review, #/recording/12 …) so back/forward and bookmarks work; views: views.ts. */
import { VIEWS, type ViewName } from './views';

type IdView = { [K in ViewName]: (typeof VIEWS)[K]['takesId'] extends true ? K : never }[ViewName];
export type Route = { view: Exclude<ViewName, IdView> } | { view: IdView; id: number };

function isViewName(name: string): name is ViewName {
  return Object.prototype.hasOwnProperty.call(VIEWS, name);
}

export function parseRoute(hash: string): Route | null {
  const m = /^#\/([a-z]+)(?:\/(\d+))?$/.exec(hash);
  if (!m) return null;
  const [, view = '', idText] = m;
  if (!isViewName(view)) return null;
  const entry: { takesId: boolean } = VIEWS[view];
  if (!entry.takesId) return { view } as Route;
  const id = idText ? Number(idText) : NaN;
  return Number.isSafeInteger(id) ? { view, id } : null;
}

export function routeHash(r: Route): string {
  return 'id' in r ? `#/${r.view}/${r.id}` : `#/${r.view}`;
}
