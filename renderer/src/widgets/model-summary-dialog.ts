/**
 * "About this model": the card's plain-language summary for clinicians, one click from every
 * result, in a modal dialog (Escape or the button closes it), with a link to the full model card.
 */
import type { ModelFacts } from '../../../src/service/api';
import { h } from '../ui/dom';

export function aboutModelButton(facts: ModelFacts | null): HTMLElement {
  const close = (): void => dialog.close();
  const dialog: HTMLDialogElement = h(
    'dialog',
    { class: 'model-summary', 'aria-label': 'About this model', 'data-testid': 'model-summary' },
    h('h2', {}, 'About this model'),
    facts
      ? h(
          'div',
          {},
          facts.summary.map((s) => h('p', {}, s)),
          h('p', { class: 'hint' }, `Head ${facts.head.name} ${facts.head.version}.`),
        )
      : h('p', {}, 'The model card could not be loaded.'),
    h(
      'div',
      { class: 'actions' },
      h('a', { href: '#/model', onclick: close }, 'Open the full model card'),
      h('button', { type: 'button', class: 'secondary', onclick: close }, 'Close'),
    ),
  );
  const button = h(
    'button',
    { type: 'button', class: 'link-button', 'data-testid': 'about-model', onclick: () => dialog.showModal() },
    'About this model: what it can and cannot tell',
  );
  return h('span', { class: 'about-model' }, button, dialog);
}
