/** The admin's site settings (src/common/site-settings.ts): shown with their limits, saved audited. */
import { SITE_SETTINGS } from '../../../src/common/site-settings';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, listener } from '../ui/dom';

export function siteSettingsPanel(ctx: AppContext): HTMLElement {
  const def = SITE_SETTINGS.lockAfterSec;
  const minutes = h('input', {
    name: 'lockAfterMin',
    type: 'number',
    min: String(def.min / 60),
    max: String(def.max / 60),
    step: 'any',
    required: true,
  });
  const status = h('p', { class: 'hint', role: 'status', 'data-testid': 'settings-status' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Site settings' },
    h(
      'div',
      { class: 'row' },
      field(`${def.label} (minutes)`, minutes),
      h('button', { type: 'submit' }, 'Save settings'),
    ),
    h('p', { class: 'hint' }, `${def.help} Between ${def.min} s and ${def.max / 60} min; every change is audited.`),
    status,
  );
  void ctx.api.call('settings.get', {}).then(
    (s) => (minutes.value = String(+(s.lockAfterSec / 60).toFixed(2))),
    (e: unknown) => (status.textContent = errorMessage(e)),
  );
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      try {
        const s = await ctx.api.call('settings.set', { lockAfterSec: Math.round(Number(minutes.value) * 60) });
        status.textContent = `Saved: the screen locks after ${s.lockAfterSec >= 60 ? `${+(s.lockAfterSec / 60).toFixed(2)} min` : `${s.lockAfterSec} s`} without activity.`;
        window.dispatchEvent(new Event('auscult:settings-changed'));
      } catch (e) {
        status.textContent = errorMessage(e);
      }
    }),
  );
  return h('section', { class: 'panel' }, h('h2', {}, 'Site settings'), form);
}
