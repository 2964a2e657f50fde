/**
 * The evidence under the spectrogram, on its time axis (same columns as the spectrogram frame, so
 * a second here is the same pixel there), with the playhead:
 * - the screen probability of each 3 s scoring window (what the result is the mean of), with the
 *   threshold and the uncertainty band; patches the gate left out shaded with their reason;
 * - the adventitious-sound lane: crackle and wheeze segments, probability on hover, click to play
 *   from there; a summary line with the detector's measured sensitivity/specificity;
 * - the five-class breakdown per window on demand (always the whole recording: it is a chart of
 *   its own, not a lane).
 * The lanes follow the spectrogram's zoom and pan (setView).
 * Withheld: no screen row and no sound lane, the reason instead (the left-out audio is still shown:
 * it is why).
 */
import type { AnalysisResult, ModelFacts, PatchExclusion, SoundEvent, SoundType } from '../../../src/service/api';
import { h } from '../ui/dom';
import { f2 } from '../ui/model-facts';
import { pct } from '../ui/format';
import { classLines } from './charts';
import { recognisedClasses } from './analysis-summary';

const EXCLUSION_WORDS: Record<PatchExclusion, string> = {
  speech: 'speech',
  music: 'music',
  noise: 'noise or handling',
  'no-contact': 'no contact',
  unfamiliar: 'unfamiliar sound',
  'poor-quality': 'poor quality',
};

const SOUND_WORDS: Record<SoundType, { one: string; many: string }> = {
  wheeze: { one: 'wheeze', many: 'wheeze' },
  crackle: { one: 'crackle', many: 'crackles' },
};

/** Merge overlapping excluded patches (0.96 s every 0.48 s) into stretches with one reason each. */
function excludedStretches(a: AnalysisResult): Array<{ startSec: number; endSec: number; reason: PatchExclusion }> {
  const out: Array<{ startSec: number; endSec: number; reason: PatchExclusion }> = [];
  for (const p of a.patches) {
    if (!p.excluded) continue;
    const last = out.at(-1);
    if (last && last.reason === p.excluded && p.startSec <= last.endSec + 1e-6)
      last.endSec = Math.max(last.endSec, p.endSec);
    else out.push({ startSec: p.startSec, endSec: p.endSec, reason: p.excluded });
  }
  return out;
}

/** Seconds covered by the union of the spans. */
function coveredSec(spans: ReadonlyArray<{ startSec: number; endSec: number }>): number {
  let total = 0;
  let end = -Infinity;
  for (const s of [...spans].sort((a, b) => a.startSec - b.startSec)) {
    const from = Math.max(s.startSec, end);
    if (s.endSec > from) total += s.endSec - from;
    end = Math.max(end, s.endSec);
  }
  return total;
}

/** "wheeze in 4.3 of 12.0 s; no crackles detected" */
export function soundsSummaryText(a: AnalysisResult): string {
  const s = a.sounds;
  if (!s) return '';
  const part = (t: SoundType): string => {
    const ev = s.events.filter((e) => e.type === t);
    if (!s[t].present || ev.length === 0) return `no ${SOUND_WORDS[t].many} detected`;
    return `${SOUND_WORDS[t].many} in ${coveredSec(ev).toFixed(1)} of ${a.durationSec.toFixed(1)} s`;
  };
  const text = `${part('wheeze')}; ${part('crackle')}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function detectorFiguresText(facts: ModelFacts | null): string {
  const s = facts?.sounds;
  if (!s) return '';
  return `Detector measured per recording: ${s.types
    .map(
      (t) =>
        `${t.type} sensitivity ${f2(t.children.sensitivity)} / specificity ${f2(t.children.specificity)} in children` +
        (t.adults ? `, ${f2(t.adults.sensitivity)} / ${f2(t.adults.specificity)} in adults` : ''),
    )
    .join('; ')}.`;
}

export class EvidenceLane {
  readonly element: HTMLElement;
  private readonly cursors: HTMLElement[] = [];
  private readonly strips: HTMLElement[] = [];
  private readonly disposers: Array<() => void> = [];

  constructor(
    private readonly a: AnalysisResult,
    private readonly durationSec: number,
    facts: ModelFacts | null,
    private readonly onSeek: (sec: number) => void,
    /** The latest pulmonologist verdict per event index (a.sounds.events). */
    private readonly verdicts: ReadonlyMap<number, 'confirmed' | 'rejected'> = new Map(),
  ) {
    const withheld = a.status === 'withheld' || !a.screen;
    const rows: HTMLElement[] = [];
    const stretches = excludedStretches(a);
    if (!withheld && a.screen) rows.push(this.screenRow(a.screen.threshold, facts?.screen.margin ?? null, stretches));
    else rows.push(this.excludedRow(stretches));
    if (!withheld && a.sounds) {
      rows.push(this.soundRow('crackle', a.sounds.events), this.soundRow('wheeze', a.sounds.events));
    }
    // Patches overlap by half: count the time covered, not the sum of the stretches.
    const left = coveredSec(stretches);
    const reasons = [...new Set(stretches.map((s) => EXCLUSION_WORDS[s.reason]))];
    const notes: HTMLElement[] = [
      h(
        'p',
        { class: 'hint', 'data-testid': 'excluded-note' },
        stretches.length
          ? `Left out of the analysis: ${left.toFixed(1)} s (${reasons.join(', ')}), shaded grey.`
          : 'No audio was left out of the analysis.',
      ),
    ];
    if (withheld) {
      notes.unshift(
        h(
          'p',
          { class: 'no-result', 'data-testid': 'lane-withheld' },
          h('strong', {}, 'No evidence lane: the analysis was withheld. '),
          a.statusReasons.join('; '),
        ),
      );
    } else if (a.sounds) {
      notes.push(
        h('p', { class: 'sounds-summary', 'data-testid': 'sounds-summary' }, soundsSummaryText(a)),
        h('p', { class: 'hint' }, detectorFiguresText(facts), ' Click a segment to play from there.'),
      );
    } else {
      notes.push(h('p', { class: 'hint' }, 'No sound detector is installed: no crackle or wheeze lane.'));
    }
    const breakdown = !withheld && a.windows.length ? this.fiveClass(facts) : null;
    this.element = h(
      'div',
      { class: 'evidence', 'data-testid': 'evidence' },
      h('div', { class: 'lanes' }, rows),
      notes,
      breakdown,
    );
  }

  /**
   * A lane row in the spectrogram's columns: label | track (same width as the plot) | spare. The
   * track's content sits on an inner strip as long as the whole recording, which setView slides
   * and stretches, so every segment follows the spectrogram's zoom without being re-laid out.
   */
  private row(label: string, track: HTMLElement, testid: string): HTMLElement {
    const cursor = h('div', { class: 'lane-cursor' });
    this.cursors.push(cursor);
    const strip = h('div', { class: 'lane-strip' }, ...Array.from(track.childNodes), cursor);
    this.strips.push(strip);
    track.append(strip);
    track.addEventListener('click', (ev) => {
      const r = strip.getBoundingClientRect();
      this.onSeek(((ev.clientX - r.left) / r.width) * this.durationSec);
    });
    return h('div', { class: 'lane-row', 'data-testid': testid }, h('span', { class: 'lane-label' }, label), track);
  }

  /** Shows [startSec, endSec] of the recording across the tracks (the spectrogram's zoom). */
  setView(startSec: number, endSec: number): void {
    const d = Math.max(this.durationSec, 1e-3);
    const span = Math.max(endSec - startSec, 1e-3);
    for (const s of this.strips) {
      s.style.left = `${((-startSec / span) * 100).toFixed(4)}%`;
      s.style.width = `${((d / span) * 100).toFixed(4)}%`;
    }
  }

  private pos(el: HTMLElement, startSec: number, endSec: number): HTMLElement {
    const d = Math.max(this.durationSec, 1e-3);
    const x0 = Math.max(0, Math.min(1, startSec / d));
    const x1 = Math.max(x0, Math.min(1, endSec / d));
    el.style.left = `${(x0 * 100).toFixed(3)}%`;
    el.style.width = `${((x1 - x0) * 100).toFixed(3)}%`;
    return el;
  }

  private shade(stretches: ReturnType<typeof excludedStretches>): HTMLElement[] {
    return stretches.map((s) =>
      this.pos(
        h(
          'div',
          {
            class: 'lane-excluded',
            title: `${s.startSec.toFixed(1)}–${s.endSec.toFixed(1)} s left out: ${EXCLUSION_WORDS[s.reason]}`,
          },
          h('span', {}, EXCLUSION_WORDS[s.reason]),
        ),
        s.startSec,
        s.endSec,
      ),
    );
  }

  private excludedRow(stretches: ReturnType<typeof excludedStretches>): HTMLElement {
    return this.row('left out', h('div', { class: 'lane-track' }, this.shade(stretches)), 'lane-excluded');
  }

  /** Each scoring window's p(abnormal) as a bar; threshold line and uncertainty band across. */
  private screenRow(
    threshold: number,
    margin: number | null,
    stretches: ReturnType<typeof excludedStretches>,
  ): HTMLElement {
    const track = h('div', { class: 'lane-track lane-screen' });
    if (margin !== null) {
      const band = h('div', {
        class: 'lane-band',
        title: `uncertain band ${pct(threshold - margin)}–${pct(threshold + margin)}`,
      });
      band.style.bottom = `${((threshold - margin) * 100).toFixed(2)}%`;
      band.style.height = `${(2 * margin * 100).toFixed(2)}%`;
      track.append(band);
    }
    track.append(...this.shade(stretches));
    for (const w of this.a.windows) {
      const bar = this.pos(
        h('div', {
          class: `lane-window${w.pAbnormal >= threshold ? ' above' : ''}`,
          title: `${w.startSec.toFixed(1)}–${w.endSec.toFixed(1)} s: ${pct(w.pAbnormal)} abnormal`,
          'data-p': w.pAbnormal.toFixed(3),
        }),
        w.startSec,
        w.endSec,
      );
      bar.style.height = `${(w.pAbnormal * 100).toFixed(2)}%`;
      track.append(bar);
    }
    const line = h('div', { class: 'lane-threshold', title: `threshold ${pct(threshold)}` });
    line.style.bottom = `${(threshold * 100).toFixed(2)}%`;
    track.append(line);
    return this.row('p(abn.) each 3 s', track, 'lane-screen');
  }

  private soundRow(type: SoundType, events: SoundEvent[]): HTMLElement {
    const track = h('div', { class: `lane-track lane-sound lane-${type}` });
    for (const [i, e] of events.entries()) {
      if (e.type !== type) continue;
      const verdict = this.verdicts.get(i);
      const seg = this.pos(
        h('button', {
          type: 'button',
          class: `lane-event event-${type}${verdict ? ` verdict-${verdict}` : ''}`,
          title: `${SOUND_WORDS[type].one} ${e.startSec.toFixed(1)}–${e.endSec.toFixed(1)} s, probability ${pct(e.probability)}${verdict ? `, ${verdict} by the reviewer` : ''}: click to play from here`,
          'aria-label': `${SOUND_WORDS[type].one} from ${e.startSec.toFixed(1)} s, probability ${pct(e.probability)}; play from here`,
          'data-start': String(e.startSec),
        }),
        e.startSec,
        e.endSec,
      );
      seg.addEventListener('click', (ev) => {
        ev.stopPropagation();
        this.onSeek(e.startSec);
      });
      track.append(seg);
    }
    return this.row(SOUND_WORDS[type].many, track, `lane-${type}`);
  }

  private fiveClass(facts: ModelFacts | null): HTMLElement {
    const box = h('div', {});
    const details = h(
      'details',
      { class: 'five-class-windows' },
      h('summary', {}, 'Five-class breakdown per scoring window (weak; secondary)'),
      box,
    );
    let drawn = false;
    details.addEventListener('toggle', () => {
      if (!details.open || drawn) return;
      drawn = true;
      const t = classLines(
        'Five-class probabilities of each scoring window',
        this.a.windows.map((w) => ({ x: (w.startSec + w.endSec) / 2, p: w.probabilities })),
        {
          xTitle: 'time in the recording (s), window centres',
          xMin: 0,
          xMax: this.durationSec,
          xTick: (x) => `${x.toFixed(1)} s`,
          height: 200,
          classes: recognisedClasses(facts),
        },
      );
      this.disposers.push(() => t.chart.destroy());
      box.append(t.element);
    });
    return details;
  }

  setCursor(sec: number): void {
    const f = this.durationSec > 0 ? Math.min(1, Math.max(0, sec / this.durationSec)) : 0;
    for (const c of this.cursors) c.style.left = `${(f * 100).toFixed(3)}%`;
  }

  destroy(): void {
    for (const d of this.disposers.splice(0)) d();
  }
}
