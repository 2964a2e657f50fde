/** Hash routes (#/review, #/recording/12 …) so back/forward and bookmarks work. */
export type Route =
  | { view: 'record' }
  | { view: 'review' }
  | { view: 'recording'; id: number }
  | { view: 'patient'; id: number }
  | { view: 'history' }
  | { view: 'audit' }
  | { view: 'model' }
  | { view: 'users' };

export function parseRoute(hash: string): Route | null {
  const m = /^#\/([a-z]+)(?:\/(\d+))?$/.exec(hash);
  if (!m) return null;
  const [, view, idText] = m;
  const id = idText ? Number(idText) : NaN;
  switch (view) {
    case 'record':
    case 'review':
    case 'history':
    case 'audit':
    case 'model':
    case 'users':
      return { view };
    case 'recording':
    case 'patient':
      return Number.isSafeInteger(id) ? { view, id } : null;
    default:
      return null;
  }
}

export function routeHash(r: Route): string {
  return 'id' in r ? `#/${r.view}/${r.id}` : `#/${r.view}`;
}
