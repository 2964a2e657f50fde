/** Tables of rows with a pager; rows open on click or Enter. */
import type { Page } from '../../../src/service/api';
import { h } from '../ui/dom';

export interface Column<T> {
  title: string;
  cell: (row: T) => string | Node;
  className?: string;
}

export function dataTable<T>(
  caption: string,
  columns: Column<T>[],
  rows: T[],
  open?: (row: T) => void,
): HTMLTableElement {
  return h(
    'table',
    { class: 'data' },
    h('caption', { class: 'sr-only' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col', class: c.className ?? '' }, c.title)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) => {
        const tr = h(
          'tr',
          {},
          columns.map((c) => h('td', { class: c.className ?? '' }, c.cell(r))),
        );
        if (open) {
          tr.tabIndex = 0;
          tr.classList.add('clickable');
          tr.addEventListener('click', () => open(r));
          tr.addEventListener('keydown', (ev) => {
            if (ev.key === 'Enter') open(r);
          });
        }
        return tr;
      }),
    ),
  );
}

export function pager(page: Page<unknown>, go: (offset: number) => void): HTMLElement {
  const from = page.total === 0 ? 0 : page.offset + 1;
  const to = Math.min(page.total, page.offset + page.items.length);
  return h(
    'div',
    { class: 'pager', role: 'navigation', 'aria-label': 'Pages' },
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        disabled: page.offset === 0,
        onclick: () => go(Math.max(0, page.offset - page.limit)),
      },
      '← Previous',
    ),
    h('span', { 'data-testid': 'page-info' }, `${from}–${to} of ${page.total}`),
    h(
      'button',
      { type: 'button', class: 'secondary', disabled: to >= page.total, onclick: () => go(page.offset + page.limit) },
      'Next →',
    ),
  );
}
