/** Loading, empty and error states: each says what is happening and what to do. */
import { errorMessage } from '../api/errors';
import { h } from './dom';

export function loading(what: string): HTMLElement {
  return h(
    'div',
    { class: 'state state-loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    `Loading ${what}…`,
  );
}

export function empty(title: string, todo: string, action?: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'state state-empty', role: 'status' },
    h('strong', {}, title),
    h('p', {}, todo),
    action ?? null,
  );
}

export function errorState(title: string, err: unknown, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'state state-error', role: 'alert' },
    h('strong', {}, `⚠ ${title}`),
    h('p', {}, errorMessage(err)),
    retry ? h('button', { type: 'button', onclick: () => retry() }, 'Try again') : null,
  );
}

/** Renders `load()` into `el`: loading first, then `render(result)`, or the error with a retry. */
export async function withLoading<T>(
  el: HTMLElement,
  what: string,
  load: () => Promise<T>,
  render: (v: T) => void,
): Promise<void> {
  el.replaceChildren(loading(what));
  try {
    const v = await load();
    el.replaceChildren();
    render(v);
  } catch (err) {
    el.replaceChildren(errorState(`Could not load ${what}`, err, () => void withLoading(el, what, load, render)));
  }
}
