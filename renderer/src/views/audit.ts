/** Audit & export (auditor): the audit log with filters, the hash chain's status, and exports with progress. */
import type { AuditEntry, ExportJob, ExportKind, ExportScope } from '../../../src/service/api';
import { EXPORT_KIND_NAMES, EXPORT_KINDS } from '../../../src/common/export-kinds';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, options, listener } from '../ui/dom';
import { dateTime } from '../ui/format';
import { empty, errorState, loading, withLoading } from '../ui/states';
import { auditSummary } from '../widgets/audit-summary';
import { downloadExportFile } from '../widgets/export-button';
import { dataTable, pager } from '../widgets/table';

const LIMIT = 50;
const KINDS: Array<{ value: ExportKind; label: string }> = EXPORT_KIND_NAMES.map((value) => ({
  value,
  label: EXPORT_KINDS[value].label,
}));

/** The select offers only registered kinds; anything else would be refused by the service. */
function exportKind(value: string): ExportKind {
  return EXPORT_KIND_NAMES.find((k) => k === value) ?? 'audit-history';
}

function isoDay(v: string, end: boolean): string | undefined {
  return v ? new Date(`${v}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : undefined;
}

export function auditView(ctx: AppContext, root: HTMLElement): () => void {
  const offs: Array<() => void> = [];
  // --- chain verification ---
  const chain = h(
    'div',
    { 'data-testid': 'chain-status' },
    h('p', { class: 'hint' }, 'Not checked yet in this visit.'),
  );
  const verify = async (): Promise<void> => {
    chain.replaceChildren(loading('the verification of the hash chain'));
    try {
      const v = await ctx.api.call('audit.verify', {});
      chain.replaceChildren(
        v.ok
          ? h(
              'p',
              { class: 'ok-banner' },
              `✓ Chain intact: ${v.entries} entries verified. Head ${v.head.slice(0, 16)}…`,
            )
          : h(
              'p',
              { class: 'bad-banner', role: 'alert' },
              `✗ Chain broken at entry ${v.firstBadSeq ?? '?'}: ${v.reason ?? 'unknown reason'}. Keep this workstation's database as evidence and tell your administrator.`,
            ),
      );
    } catch (err) {
      chain.replaceChildren(errorState('Could not verify the chain', err, () => void verify()));
    }
  };

  // --- log with filters ---
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const username = h('input', {
    name: 'username',
    autocomplete: 'off',
    placeholder: 'any',
    title: 'Who acted, or the user name a failed sign-in tried',
  });
  const text = h('input', { name: 'detailsText', type: 'search', autocomplete: 'off', placeholder: 'any words' });
  const action = h('input', { name: 'action', autocomplete: 'off', placeholder: 'e.g. recording.view' });
  const objectType = h('input', { name: 'objectType', autocomplete: 'off', placeholder: 'e.g. recording' });
  const objectId = h('input', { name: 'objectId', autocomplete: 'off', placeholder: 'any' });
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter the audit log' },
    h(
      'div',
      { class: 'row' },
      field('From', from),
      field('To', to),
      field('User', username),
      field('Action', action),
      field('Object type', objectType),
      field('Object id', objectId),
      field('Details contain', text),
      h('button', { type: 'submit' }, 'Filter'),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'data-testid': 'filter-break-glass',
          onclick: () => {
            action.value = 'patient.break-glass';
            loadLog(0);
          },
        },
        'Break-glass accesses only',
      ),
    ),
  );
  const log = h('div', {});
  const loadLog = (offset: number): void =>
    void withLoading(
      log,
      'the audit log',
      () =>
        ctx.api.call('audit.list', {
          from: isoDay(from.value, false),
          to: isoDay(to.value, true),
          username: username.value.trim() || undefined,
          action: action.value.trim() || undefined,
          objectType: objectType.value.trim() || undefined,
          objectId: objectId.value.trim() || undefined,
          text: text.value.trim() || undefined,
          limit: LIMIT,
          offset,
        }),
      (page) => {
        if (page.total === 0) {
          log.append(empty('No entries match', 'Clear a filter or widen the dates.'));
          return;
        }
        log.append(
          dataTable<AuditEntry>(
            'Audit log',
            [
              { title: '#', cell: (e) => String(e.seq), className: 'num' },
              { title: 'When', cell: (e) => dateTime(e.at) },
              {
                title: 'User',
                cell: (e) =>
                  e.username ??
                  (e.attemptedUsername !== null
                    ? h(
                        'span',
                        { title: 'Nobody was signed in: the user name this attempt tried' },
                        `${e.attemptedUsername} (attempt)`,
                      )
                    : '—'),
              },
              {
                title: 'Action',
                // Break-the-glass entries stand out: they are what a privacy review looks for.
                cell: (e) =>
                  e.action === 'patient.break-glass'
                    ? h(
                        'span',
                        { class: 'badge-break-glass', title: 'A nurse opened a patient’s other recordings' },
                        '⚠ break the glass',
                      )
                    : e.action,
              },
              {
                title: 'Object',
                // As people read it; the internal id on hover (and in the exports) for machines.
                cell: (e) =>
                  e.objectLabel !== null
                    ? h('span', { title: `${e.objectType ?? ''} id ${e.objectId ?? ''}` }, e.objectLabel)
                    : e.objectType
                      ? `${e.objectType} ${e.objectId ?? ''}`
                      : '—',
              },
              { title: 'Details', cell: auditSummary, className: 'audit-details' },
              { title: 'Via', cell: (e) => e.transport },
              { title: 'Hash', cell: (e) => h('code', { title: e.hash }, e.hash.slice(0, 10)) },
            ],
            page.items,
          ),
          pager(page, loadLog),
        );
      },
    );
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadLog(0);
  });

  // --- exports ---
  const kind = h('select', { name: 'kind' }, options(KINDS, 'audit-history'));
  const exFrom = h('input', { type: 'date', name: 'exportFrom' });
  const exTo = h('input', { type: 'date', name: 'exportTo' });
  const patientMrn = h('input', { name: 'patientMrn', autocomplete: 'off', placeholder: 'all patients' });
  const bom = h('input', { type: 'checkbox', name: 'csvBom' });
  const zip = h('input', { type: 'checkbox', name: 'zip' });
  const exErr = h('p', { class: 'form-error', role: 'alert' });
  const exForm = h(
    'form',
    { class: 'filters', 'aria-label': 'Start an export' },
    h(
      'div',
      { class: 'row' },
      field('What', kind),
      field('From', exFrom),
      field('To', exTo),
      field('Patient MRN', patientMrn),
    ),
    h(
      'div',
      { class: 'row' },
      h('label', { class: 'check' }, bom, ' CSV with BOM (for spreadsheets)'),
      h('label', { class: 'check' }, zip, ' As one zip'),
      h('button', { type: 'submit' }, 'Start export'),
    ),
    exErr,
  );
  const jobs = new Map<string, ExportJob>();
  const jobList = h('div', { 'data-testid': 'export-jobs' });
  const renderJobs = (): void => {
    if (jobs.size === 0) {
      jobList.replaceChildren(empty('No exports yet', 'Choose what to export above and press “Start export”.'));
      return;
    }
    jobList.replaceChildren(
      h(
        'ul',
        { class: 'jobs' },
        [...jobs.values()]
          .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
          .map((j) =>
            h(
              'li',
              { class: `job job-${j.state}` },
              h(
                'div',
                { class: 'row' },
                h('strong', {}, KINDS.find((k) => k.value === j.kind)?.label ?? j.kind),
                h('span', {}, ` ${j.state} · ${Math.round(j.progress * 100)} % · ${j.rows} rows`),
              ),
              h('progress', { max: '1', value: String(j.progress), 'aria-label': `Export ${j.id} progress` }),
              j.state === 'running'
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      onclick: () =>
                        void ctx.api.call('exports.cancel', { jobId: j.id }).then(
                          (u) => {
                            jobs.set(u.id, u);
                            renderJobs();
                          },
                          (e: unknown) => ctx.notify(errorMessage(e), 'error'),
                        ),
                    },
                    'Cancel',
                  )
                : null,
              j.error ? h('p', { class: 'form-error' }, j.error) : null,
              j.state === 'done' ? h('p', { class: 'hint' }, `Written to ${j.destination}`) : null,
              j.files.length
                ? h(
                    'ul',
                    { class: 'files' },
                    j.files.map((f) =>
                      h(
                        'li',
                        {},
                        h(
                          'button',
                          { type: 'button', class: 'link', onclick: () => void download(j.id, f.name) },
                          f.name,
                        ),
                        ` · ${f.bytes.toLocaleString()} bytes · SHA-256 ${f.sha256.slice(0, 12)}…`,
                      ),
                    ),
                  )
                : null,
            ),
          ),
      ),
    );
  };
  const download = async (jobId: string, file: string): Promise<void> => {
    try {
      await downloadExportFile(ctx.api, jobId, file);
    } catch (err) {
      ctx.notify(`Download failed: ${errorMessage(err)}`, 'error');
    }
  };
  exForm.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      exErr.textContent = '';
      const scope: ExportScope = {};
      if (exFrom.value) scope.from = isoDay(exFrom.value, false);
      if (exTo.value) scope.to = isoDay(exTo.value, true);
      if (patientMrn.value.trim()) scope.patientMrn = patientMrn.value.trim();
      try {
        const j = await ctx.api.call('exports.start', {
          kind: exportKind(kind.value),
          scope,
          options: { csvBom: bom.checked, zip: zip.checked },
        });
        jobs.set(j.id, j);
        renderJobs();
      } catch (err) {
        exErr.textContent = errorMessage(err);
      }
    }),
  );
  offs.push(
    ctx.api.on('export.progress', (j) => {
      jobs.set(j.id, j);
      renderJobs();
    }),
  );
  void ctx.api.call('exports.list', {}).then(
    (list) => {
      for (const j of list) jobs.set(j.id, j);
      renderJobs();
    },
    (err: unknown) => jobList.replaceChildren(errorState('Could not list exports', err)),
  );

  root.append(
    h('h1', {}, 'Audit & export'),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Hash chain' },
      h('h2', {}, 'Integrity of the audit log'),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', onclick: () => void verify() }, 'Verify the chain'),
        chain,
      ),
    ),
    h('section', { class: 'panel', 'aria-label': 'Exports' }, h('h2', {}, 'Export'), exForm, jobList),
    h('section', { class: 'panel', 'aria-label': 'Audit log' }, h('h2', {}, 'Audit log'), filters, log),
  );
  loadLog(0);
  return () => {
    for (const off of offs) off();
  };
}
