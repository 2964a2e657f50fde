/**
 * One recording (review): full spectrogram with a playback cursor, the per-patch timeline under
 * it, the analysis (screen first), YAMNet's top sounds, findings and sign-off. A signed recording
 * takes no edits, only amendments (new findings), which the service enforces too.
 */
import { CLASS_LABELS, CLASS_ORDER } from '../../../src/common/classes';
import type { FindingLabel, RecordingDetail } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, options, listener } from '../ui/dom';
import { dateTime, pct, siteName } from '../ui/format';
import { errorState, loading, withLoading } from '../ui/states';
import { analysisSummary } from '../widgets/analysis-summary';
import { classLines } from '../widgets/charts';
import { exportButtons } from '../widgets/export-button';
import { EXPORT_KIND_NAMES, EXPORT_KINDS } from '../../../src/common/export-kinds';
import { FullSpectrogram } from '../widgets/spectrogram-full';
import { signatureBlock, signControl } from './signature';

const LABELS: Array<{ value: FindingLabel; label: string }> = [
  ...CLASS_ORDER.map((c) => ({ value: c, label: CLASS_LABELS[c] })),
  { value: 'other', label: 'Other' },
  { value: 'inconclusive', label: 'Inconclusive' },
];

function base64ToBlob(b64: string, type: string): Blob {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

export function recordingView(ctx: AppContext, root: HTMLElement, id: number): () => void {
  const disposers: Array<() => void> = [];
  const body = h('div', {});
  root.append(body);
  const render = (d: RecordingDetail): void => {
    for (const f of disposers.splice(0)) f();
    body.replaceChildren();
    const r = d.recording;
    const canReview = ctx.user.role === 'pulmonologist';

    const header = h(
      'header',
      { class: 'page-head' },
      h('h1', {}, `${siteName(r.site)} · recording #${r.id}`),
      h(
        'p',
        { class: 'meta' },
        h('a', { href: `#/patient/${r.patientId}` }, `${r.patientName} (MRN ${r.patientMrn})`),
        ` · ${dateTime(r.recordedAt)} by ${r.recordedBy} · ${r.deviceName} at ${r.sampleRate} Hz · ${r.durationSec.toFixed(1)} s · ${r.status}`,
      ),
      signatureBlock(d.signoff, (l) => LABELS.find((x) => x.value === l)?.label ?? l),
    );

    // Spectrogram, audio, timeline
    const specBox = h('div', {}, loading('the spectrogram'));
    const audio = h('audio', {
      controls: true,
      preload: 'auto',
      'aria-label': 'Play the recording',
      'data-testid': 'audio',
    });
    const audioNote = h('p', { class: 'hint', role: 'status' }, 'Loading audio…');
    let spec: FullSpectrogram | null = null;
    let raf = 0;
    const follow = (): void => {
      spec?.setCursor(audio.currentTime);
      if (!audio.paused) raf = requestAnimationFrame(follow);
    };
    audio.addEventListener('play', () => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(follow);
    });
    audio.addEventListener('timeupdate', () => spec?.setCursor(audio.currentTime));
    audio.addEventListener('seeked', () => spec?.setCursor(audio.currentTime));
    disposers.push(() => cancelAnimationFrame(raf));

    void ctx.api.call('recordings.spectrogram', { id }).then(
      (s) => {
        spec = new FullSpectrogram(s, (sec) => {
          audio.currentTime = sec;
          spec?.setCursor(sec);
        });
        disposers.push(() => spec?.destroy());
        specBox.replaceChildren(spec.frame.root);
      },
      (err: unknown) => specBox.replaceChildren(errorState('Could not load the spectrogram', err)),
    );
    void ctx.api.call('recordings.audio', { id }).then(
      (a) => {
        const url = URL.createObjectURL(base64ToBlob(a.base64, a.mimeType));
        audio.src = url;
        audioNote.textContent = 'Click the spectrogram to jump to a moment.';
        disposers.push(() => {
          // Detach before revoking, or the element fetches the dead blob: URL once more.
          audio.pause();
          audio.removeAttribute('src');
          audio.load();
          URL.revokeObjectURL(url);
        });
      },
      (err: unknown) => (audioNote.textContent = `Audio unavailable: ${errorMessage(err)}`),
    );

    const a = d.analysis;
    let timeline: HTMLElement = h('p', { class: 'hint' }, 'No analysis, so no timeline.');
    if (a && a.windows.length) {
      const t = classLines(
        'Class probabilities of each scoring window (the result is their mean)',
        a.windows.map((e) => ({ x: (e.startSec + e.endSec) / 2, p: e.probabilities })),
        {
          xTitle: 'time in the recording (s), window centres',
          xMin: 0,
          xMax: Math.max(r.durationSec, a.durationSec),
          xTick: (x) => `${x.toFixed(1)} s`,
          height: 210,
        },
      );
      disposers.push(() => t.chart.destroy());
      timeline = t.element;
    }

    const left = h(
      'div',
      { class: 'recording-left' },
      h(
        'section',
        { class: 'panel', 'aria-label': 'Spectrogram and playback' },
        h('h2', {}, 'Spectrogram'),
        specBox,
        h('div', { class: 'row' }, audio, audioNote),
      ),
      h('section', { class: 'panel', 'aria-label': 'Timeline' }, h('h2', {}, 'Per-patch timeline'), timeline),
      findingsPanel(ctx, d, canReview, () => void load()),
    );

    let right: HTMLElement;
    if (a) {
      const s = analysisSummary(a, true);
      disposers.push(s.destroy);
      right = h(
        'div',
        { class: 'recording-right' },
        h('section', { class: 'panel' }, h('h2', {}, 'Analysis'), s.element),
        h(
          'section',
          { class: 'panel', 'aria-label': 'YAMNet top sounds' },
          h('h2', {}, 'YAMNet top sounds'),
          h(
            'p',
            { class: 'hint' },
            'What the general sound model hears (AudioSet classes): a sanity check, not a finding.',
          ),
          h(
            'ol',
            { 'data-testid': 'yamnet-top' },
            a.yamnetTop.map((y) => h('li', {}, `${y.name} — ${pct(y.score, 1)}`)),
          ),
        ),
        h(
          'p',
          { class: 'hint small' },
          `Engine ${a.models.engineVersion} · head ${a.models.head.name} ${a.models.head.version} · ${a.patchCount} patches`,
        ),
      );
    } else {
      right = h(
        'div',
        { class: 'recording-right' },
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Analysis'),
          h(
            'p',
            { class: 'uncertain' },
            'This recording has no analysis (the model was unavailable). Ask an administrator to check the model card page, then re-analyse.',
          ),
        ),
      );
    }
    if (canReview) {
      const ex = exportButtons(
        ctx.api,
        { recordingId: r.id },
        EXPORT_KIND_NAMES.flatMap((kind) => {
          const label = EXPORT_KINDS[kind].oneRecordingLabel;
          return label ? [{ kind, label }] : [];
        }),
      );
      disposers.push(ex.dispose);
      right.append(
        h('section', { class: 'panel', 'aria-label': 'Export' }, h('h2', {}, 'Export this recording'), ex.element),
      );
    }
    body.append(header, h('div', { class: 'recording-layout' }, left, right));
  };
  const load = (): Promise<void> =>
    withLoading(body, 'the recording', () => ctx.api.call('recordings.get', { id }), render);
  void load();
  return () => {
    for (const f of disposers.splice(0)) f();
  };
}

function findingsPanel(ctx: AppContext, d: RecordingDetail, canReview: boolean, reload: () => void): HTMLElement {
  const list = d.findings.length
    ? h(
        'ul',
        { class: 'findings', 'data-testid': 'findings' },
        d.findings.map((f) =>
          h(
            'li',
            {},
            h(
              'p',
              { class: 'meta' },
              `${f.isAmendment ? 'Amendment' : 'Finding'} by ${f.author} (${f.authorRole}), ${dateTime(f.createdAt)}${f.label ? ` — ${f.label}` : ''}`,
            ),
            h('p', {}, f.text),
          ),
        ),
      )
    : h('p', { class: 'hint' }, 'No findings yet.');
  const panel = h(
    'section',
    { class: 'panel', 'aria-label': 'Findings and sign-off' },
    h('h2', {}, 'Findings and sign-off'),
    list,
  );
  if (!canReview) {
    panel.append(h('p', { class: 'hint' }, 'Only a pulmonologist adds findings and signs.'));
    return panel;
  }
  const text = h('textarea', { name: 'finding', rows: '3', required: true, placeholder: 'What you hear and conclude' });
  const label = h('select', { name: 'label' }, h('option', { value: '' }, '(no label)'), options(LABELS));
  const err = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { 'aria-label': d.signoff ? 'Add amendment' : 'Add finding' },
    field(d.signoff ? 'Amendment' : 'Finding', text),
    field('Label', label),
    h('button', { type: 'submit' }, d.signoff ? 'Add amendment' : 'Add finding'),
    err,
  );
  form.addEventListener(
    'submit',
    listener(async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      try {
        await ctx.api.call('findings.add', {
          recordingId: d.recording.id,
          text: text.value.trim(),
          label: (label.value || null) as FindingLabel | null,
        });
        ctx.notify(d.signoff ? 'Amendment added.' : 'Finding added.');
        reload();
      } catch (e) {
        err.textContent = errorMessage(e);
      }
    }),
  );
  panel.append(form);
  if (!d.signoff) panel.append(signControl(ctx, d, LABELS, reload));
  return panel;
}
