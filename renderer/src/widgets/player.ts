/**
 * The recording page's player controls around its <audio> element: Play/Pause (and Space, unless
 * the focus is somewhere Space already means something: a text field, a list, a button, the
 * audio element's own controls), speed 1× / 0.5× (pitch kept where the browser can:
 * `preservesPitch`), looping a selection, and the stethoscope filter modes (playback-filters.ts).
 * Its state is on the element as data attributes, which the page's tests read.
 */
import { h } from '../ui/dom';
import { FILTER_MODES, FILTER_MODE_ORDER, FilterGraph } from './playback-filters';
import type { FilterMode } from './playback-filters';

export interface TimeRange {
  startSec: number;
  endSec: number;
}

/** The frequencies at which the filter chain's response is published (data-response). */
const RESPONSE_AT_HZ = [50, 150, 300, 1000] as const;

/** Where Space is the focused control's own key. */
function spaceBelongsToFocus(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return target.closest('input, textarea, select, button, audio, video, summary, a[href], [role=button]') !== null;
}

export class Player {
  readonly element: HTMLElement;
  private readonly graph: FilterGraph;
  private readonly playButton: HTMLButtonElement;
  private readonly loopBox: HTMLInputElement;
  private readonly selectionText: HTMLElement;
  private readonly clearButton: HTMLButtonElement;
  private selection: TimeRange | null = null;
  private raf = 0;
  private wraps = 0;
  private readonly disposers: Array<() => void> = [];

  constructor(
    readonly audio: HTMLAudioElement,
    private readonly hooks: {
      /** The playhead moved (every frame while playing, and on seeks). */
      onTime: (sec: number) => void;
      /** The selection changed here (cleared); the spectrogram draws it. */
      onSelection: (r: TimeRange | null) => void;
    },
  ) {
    this.graph = new FilterGraph(audio);
    audio.preservesPitch = true;

    this.playButton = h('button', {
      type: 'button',
      class: 'play-button',
      'aria-keyshortcuts': 'Space',
      'data-testid': 'play',
    });
    this.playButton.addEventListener('click', () => this.toggle());

    const speed = h(
      'select',
      { 'aria-label': 'Playback speed', 'data-testid': 'speed' },
      h('option', { value: '1' }, '1×'),
      h('option', { value: '0.5' }, '0.5×'),
    );
    speed.addEventListener('change', () => this.setSpeed(Number(speed.value)));

    const filterHint = h('span', { class: 'hint small filter-hint' }, FILTER_MODES.unfiltered.hint);
    const filter = h(
      'select',
      { 'aria-label': 'Listen through a stethoscope filter mode', 'data-testid': 'filter' },
      FILTER_MODE_ORDER.map((m) => h('option', { value: m }, FILTER_MODES[m].label)),
    );
    filter.addEventListener('change', () => {
      const mode = filter.value as FilterMode;
      filterHint.textContent = FILTER_MODES[mode].hint;
      void this.graph.setMode(mode).then(() => this.publish());
    });

    this.loopBox = h('input', { type: 'checkbox', disabled: true, 'data-testid': 'loop' });
    this.loopBox.addEventListener('change', () => {
      if (this.loopBox.checked) this.enterLoop();
      this.publish();
    });
    this.selectionText = h('span', { class: 'selection-text', 'data-testid': 'selection' });
    this.clearButton = h('button', { type: 'button', class: 'secondary small', disabled: true }, 'Clear selection');
    this.clearButton.addEventListener('click', () => {
      this.setSelection(null);
      this.hooks.onSelection(null);
    });

    this.element = h(
      'div',
      { class: 'player', role: 'group', 'aria-label': 'Playback', 'data-testid': 'player' },
      this.playButton,
      h('label', { class: 'inline-field' }, h('span', { class: 'toolbar-label' }, 'Speed'), speed),
      h('label', { class: 'inline-field' }, h('span', { class: 'toolbar-label' }, 'Filter'), filter),
      filterHint,
      h('label', { class: 'check inline-check' }, this.loopBox, 'Loop selection'),
      this.selectionText,
      this.clearButton,
    );

    const on = (type: string, fn: () => void): void => {
      audio.addEventListener(type, fn);
      this.disposers.push(() => audio.removeEventListener(type, fn));
    };
    on('play', () => {
      this.enterLoop();
      void this.graph.resume();
      cancelAnimationFrame(this.raf);
      this.raf = requestAnimationFrame(this.follow);
      this.publish();
    });
    on('pause', () => this.publish());
    on('timeupdate', () => this.tick());
    on('seeked', () => this.hooks.onTime(audio.currentTime));
    on('ended', () => {
      // A selection that runs to the very end: the element stops there, the loop starts it again.
      if (this.looping && this.selection) {
        audio.currentTime = this.selection.startSec;
        this.countWrap();
        void audio.play();
      }
    });
    // The element resets playbackRate to defaultPlaybackRate when a source loads.
    on('loadedmetadata', () => (audio.playbackRate = audio.defaultPlaybackRate));

    const onKey = (ev: KeyboardEvent): void => {
      if (ev.key !== ' ' || ev.repeat || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      // A modal dialog (signing, the model summary) owns the keyboard; the player behind it does not play.
      if (spaceBelongsToFocus(ev.target) || document.querySelector('dialog[open]')) return;
      ev.preventDefault(); // not a page scroll
      this.toggle();
    };
    document.addEventListener('keydown', onKey);
    this.disposers.push(() => document.removeEventListener('keydown', onKey));
    this.setSelection(null);
    this.publish();
  }

  private get looping(): boolean {
    return this.loopBox.checked && this.selection !== null;
  }

  private readonly follow = (): void => {
    this.tick();
    if (!this.audio.paused) this.raf = requestAnimationFrame(this.follow);
  };

  /** Keeps a looped playhead inside the selection and reports where it is. */
  private tick(): void {
    const s = this.selection;
    if (this.looping && s && !this.audio.paused && this.audio.currentTime >= s.endSec) {
      this.audio.currentTime = s.startSec;
      this.countWrap();
    }
    this.hooks.onTime(this.audio.currentTime);
  }

  private countWrap(): void {
    this.wraps++;
    this.element.dataset['loopWraps'] = String(this.wraps);
  }

  /** Looping from outside the selection starts at its beginning. */
  private enterLoop(): void {
    const s = this.selection;
    if (!this.looping || !s) return;
    const t = this.audio.currentTime;
    if (t < s.startSec || t >= s.endSec) this.audio.currentTime = s.startSec;
  }

  toggle(): void {
    if (!this.audio.currentSrc) return; // nothing loaded yet
    if (this.audio.paused) void this.audio.play().catch(() => this.publish());
    else this.audio.pause();
  }

  setSpeed(rate: number): void {
    this.audio.defaultPlaybackRate = rate;
    this.audio.playbackRate = rate;
    this.publish();
  }

  /** A new selection (from the spectrogram) or none. */
  setSelection(r: TimeRange | null): void {
    this.selection = r && r.endSec - r.startSec > 0 ? r : null;
    const s = this.selection;
    this.loopBox.disabled = s === null;
    this.clearButton.disabled = s === null;
    if (!s) this.loopBox.checked = false;
    this.selectionText.textContent = s
      ? `Selection ${s.startSec.toFixed(2)}–${s.endSec.toFixed(2)} s`
      : 'No selection: drag on the spectrogram.';
    if (s && !this.audio.paused) this.enterLoop();
    this.publish();
  }

  /** The player's state, where tests (and anyone inspecting the page) can read it. */
  private publish(): void {
    const d = this.element.dataset;
    const playing = !this.audio.paused;
    d['state'] = playing ? 'playing' : 'paused';
    this.playButton.textContent = playing ? 'Pause' : 'Play';
    this.playButton.setAttribute('aria-pressed', String(playing));
    d['rate'] = String(this.audio.playbackRate);
    d['preservesPitch'] = String(this.audio.preservesPitch);
    d['filter'] = this.graph.mode;
    d['graph'] = this.graph.describe();
    const db = this.graph.responseDb(RESPONSE_AT_HZ);
    d['response'] = JSON.stringify(Object.fromEntries(RESPONSE_AT_HZ.map((hz, i) => [hz, db[i]])));
    const s = this.looping ? this.selection : null;
    d['loop'] = s ? 'on' : 'off';
    d['loopStart'] = s ? s.startSec.toFixed(3) : '';
    d['loopEnd'] = s ? s.endSec.toFixed(3) : '';
  }

  destroy(): void {
    cancelAnimationFrame(this.raf);
    for (const f of this.disposers.splice(0)) f();
    this.graph.close();
  }
}
