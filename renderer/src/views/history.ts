/** History: search patients, or recordings by identifier/name, date, site, signed and top class. */
import { CLASS_LABELS, CLASS_ORDER } from '../../../src/common/classes';
import { CHEST_SITES } from '../../../src/common/chest-sites';
import type { ChestSite, ClassName, PatientSummary } from '../../../src/service/api';
import type { AppContext } from '../ui/context';
import { field, h, options } from '../ui/dom';
import { dateOnly, dateTime, siteName } from '../ui/format';
import { empty, withLoading } from '../ui/states';
import { recordingColumns } from '../widgets/recording-columns';
import { dataTable, pager } from '../widgets/table';

const LIMIT = 25;

export function historyView(ctx: AppContext, root: HTMLElement): undefined {
  const query = h('input', { type: 'search', name: 'query', placeholder: 'MRN or name', autocomplete: 'off' });
  const kind = h(
    'select',
    { name: 'kind' },
    options(
      [
        { value: 'recordings', label: 'Recordings' },
        { value: 'patients', label: 'Patients' },
      ],
      'recordings',
    ),
  );
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const site = h(
    'select',
    { name: 'site' },
    h('option', { value: '' }, 'Any site'),
    options(CHEST_SITES.map((s) => ({ value: s, label: siteName(s) }))),
  );
  const signed = h(
    'select',
    { name: 'signed' },
    options(
      [
        { value: '', label: 'Signed or not' },
        { value: 'yes', label: 'Signed' },
        { value: 'no', label: 'Not signed' },
      ],
      '',
    ),
  );
  const top = h(
    'select',
    { name: 'topClass' },
    h('option', { value: '' }, 'Any top class'),
    options(CLASS_ORDER.map((c) => ({ value: c, label: CLASS_LABELS[c] }))),
  );
  const recFilters = h(
    'div',
    { class: 'row' },
    field('From', from),
    field('To', to),
    field('Site', site),
    field('Signed', signed),
    field('Top class', top),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Search history' },
    h('div', { class: 'row' }, field('Search', query), field('Find', kind), h('button', { type: 'submit' }, 'Search')),
    recFilters,
  );
  const results = h('div', {});
  root.append(h('h1', {}, 'History'), form, results);

  const load = (offset: number): void => {
    const q = query.value.trim() || undefined;
    if (kind.value === 'patients') {
      void withLoading(
        results,
        'patients',
        () => ctx.api.call('patients.search', { query: q, limit: LIMIT, offset }),
        (page) => {
          if (page.total === 0) {
            results.append(
              empty(
                'No patients found',
                q
                  ? 'Check the spelling, or search by the identifier (MRN).'
                  : 'No patients are registered yet. Nurses create them from the Record view.',
              ),
            );
            return;
          }
          results.append(
            dataTable<PatientSummary>(
              'Patients',
              [
                { title: 'Name', cell: (p) => `${p.familyName}, ${p.givenName}` },
                { title: 'MRN', cell: (p) => p.mrn },
                { title: 'Born', cell: (p) => dateOnly(p.birthDate) },
                { title: 'Recordings', cell: (p) => String(p.recordingCount), className: 'num' },
                { title: 'Last recorded', cell: (p) => dateTime(p.lastRecordedAt) },
              ],
              page.items,
              (p) => ctx.navigate({ view: 'patient', id: p.id }),
            ),
            pager(page, load),
          );
        },
      );
      return;
    }
    const params = {
      query: q,
      from: from.value ? new Date(`${from.value}T00:00:00`).toISOString() : undefined,
      to: to.value ? new Date(`${to.value}T23:59:59.999`).toISOString() : undefined,
      site: (site.value || undefined) as ChestSite | undefined,
      signed: signed.value === '' ? undefined : signed.value === 'yes',
      topClass: (top.value || undefined) as ClassName | undefined,
      limit: LIMIT,
      offset,
    };
    void withLoading(
      results,
      'recordings',
      () => ctx.api.call('recordings.list', params),
      (page) => {
        if (page.total === 0) {
          results.append(empty('No recordings match', 'Widen the dates or clear a filter.'));
          return;
        }
        results.append(
          dataTable('Recordings', recordingColumns(true), page.items, (r) =>
            ctx.navigate({ view: 'recording', id: r.id }),
          ),
          pager(page, load),
        );
      },
    );
  };
  kind.addEventListener('change', () => {
    recFilters.hidden = kind.value === 'patients';
    load(0);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(0);
  });
  load(0);
}
