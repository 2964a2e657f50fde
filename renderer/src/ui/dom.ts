/**
 * A tiny element builder: text is always set as text (never HTML), so patient data cannot
 * inject markup. Styles go through CSSOM (el.style), which the CSP allows.
 */
type Child = Node | string | number | null | undefined | false;
/** An event handler; it may be async (see `listener`). */
type Handler = (ev: Event) => unknown;
type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

/**
 * An event handler that may be async: a rejection it did not catch itself is logged, never
 * lost as an unhandled rejection. h() wraps its on* attributes with it.
 */
export function listener<E extends Event>(fn: (ev: E) => unknown): (ev: E) => void {
  return (ev) => {
    Promise.resolve(fn(ev)).catch((err: unknown) => {
      console.error('auscult: an event handler failed', err);
    });
  };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), listener(v));
    else if (k === 'class') el.className = String(v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(v);
    else if (k === 'disabled' && 'disabled' in el) (el as HTMLButtonElement).disabled = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Array<Child | Child[]>): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(
  tag: string,
  attrs: Record<string, string | number | EventListener> = {},
  ...children: Array<Node | string>
): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children) el.append(c);
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

/** A labelled form field. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label' }, label),
    control,
    hint ? h('span', { class: 'hint' }, hint) : null,
  );
}

export function options<T extends string>(
  values: ReadonlyArray<T | { value: T; label: string }>,
  selected?: string | null,
): HTMLOptionElement[] {
  return values.map((v) => {
    const value = typeof v === 'string' ? v : v.value;
    const label = typeof v === 'string' ? v : v.label;
    const o = h('option', { value }, label);
    if (value === selected) o.selected = true;
    return o;
  });
}
