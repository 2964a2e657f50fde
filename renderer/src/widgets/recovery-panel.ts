/**
 * Recordings interrupted by a crash or power loss wait in the in-progress folder; after sign-in
 * the Record view offers each for recovery (stored and analysed like any recording) or discard.
 */
import type { ApiClient, ChestSite, Patient, PendingRecovery, RecordingDetail } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import { h } from '../ui/dom';
import { dateTime, siteName } from '../ui/format';

export function recoveryPanel(
  api: ApiClient,
  current: () => { patient: Patient | null; site: ChestSite | null },
  recovered: (d: RecordingDetail) => void,
): HTMLElement {
  const panel = h('section', {
    class: 'panel recovery',
    hidden: true,
    'aria-label': 'Interrupted recordings',
    'data-testid': 'recovery',
  });
  const render = (items: PendingRecovery[]): void => {
    panel.hidden = items.length === 0;
    panel.replaceChildren(
      h('h2', {}, '⚠ Interrupted recordings found'),
      h(
        'p',
        { class: 'hint' },
        'These were being recorded when the workstation stopped. Recover keeps and analyses what was captured; it goes to the patient and site it was started for (or, if unknown, the ones chosen below).',
      ),
      h(
        'ul',
        { class: 'jobs' },
        items.map((r) => {
          const note = h('p', { class: 'form-error', role: 'alert' });
          return h(
            'li',
            { class: 'job' },
            h(
              'p',
              {},
              `${dateTime(r.startedAt)} · ${r.durationSec > 0 ? `${r.durationSec.toFixed(1)} s` : `${Math.round(r.bytes / 1024)} KB captured`} · ${r.site ? siteName(r.site) : 'site unknown'}${r.patientId ? ` · patient #${r.patientId}` : ' · patient unknown'}`,
            ),
            h(
              'div',
              { class: 'row' },
              h(
                'button',
                {
                  type: 'button',
                  onclick: async () => {
                    const c = current();
                    const patientId = r.patientId ?? c.patient?.id;
                    const site = r.site ?? c.site;
                    if (!patientId || !site) {
                      note.textContent = 'Choose the patient and the chest site first, then press Recover.';
                      return;
                    }
                    try {
                      recovered(await api.call('recordings.recover', { path: r.path, patientId, site }));
                      await refresh();
                    } catch (err) {
                      note.textContent = errorMessage(err);
                    }
                  },
                },
                'Recover',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  onclick: async () => {
                    if (!window.confirm('Discard this interrupted recording? It cannot be recovered afterwards.'))
                      return;
                    try {
                      await api.call('recordings.discardRecovery', { path: r.path });
                      await refresh();
                    } catch (err) {
                      note.textContent = errorMessage(err);
                    }
                  },
                },
                'Discard…',
              ),
            ),
            note,
          );
        }),
      ),
    );
  };
  const refresh = async (): Promise<void> => {
    try {
      render(await api.call('recordings.pendingRecovery', {}));
    } catch {
      panel.hidden = true; // not offered to this role, or nothing to offer
    }
  };
  void refresh();
  return panel;
}
