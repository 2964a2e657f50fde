/** A modal question with a confirm and a cancel button (and an optional field); resolves with the answer. */
import { field, h } from '../ui/dom';

export interface ConfirmOptions {
  title: string;
  text: string;
  confirm: string;
  /** A field to fill in (e.g. a new password); its value is the answer. */
  input?: { label: string; type: 'password' | 'text'; autocomplete?: string };
}

/** null when cancelled; '' when confirmed without a field; the field's value otherwise. */
export function confirmDialog(o: ConfirmOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const input = o.input
      ? h('input', {
          type: o.input.type,
          name: 'dialogInput',
          required: true,
          autocomplete: o.input.autocomplete ?? 'off',
        })
      : null;
    const dialog = h('dialog', { class: 'confirm-dialog', 'data-testid': 'confirm-dialog', 'aria-label': o.title });
    let answer: string | null = null;
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', {}, o.title),
      h('p', {}, o.text),
      input && o.input ? field(o.input.label, input) : null,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', value: 'ok' }, o.confirm),
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', () => {
      answer = input ? input.value : '';
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    (input ?? form.querySelector('button'))?.focus();
  });
}
