/** Find a patient by identifier or name, or create one quickly, without leaving the Record view. */
import type { ApiClient, Patient, PatientConflictDetails, PatientSummary, Sex } from '../../../src/service/api';
import { ApiCallError, errorMessage } from '../api/errors';
import { field, h, options, listener } from '../ui/dom';
import { dateOnly } from '../ui/format';

export interface PatientPicker {
  element: HTMLElement;
  selected(): Patient | null;
  /**
   * Re-reads the chosen patient (their record changed since they were chosen) and shows them as
   * they are now, flagged so the nurse checks again; the new record, or null if it cannot be read.
   */
  reread(): Promise<Patient | null>;
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

  const choose = (p: Patient | null, notify = true, changed = false): void => {
    current = p;
    chosen.replaceChildren(
      p
        ? h(
            'div',
            {},
            changed
              ? h(
                  'p',
                  { class: 'changed-note', role: 'alert', 'data-testid': 'patient-changed' },
                  'This record changed since you chose it; it now reads:',
                )
              : '',
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
  /** Opens an existing patient (from a refusal): the picker chooses them as a search would. */
  const open = async (id: number): Promise<void> => {
    try {
      const d = await api.call('patients.get', { id });
      form.reset();
      createBox.hidden = true;
      createError.replaceChildren();
      choose(d.patient);
    } catch (err) {
      createError.textContent = `Could not open that patient: ${errorMessage(err)}`;
    }
  };
  const create = async (confirmSimilar: boolean): Promise<void> => {
    createError.replaceChildren();
    try {
      const p = await api.call('patients.create', {
        mrn: mrn.value.trim(),
        givenName: given.value.trim(),
        familyName: family.value.trim(),
        birthDate: birth.value || null,
        sex: sex.value as Sex,
        ...(confirmSimilar ? { confirmSimilar: true } : {}),
      });
      form.reset();
      createBox.hidden = true;
      choose(p);
    } catch (err) {
      const details = conflictDetails(err);
      createError.append(errorMessage(err));
      if (!details) return;
      // Whoever it is, show them in the list too (it said "No patients yet" before).
      search.value = details.reason === 'mrn' ? mrn.value.trim() : family.value.trim();
      void run();
      const actions = h(
        'div',
        { class: 'actions' },
        ...details.patients.map((p) =>
          h(
            'button',
            { type: 'button', 'data-testid': 'open-existing', onclick: () => void open(p.id) },
            details.patients.length === 1 ? 'Open that patient' : `Open ${p.name} (MRN ${p.mrn})`,
          ),
        ),
        details.reason === 'similar'
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'data-testid': 'confirm-similar',
                onclick: () => void create(true),
              },
              'It is a different person: create',
            )
          : null,
      );
      createError.append(actions);
    }
  };
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      await create(false);
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
  const reread = async (): Promise<Patient | null> => {
    const id = current?.id;
    if (id === undefined) return null;
    try {
      const fresh = (await api.call('patients.get', { id })).patient;
      if (current?.id === id) choose(fresh, true, true);
      return fresh;
    } catch {
      return null;
    }
  };
  return { element, selected: () => current, reread };
}

/** The service's reason for refusing a new patient, when it names existing ones. */
function conflictDetails(err: unknown): PatientConflictDetails | null {
  if (!(err instanceof ApiCallError) || err.code !== 'CONFLICT') return null;
  const d = err.details as Partial<PatientConflictDetails> | undefined;
  return d && (d.reason === 'mrn' || d.reason === 'similar') && Array.isArray(d.patients) && d.patients.length
    ? (d as PatientConflictDetails)
    : null;
}
