/** A one-click export of one scope (e.g. this recording's PDF report), with progress and download. */
import type { ApiClient, ExportJob, ExportKind, ExportScope } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import { append, h } from '../ui/dom';

export async function downloadExportFile(api: ApiClient, jobId: string, file: string): Promise<void> {
  const d = await api.call('exports.download', { jobId, file });
  const bin = atob(d.base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: d.mimeType }));
  const a = h('a', { href: url, download: d.name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportButtons(
  api: ApiClient,
  scope: ExportScope,
  kinds: Array<{ kind: ExportKind; label: string }>,
): { element: HTMLElement; dispose: () => void } {
  const status = h('div', { class: 'export-status', role: 'status', 'data-testid': 'export-status' });
  let jobId: string | null = null;
  const show = (j: ExportJob): void => {
    if (j.id !== jobId) return;
    status.replaceChildren();
    append(status, [
      h('p', {}, `${j.state} · ${Math.round(j.progress * 100)} %`),
      j.state === 'running' ? h('progress', { max: '1', value: String(j.progress) }) : null,
      j.error ? h('p', { class: 'form-error' }, j.error) : null,
      ...j.files.map((f) =>
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: () =>
              void downloadExportFile(api, j.id, f.name).catch((e: unknown) =>
                status.append(h('p', { class: 'form-error' }, errorMessage(e))),
              ),
          },
          `Download ${f.name}`,
        ),
      ),
    ]);
  };
  const off = api.on('export.progress', show);
  const element = h(
    'div',
    { class: 'row' },
    kinds.map((k) =>
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            status.textContent = 'Starting…';
            try {
              const j = await api.call('exports.start', { kind: k.kind, scope });
              jobId = j.id;
              show(j);
            } catch (err) {
              status.replaceChildren(h('p', { class: 'form-error' }, errorMessage(err)));
            }
          },
        },
        k.label,
      ),
    ),
    status,
  );
  return { element, dispose: off };
}
