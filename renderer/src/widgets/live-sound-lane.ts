/**
 * The provisional crackle and wheeze lane under the live spectrogram, on its time axis (the last
 * 6 s, "now" on the right: the same columns as the spectrogram, so a second here is the same pixel
 * there). Drawn from the engine's LiveAnalysis only: nothing while the analysis is withheld (its
 * reason instead), segments once the gate passes, always marked provisional: the final detection
 * runs on the saved recording after stop. The note under it counts the events the lane draws
 * (those in its 6 s), so the words and the picture always agree; a segment mostly scrolled out keeps
 * a minimum drawn width (styles.css) so a counted event is never invisible. Segments are placed
 * through CSSOM (the CSP drops style attributes).
 */
import type { LiveAnalysis, SoundEvent, SoundType } from '../../../src/service/api';
import { MIN_ANALYSABLE_SEC } from '../../../src/common/recording-lengths';
import { h } from '../ui/dom';
import { pct } from '../ui/format';

/**
 * The one rule for everything provisional on the Record view (screen, lane, note): nothing from
 * less than one 3 s scoring window of usable sound. The gate can pass at 2.88 s (five patches);
 * the view waits for the full 3 s.
 */
export const LIVE_MIN_SEC = MIN_ANALYSABLE_SEC;
const SPAN_SEC = 6;

/**
 * Places a segment on the track through CSSOM: a `style` attribute is an inline style, which the
 * CSP (style-src 'self') drops, and every segment then sat at the left edge with no width.
 */
function at(el: HTMLElement, leftPct: number, widthPct: number): void {
  el.style.left = `${leftPct.toFixed(3)}%`;
  el.style.width = `${widthPct.toFixed(3)}%`;
}
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

  /** The sounds the lane may show: none while withheld, none from less than LIVE_MIN_SEC of usable sound. */
  private shown(): LiveAnalysis['sounds'] {
    const l = this.live;
    return l && l.status !== 'withheld' && l.usableSec >= LIVE_MIN_SEC ? l.sounds : null;
  }

  private render(): void {
    const sounds = this.shown();
    const analysedSec = sounds?.timeline.at(-1)?.endSec ?? 0;
    const now = Math.max(this.nowSec, analysedSec);
    const from = now - SPAN_SEC;
    const x = (sec: number): number => Math.max(0, Math.min(100, ((sec - from) / SPAN_SEC) * 100));
    // the events drawn, and the only ones the note counts
    const drawn = sounds ? sounds.events.filter((ev: SoundEvent) => ev.endSec > from && ev.startSec < now) : [];
    for (const type of ['crackle', 'wheeze'] as const) {
      const parts: HTMLElement[] = [];
      if (sounds) {
        for (const e of drawn.filter((ev) => ev.type === type)) {
          const left = x(e.startSec);
          const el = h('div', {
            class: `lane-event event-${type} provisional`,
            'data-testid': 'live-sound-event',
            title: `${WORDS[type]} (provisional): ${e.startSec.toFixed(1)}–${e.endSec.toFixed(1)} s, step probability ${pct(e.probability)}`,
          });
          at(el, left, x(e.endSec) - left);
          parts.push(el);
        }
        // the newest sound is not analysed yet: it trails the spectrogram by up to one update
        if (now > analysedSec) {
          const pending = h('div', { class: 'live-pending' });
          at(pending, x(analysedSec), 100 - x(analysedSec));
          parts.push(pending);
        }
      }
      this.tracks[type].replaceChildren(...parts);
    }
    this.note.replaceChildren(this.sentence(drawn, analysedSec));
  }

  private sentence(drawn: SoundEvent[], heard: number): string {
    const l = this.live;
    if (!l)
      return `Crackles and wheezes appear here, provisionally, once ${LIVE_MIN_SEC} s of clean chest sound is heard.`;
    if (l.status === 'withheld')
      return `No provisional sounds: ${l.statusReasons.join('; ') || 'the analysis is withheld'}.`;
    if (!l.sounds) return 'No provisional sounds: no sound detector is installed.';
    if (l.usableSec < LIVE_MIN_SEC)
      return `Listening… ${l.usableSec.toFixed(1)} s of usable sound so far; provisional sounds need ${LIVE_MIN_SEC} s.`;
    const found = (['wheeze', 'crackle'] as const).map((t) => {
      const n = drawn.filter((e) => e.type === t).length;
      return n
        ? `${WORDS[t].toLowerCase()} in ${n} place${n > 1 ? 's' : ''}`
        : `no ${t === 'crackle' ? 'crackles' : 'wheeze'}`;
    });
    const span =
      heard > SPAN_SEC ? `the last ${SPAN_SEC} s of ${heard.toFixed(1)} s heard` : `all ${heard.toFixed(1)} s heard`;
    return `Provisional — final after stop. On this lane (${span}): ${found.join('; ')}.`;
  }
}
