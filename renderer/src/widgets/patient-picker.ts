/** Find a patient by identifier or name, or create one quickly, without leaving the Record view. */
import type { ApiClient, Patient, PatientSummary, Sex } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import { field, h, options, listener } from '../ui/dom';
import { dateOnly } from '../ui/format';

export interface PatientPicker {
  element: HTMLElement;
  selected(): Patient | null;
}

export function patientPicker(api: ApiClient, onChange: (p: Patient | null) => void): PatientPicker {
  let current: Patient | null = null;
  const search = h('input', {
    type: 'search',
    placeholder: 'Identifier (MRN) or name',
    'aria-label': 'Find patient',
    autocomplete: 'off',
  });
  const results = h('ul', { class: 'pick-list', 'aria-label': 'Matching patients' });
  const chosen = h('div', { class: 'chosen-patient', 'data-testid': 'chosen-patient' });
  const status = h('p', { class: 'hint', role: 'status' });
  const createBox = h('div', { class: 'quick-create', hidden: true });

  const choose = (p: Patient | null, notify = true): void => {
    current = p;
    chosen.replaceChildren(
      p
        ? h(
            'div',
            {},
            h('strong', {}, `${p.familyName}, ${p.givenName}`),
            ` · MRN ${p.mrn}`,
            p.birthDate ? ` · born ${dateOnly(p.birthDate)}` : '',
            ' ',
            h('button', { type: 'button', class: 'link', onclick: () => choose(null) }, 'change'),
          )
        : h('span', { class: 'hint' }, 'No patient chosen.'),
    );
    search.closest('.patient-find')?.toggleAttribute('hidden', !!p);
    if (notify) onChange(p);
  };

  let seq = 0;
  const run = async (): Promise<void> => {
    const q = search.value.trim();
    const mine = ++seq;
    status.textContent = 'Searching…';
    try {
      const page = await api.call('patients.search', { query: q || undefined, limit: 8, offset: 0 });
      if (mine !== seq) return;
      results.replaceChildren(
        ...page.items.map((p: PatientSummary) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: 'pick', onclick: () => choose(p) },
              h('strong', {}, `${p.familyName}, ${p.givenName}`),
              ` · MRN ${p.mrn} · ${p.recordingCount} recording${p.recordingCount === 1 ? '' : 's'}`,
            ),
          ),
        ),
      );
      status.textContent = page.items.length
        ? page.total > page.items.length
          ? `${page.total} matches; showing ${page.items.length}. Type more to narrow.`
          : ''
        : q
          ? `No patient matches “${q}”. Create one below.`
          : 'No patients yet. Create the first one below.';
    } catch (err) {
      if (mine === seq) status.textContent = `Search failed: ${errorMessage(err)}`;
    }
  };
  let timer = 0;
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void run(), 200);
  });

  const mrn = h('input', { name: 'mrn', required: true, autocomplete: 'off' });
  const given = h('input', { name: 'givenName', required: true, autocomplete: 'off' });
  const family = h('input', { name: 'familyName', required: true, autocomplete: 'off' });
  const birth = h('input', { name: 'birthDate', type: 'date' });
  const sex = h(
    'select',
    { name: 'sex' },
    options<Sex>([
      { value: 'unknown', label: 'Not stated' },
      { value: 'female', label: 'Female' },
      { value: 'male', label: 'Male' },
      { value: 'other', label: 'Other' },
    ]),
  );
  const createError = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'grid2', 'aria-label': 'New patient' },
    field('Identifier (MRN)', mrn),
    field('Date of birth', birth),
    field('Given name', given),
    field('Family name', family),
    field('Sex', sex),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Create patient'),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => createBox.toggleAttribute('hidden', true) },
        'Cancel',
      ),
    ),
    createError,
  );
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      createError.textContent = '';
      try {
        const p = await api.call('patients.create', {
          mrn: mrn.value.trim(),
          givenName: given.value.trim(),
          familyName: family.value.trim(),
          birthDate: birth.value || null,
          sex: sex.value as Sex,
        });
        form.reset();
        createBox.hidden = true;
        choose(p);
      } catch (err) {
        createError.textContent = errorMessage(err);
      }
    }),
  );
  createBox.append(h('h3', {}, 'New patient'), form);

  const element = h(
    'section',
    { class: 'panel patient-picker', 'aria-label': 'Patient' },
    h('h2', {}, '1 · Patient'),
    chosen,
    h(
      'div',
      { class: 'patient-find' },
      search,
      status,
      results,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            createBox.hidden = false;
            if (/\d/.test(search.value)) mrn.value = search.value.trim();
            mrn.focus();
          },
        },
        '+ New patient',
      ),
    ),
    createBox,
  );
  choose(null, false);
  void run();
  return { element, selected: () => current };
}
