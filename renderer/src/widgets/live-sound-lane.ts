/**
 * The provisional crackle and wheeze lane under the live spectrogram, on its time axis (the last
 * 6 s, "now" on the right: the same columns as the spectrogram, so a second here is the same pixel
 * there). Drawn from the engine's LiveAnalysis only: nothing while the analysis is withheld (its
 * reason instead), segments once the gate passes, always marked provisional: the final detection
 * runs on the saved recording after stop. Also the learned quality check's line, in words a nurse
 * acts on, beside the rule-based quality line.
 */
import type { LiveAnalysis, SoundEvent, SoundType } from '../../../src/service/api';
import { h } from '../ui/dom';
import { pct } from '../ui/format';

const SPAN_SEC = 6;
const WORDS: Record<SoundType, string> = { crackle: 'Crackles', wheeze: 'Wheeze' };

export class LiveSoundLane {
  readonly element: HTMLElement;
  private readonly tracks: Record<SoundType, HTMLElement>;
  private readonly note: HTMLElement;
  private live: LiveAnalysis | null = null;
  /** Seconds of sound on the spectrogram (its "now"); the analysis trails it by up to one update. */
  private nowSec = 0;

  constructor() {
    const row = (type: SoundType): [HTMLElement, HTMLElement] => {
      const track = h('div', {
        class: 'lane-track live-lane-track',
        'data-testid': `live-lane-${type}`,
        role: 'img',
        'aria-label': `${WORDS[type]}, provisional`,
      });
      return [h('div', { class: 'lane-row' }, h('div', { class: 'lane-label' }, WORDS[type]), track), track];
    };
    const [crackleRow, crackle] = row('crackle');
    const [wheezeRow, wheeze] = row('wheeze');
    this.tracks = { crackle, wheeze };
    this.note = h('p', { class: 'hint', 'data-testid': 'live-sounds-note' });
    this.element = h(
      'div',
      { class: 'live-sounds', 'data-testid': 'live-sounds' },
      h('div', { class: 'lanes' }, crackleRow, wheezeRow),
      this.note,
    );
    this.reset();
  }

  reset(): void {
    this.live = null;
    this.nowSec = 0;
    this.render();
  }

  /** The spectrogram's newest second (capture.frames). */
  setNow(sec: number): void {
    this.nowSec = Math.max(this.nowSec, sec);
    this.render();
  }

  update(live: LiveAnalysis): void {
    this.live = live;
    this.render();
  }

  private render(): void {
    const l = this.live;
    const sounds = l && l.status !== 'withheld' ? l.sounds : null;
    const analysedSec = sounds?.timeline.at(-1)?.endSec ?? 0;
    const now = Math.max(this.nowSec, analysedSec);
    const from = now - SPAN_SEC;
    const x = (sec: number): number => Math.max(0, Math.min(100, ((sec - from) / SPAN_SEC) * 100));
    for (const type of ['crackle', 'wheeze'] as const) {
      const parts: HTMLElement[] = [];
      if (sounds) {
        for (const e of sounds.events.filter((ev: SoundEvent) => ev.type === type && ev.endSec > from)) {
          const left = x(e.startSec);
          parts.push(
            h('div', {
              class: `lane-event event-${type} provisional`,
              'data-testid': 'live-sound-event',
              style: `left:${left}%;width:${Math.max(0.5, x(e.endSec) - left)}%`,
              title: `${WORDS[type]} (provisional): ${e.startSec.toFixed(1)}–${e.endSec.toFixed(1)} s, step probability ${pct(e.probability)}`,
            }),
          );
        }
        // the newest sound is not analysed yet: it trails the spectrogram by up to one update
        if (now > analysedSec)
          parts.push(
            h('div', { class: 'live-pending', style: `left:${x(analysedSec)}%;width:${100 - x(analysedSec)}%` }),
          );
      }
      this.tracks[type].replaceChildren(...parts);
    }
    this.note.replaceChildren(this.sentence(l));
  }

  private sentence(l: LiveAnalysis | null): string {
    if (!l) return 'Crackles and wheezes appear here, provisionally, once 3 s of clean chest sound is heard.';
    if (l.status === 'withheld' || !l.sounds)
      return `No provisional sounds yet: ${l.statusReasons.join('; ') || 'the analysis is withheld'}.`;
    const s = l.sounds;
    const heard = s.timeline.at(-1)?.endSec ?? 0;
    const found = (['wheeze', 'crackle'] as const).map((t) => {
      const ev = s.events.filter((e) => e.type === t);
      return ev.length
        ? `${WORDS[t].toLowerCase()} in ${ev.length} place${ev.length > 1 ? 's' : ''}`
        : `no ${t === 'crackle' ? 'crackles' : 'wheeze'}`;
    });
    return `Provisional — final after stop. So far (${heard.toFixed(1)} s): ${found.join('; ')}.`;
  }
}

/**
 * The learned quality check on the newest 3 s, beside the rule-based line. It is reported, not
 * withholding (the model card: it was trained on one hospital's children, and it calls some clean
 * adult KAUH takes poor), so the words say what it was trained on and what to try, not that the
 * result is void.
 */
export function learnedQualityLine(q: LiveAnalysis['learnedQuality']): HTMLElement {
  if (!q)
    return h(
      'p',
      { class: 'quality quality-none', 'data-testid': 'learned-quality' },
      'Learned quality check: waiting for sound.',
    );
  return h(
    'p',
    { class: `quality quality-${q.poor ? 'poor' : 'good'}`, 'data-testid': 'learned-quality' },
    h('span', { class: 'q-symbol', 'aria-hidden': 'true' }, q.poor ? '!' : '✓'),
    ' ',
    q.poor
      ? `Learned quality check (trained on children's recordings, not yet measured on adults): the last 3 s resemble recordings physicians marked poor (${pct(q.pPoor)}, poor from ${pct(q.threshold)}). If the breath sounds are clear in your ears, carry on; otherwise press the stethoscope flat on bare skin, hold it still, and ask the patient to stay quiet.`
      : `Learned quality check (trained on children's recordings): the last 3 s sound usable (${pct(q.pPoor)} poor, poor from ${pct(q.threshold)}).`,
  );
}
