/**
 * The chest-site picker: front and back torsos with the thirteen standard sites. The front view
 * is drawn facing the clinician, so the patient's right is on the viewer's left, as on a chart.
 * Sites are keyboard buttons (Tab, Enter/Space); selected and already-recorded sites differ by
 * shape and text, not only colour.
 */
import { CHEST_SITES } from '../../../src/common/chest-sites';
import type { ChestSite } from '../../../src/service/api';
import { h, svg } from '../ui/dom';
import { siteName } from '../ui/format';

const W = 200;
const TORSO =
  'M70 40 Q100 30 130 40 L150 52 Q172 60 176 90 L180 250 Q180 272 160 276 L40 276 Q20 272 20 250 L24 90 Q28 60 50 52 Z';

type Pos = { x: number; y: number };
function position(site: ChestSite): { view: 'anterior' | 'posterior'; pos: Pos } {
  if (site === 'trachea') return { view: 'anterior', pos: { x: 100, y: 62 } };
  const [view, side, level] = site.split('-') as [
    'anterior' | 'posterior',
    'left' | 'right',
    'upper' | 'middle' | 'lower',
  ];
  const y = level === 'upper' ? 108 : level === 'middle' ? 162 : 216;
  // Anterior: patient's right on the viewer's left. Posterior: patient's left on the viewer's left.
  const viewerLeft = view === 'anterior' ? side === 'right' : side === 'left';
  return { view, pos: { x: viewerLeft ? 66 : 134, y } };
}

function shortLabel(site: ChestSite): string {
  if (site === 'trachea') return 'T';
  const [, side, level] = site.split('-') as [string, string, string];
  return `${side[0]?.toUpperCase()}${level[0]?.toUpperCase()}`;
}

export interface BodyDiagram {
  element: HTMLElement;
  select(site: ChestSite | null): void;
  markDone(sites: Iterable<ChestSite>): void;
}

export function bodyDiagram(onPick: (site: ChestSite) => void): BodyDiagram {
  const nodes = new Map<ChestSite, SVGElement>();
  const views: Record<'anterior' | 'posterior', SVGElement> = {
    anterior: svg('svg', {
      viewBox: `0 0 ${W} 300`,
      class: 'torso',
      role: 'group',
      'aria-label': 'Front of the chest (anterior)',
    }),
    posterior: svg('svg', { viewBox: `0 0 ${W} 300`, class: 'torso', role: 'group', 'aria-label': 'Back (posterior)' }),
  };
  for (const v of ['anterior', 'posterior'] as const) {
    const g = views[v];
    g.append(
      svg('rect', { x: 82, y: 8, width: 36, height: 34, rx: 12, class: 'neck' }),
      svg('path', { d: TORSO, class: 'body' }),
    );
    if (v === 'anterior') g.append(svg('path', { d: 'M100 70 L100 140', class: 'sternum' }));
    else g.append(svg('path', { d: 'M100 50 L100 270', class: 'spine' }));
    g.append(
      svg('text', { x: 22, y: 294, class: 'side-label' }, v === 'anterior' ? 'R' : 'L'),
      svg('text', { x: 170, y: 294, class: 'side-label' }, v === 'anterior' ? 'L' : 'R'),
    );
  }
  for (const site of CHEST_SITES) {
    const { view, pos } = position(site);
    const node = svg(
      'g',
      {
        class: 'site',
        tabindex: 0,
        role: 'button',
        'aria-pressed': 'false',
        'aria-label': siteName(site),
        'data-site': site,
        transform: `translate(${pos.x} ${pos.y})`,
      },
      svg('circle', { r: 17, class: 'site-dot' }),
      svg('text', { class: 'site-text', 'text-anchor': 'middle', 'dominant-baseline': 'central' }, shortLabel(site)),
      svg('text', { class: 'site-done', x: 14, y: -12, 'text-anchor': 'middle' }, '✓'),
      svg('title', {}, siteName(site)),
    );
    node.addEventListener('click', () => onPick(site));
    node.addEventListener('keydown', (ev) => {
      const k = ev.key;
      if (k === 'Enter' || k === ' ') {
        ev.preventDefault();
        ev.stopPropagation();
        onPick(site);
      }
    });
    views[view].append(node);
    nodes.set(site, node);
  }
  const caption = h(
    'p',
    { class: 'site-caption', 'data-testid': 'site-caption' },
    'No site chosen: pick one on the diagram.',
  );
  const element = h(
    'div',
    { class: 'body-diagram' },
    h(
      'div',
      { class: 'torsos' },
      h('figure', {}, views.anterior, h('figcaption', {}, 'Front')),
      h('figure', {}, views.posterior, h('figcaption', {}, 'Back')),
    ),
    caption,
  );
  return {
    element,
    select(site) {
      for (const [s, n] of nodes) {
        n.classList.toggle('selected', s === site);
        n.setAttribute('aria-pressed', String(s === site));
      }
      caption.textContent = site ? `Site: ${siteName(site)}` : 'No site chosen: pick one on the diagram.';
    },
    markDone(sites) {
      const done = new Set(sites);
      for (const [s, n] of nodes) n.classList.toggle('done', done.has(s));
    },
  };
}
