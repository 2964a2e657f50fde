/**
 * One recording (review): full spectrogram with a playback cursor, zoom, readout, the player (Space,
 * speed, selection loop, stethoscope filter modes), the evidence under it on the
 * same time axis (per scoring window p(abnormal), left-out audio, crackle/wheeze lane), the
 * analysis as its one result state allows (screen first), YAMNet's top sounds, findings and
 * sign-off. An earlier engine's or a missing analysis offers re-analysis to the roles allowed. A
 * signed recording takes no edits, only amendments (new findings), which the service enforces too.
 */
import { CLASS_LABELS, CLASS_ORDER } from '../../../src/common/classes';
import type { FindingLabel, RecordingDetail, SoundVerdict } from '../../../src/service/api';
import { errorMessage } from '../api/errors';
import type { AppContext } from '../ui/context';
import { field, h, options, listener } from '../ui/dom';
import { dateTime, pct, siteName } from '../ui/format';
import { errorState, loading, withLoading } from '../ui/states';
import { analysisSummary } from '../widgets/analysis-summary';
import { EvidenceLane } from '../widgets/evidence-lane';
import { loadModelFacts } from '../ui/model-facts';
import type { ModelFacts } from '../../../src/service/api';
import { exportButtons } from '../widgets/export-button';
import { EXPORT_KIND_NAMES, EXPORT_KINDS } from '../../../src/common/export-kinds';
import { FullSpectrogram } from '../widgets/spectrogram-full';
import { Player } from '../widgets/player';
import { TimeWindow, zoomControls } from '../widgets/time-window';
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
  let facts: ModelFacts | null = null;
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

    // Spectrogram, audio, timeline: one time window for the spectrogram and the lanes, one player.
    const durationSec = Math.max(r.durationSec, d.analysis?.durationSec ?? 0);
    const view = new TimeWindow(durationSec);
    const zoom = zoomControls(view);
    disposers.push(zoom.dispose);
    const specBox = h('div', {}, loading('the spectrogram'));
    const audio = h('audio', {
      controls: true,
      preload: 'auto',
      'aria-label': 'Play the recording',
      'data-testid': 'audio',
    });
    const audioNote = h('p', { class: 'hint', role: 'status' }, 'Loading audio…');
    let spec: FullSpectrogram | null = null;
    let lane: EvidenceLane | null = null;
    let playing = false;
    const cursor = (sec: number): void => {
      // While playing, a zoomed view turns the page when the playhead runs off it.
      if (playing) view.reveal(sec);
      spec?.setCursor(sec);
      lane?.setCursor(sec);
    };
    const player = new Player(audio, {
      onTime: cursor,
      onSelection: (sel) => spec?.setSelection(sel),
    });
    disposers.push(() => player.destroy());
    audio.addEventListener('play', () => (playing = true));
    audio.addEventListener('pause', () => (playing = false));
    const seek = (sec: number): void => {
      view.reveal(sec);
      audio.currentTime = sec;
      cursor(sec);
    };
    disposers.push(view.onChange(() => lane?.setView(view.start, view.end)));

    void ctx.api.call('recordings.spectrogram', { id }).then(
      (s) => {
        spec = new FullSpectrogram(s, view, {
          onSeek: seek,
          onSelect: (sel) => player.setSelection(sel),
        });
        disposers.push(() => spec?.destroy());
        specBox.replaceChildren(spec.element);
      },
      (err: unknown) => specBox.replaceChildren(errorState('Could not load the spectrogram', err)),
    );
    void ctx.api.call('recordings.audio', { id }).then(
      (a) => {
        const url = URL.createObjectURL(base64ToBlob(a.base64, a.mimeType));
        audio.src = url;
        audioNote.textContent =
          'Click the spectrogram to jump to a moment, drag to select. Space plays and pauses; Ctrl + wheel or a pinch zooms, Shift + wheel scrolls.';
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
    const state = r.result;
    let evidence: HTMLElement;
    if (a) {
      const verdicts = new Map(d.soundVerdicts.map((v) => [v.eventIndex, v.verdict] as const));
      lane = new EvidenceLane(a, durationSec, facts, seek, verdicts);
      disposers.push(() => lane?.destroy());
      evidence = lane.element;
    } else {
      evidence = h(
        'p',
        { class: 'hint', 'data-testid': 'lane-none' },
        state === 'earlier-engine'
          ? 'Analysed by an earlier engine: its figures are not shown. Re-analyse to see the evidence.'
          : 'No analysis, so no evidence to show.',
      );
    }
    const canReanalyse = (ctx.user.role === 'nurse' || ctx.user.role === 'pulmonologist') && !r.signed;
    const reanalyse = canReanalyse
      ? (): void => {
          ctx.notify('Re-analysing…');
          ctx.api.call('recordings.reanalyze', { id }).then(
            (fresh) => {
              render(fresh);
              ctx.notify('Re-analysed with the current engine.');
            },
            (err: unknown) => ctx.notify(`Could not re-analyse: ${errorMessage(err)}`, 'error'),
          );
        }
      : null;

    const left = h(
      'div',
      { class: 'recording-left' },
      h(
        'section',
        { class: 'panel', 'aria-label': 'Spectrogram and playback' },
        h('h2', {}, 'Spectrogram'),
        zoom.element,
        specBox,
        player.element,
        h('div', { class: 'row' }, audio, audioNote),
      ),
      h(
        'section',
        { class: 'panel', 'aria-label': 'Evidence' },
        h('h2', {}, 'Evidence over time (same time axis as the spectrogram)'),
        evidence,
      ),
      findingsPanel(ctx, d, canReview, () => void load(), seek),
    );

    let right: HTMLElement;
    if (a) {
      const s = analysisSummary(state, a, facts, { compact: true, onReanalyse: reanalyse });
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
      const s = analysisSummary(state, null, facts, { compact: true, onReanalyse: reanalyse });
      disposers.push(s.destroy);
      right = h(
        'div',
        { class: 'recording-right' },
        h('section', { class: 'panel' }, h('h2', {}, 'Analysis'), s.element),
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
    withLoading(
      body,
      'the recording',
      async () => {
        facts = await loadModelFacts(ctx.api);
        return ctx.api.call('recordings.get', { id });
      },
      render,
    );
  void load();
  return () => {
    for (const f of disposers.splice(0)) f();
  };
}

/** Each detected sound with its latest verdict; a pulmonologist confirms or rejects it (stored, audited). */
function soundVerdicts(
  ctx: AppContext,
  d: RecordingDetail,
  canReview: boolean,
  seek: (sec: number) => void,
  reload: () => void,
): HTMLElement | null {
  const events = d.analysis?.sounds?.events ?? [];
  if (!d.analysis?.sounds) return null;
  const latest = new Map<number, SoundVerdict>();
  for (const v of d.soundVerdicts) latest.set(v.eventIndex, v);
  const rows = events.map((e, i) => {
    const v = latest.get(i);
    const decide = (verdict: 'confirmed' | 'rejected') => async (): Promise<void> => {
      try {
        await ctx.api.call('findings.soundVerdict', { recordingId: d.recording.id, eventIndex: i, verdict });
        ctx.notify(`${e.type === 'wheeze' ? 'Wheeze' : 'Crackles'} at ${e.startSec.toFixed(1)} s ${verdict}.`);
        reload();
      } catch (err) {
        ctx.notify(`Could not record the verdict: ${errorMessage(err)}`, 'error');
      }
    };
    return h(
      'li',
      { 'data-testid': 'sound-event', 'data-verdict': v?.verdict ?? 'none' },
      h(
        'button',
        { type: 'button', class: 'link-button', onclick: () => seek(e.startSec) },
        `${e.type === 'wheeze' ? 'Wheeze' : 'Crackles'} ${e.startSec.toFixed(1)}–${e.endSec.toFixed(1)} s`,
      ),
      ` (probability ${pct(e.probability)}) — `,
      v
        ? h('strong', {}, `${v.verdict} by ${v.author}${v.isAmendment ? ' (amendment)' : ''}, ${dateTime(v.createdAt)}`)
        : h('span', { class: 'hint' }, 'not reviewed'),
      canReview
        ? h(
            'span',
            { class: 'verdict-buttons' },
            h(
              'button',
              {
                type: 'button',
                class: 'secondary small',
                onclick: decide('confirmed'),
                disabled: v?.verdict === 'confirmed',
              },
              'Confirm',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary small',
                onclick: decide('rejected'),
                disabled: v?.verdict === 'rejected',
              },
              'Reject',
            ),
          )
        : '',
    );
  });
  return h(
    'div',
    { class: 'sound-verdicts', 'aria-label': 'Detected sounds' },
    h('h3', {}, 'Detected sounds'),
    rows.length
      ? h('ul', { 'data-testid': 'sound-events' }, rows)
      : h('p', { class: 'hint' }, 'The detector found no crackles or wheezes in this recording.'),
    canReview && rows.length
      ? h('p', { class: 'hint' }, 'Listen to each, then confirm or reject it; your verdict is stored and audited.')
      : '',
  );
}

function findingsPanel(
  ctx: AppContext,
  d: RecordingDetail,
  canReview: boolean,
  reload: () => void,
  seek: (sec: number) => void,
): HTMLElement {
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
    soundVerdicts(ctx, d, canReview, seek, reload),
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
