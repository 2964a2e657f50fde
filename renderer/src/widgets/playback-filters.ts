/**
 * Listening through an electronic stethoscope's classic filter modes (as Littmann 3200 / Thinklabs
 * users know them), with Web Audio biquads between the <audio> element and the speakers. Playback
 * only: the stored WAV, the audio endpoint and its audit entry are untouched.
 *
 * The exact design (every section a Web Audio BiquadFilterNode, cascaded in this order):
 * - unfiltered: no Web Audio at all until another mode is first chosen; after that the element's
 *   source goes straight to the output.
 * - bell ≈ 20–200 Hz: high-pass 20 Hz, 2nd-order Butterworth (Q 0.7071); low-pass 200 Hz,
 *   4th-order Butterworth as two sections (Q 0.5412 and 1.3066). −3 dB at 20 and 200 Hz, then
 *   −12 / −24 dB per octave: the low sounds (heart, rhonchi) of an acoustic stethoscope's bell.
 * - diaphragm ≈ 100–500 Hz: high-pass 100 Hz and low-pass 500 Hz, each 4th-order Butterworth (two
 *   sections, Q 0.5412 and 1.3066). −3 dB at 100 and 500 Hz, −24 dB per octave outside: breath
 *   sounds and wheeze without the low rumble.
 * - extended ≈ 50–500 Hz emphasis: high-pass 20 Hz (2nd-order Butterworth, Q 0.7071), a peaking
 *   section at 158 Hz (the geometric centre of 50–500 Hz) with Q 0.353 (a bandwidth of
 *   log2(500/50) = 3.3 octaves) and +6 dB, then low-pass 1000 Hz (2nd-order Butterworth): the
 *   wide band with 50–500 Hz lifted, not a hard band-pass.
 * Web Audio takes a low/high-pass section's Q in dB (Q_dB = 20·log10(Q)); the table below holds
 * the ordinary linear Q and `applyQ` converts.
 */

export type FilterMode = 'unfiltered' | 'bell' | 'diaphragm' | 'extended';

export interface BiquadSection {
  type: 'lowpass' | 'highpass' | 'peaking';
  frequencyHz: number;
  /** Linear Q (a Butterworth 2nd-order section is 1/√2). */
  q: number;
  gainDb?: number;
}

/** The Q of each 2nd-order section of a 4th-order Butterworth filter: 1 / (2 cos(kπ/8)), k = 1, 3. */
const BUTTER4 = [0.5412, 1.3066] as const;
const BUTTER2 = 0.7071;

export const FILTER_MODES: Record<FilterMode, { label: string; hint: string; sections: BiquadSection[] }> = {
  unfiltered: { label: 'Unfiltered', hint: 'The recording as stored.', sections: [] },
  bell: {
    label: 'Bell 20–200 Hz',
    hint: 'Bell: the low sounds, 20–200 Hz.',
    sections: [
      { type: 'highpass', frequencyHz: 20, q: BUTTER2 },
      ...BUTTER4.map((q) => ({ type: 'lowpass' as const, frequencyHz: 200, q })),
    ],
  },
  diaphragm: {
    label: 'Diaphragm 100–500 Hz',
    hint: 'Diaphragm: breath sounds without the low rumble, 100–500 Hz.',
    sections: [
      ...BUTTER4.map((q) => ({ type: 'highpass' as const, frequencyHz: 100, q })),
      ...BUTTER4.map((q) => ({ type: 'lowpass' as const, frequencyHz: 500, q })),
    ],
  },
  extended: {
    label: 'Extended 50–500 Hz',
    hint: 'Extended: the wide band with 50–500 Hz lifted by 6 dB.',
    sections: [
      { type: 'highpass', frequencyHz: 20, q: BUTTER2 },
      { type: 'peaking', frequencyHz: 158, q: 0.353, gainDb: 6 },
      { type: 'lowpass', frequencyHz: 1000, q: BUTTER2 },
    ],
  },
};

export const FILTER_MODE_ORDER: readonly FilterMode[] = ['unfiltered', 'bell', 'diaphragm', 'extended'];

/** Web Audio's Q for this section: in dB for low/high-pass (the spec's resonance), linear otherwise. */
function applyQ(s: BiquadSection): number {
  return s.type === 'peaking' ? s.q : 20 * Math.log10(s.q);
}

/** The <audio> element's route to the speakers, through the chosen mode's sections. */
export class FilterGraph {
  private ctx: AudioContext | null = null;
  private source: MediaElementAudioSourceNode | null = null;
  private nodes: BiquadFilterNode[] = [];
  private current: FilterMode = 'unfiltered';

  constructor(private readonly audio: HTMLMediaElement) {}

  get mode(): FilterMode {
    return this.current;
  }

  /** Rebuilds the chain. Call from a user gesture: a new AudioContext may only start in one. */
  async setMode(mode: FilterMode): Promise<void> {
    this.current = mode;
    if (mode === 'unfiltered' && !this.ctx) return;
    if (!this.ctx) {
      this.ctx = new AudioContext();
      this.source = this.ctx.createMediaElementSource(this.audio);
    }
    const ctx = this.ctx;
    const source = this.source as MediaElementAudioSourceNode;
    source.disconnect();
    for (const n of this.nodes) n.disconnect();
    this.nodes = FILTER_MODES[mode].sections.map(
      (s) => new BiquadFilterNode(ctx, { type: s.type, frequency: s.frequencyHz, Q: applyQ(s), gain: s.gainDb ?? 0 }),
    );
    let tail: AudioNode = source;
    for (const n of this.nodes) {
      tail.connect(n);
      tail = n;
    }
    tail.connect(ctx.destination);
    if (ctx.state === 'suspended') await ctx.resume();
  }

  /** A context the system suspended (or that started without a gesture) plays nothing: wake it. */
  async resume(): Promise<void> {
    if (this.ctx?.state === 'suspended') await this.ctx.resume();
  }

  /** The live graph read back from its nodes, e.g. "element → highpass 20 Hz Q -3.01 → … → output". */
  describe(): string {
    if (!this.ctx) return 'element → output';
    const parts = this.nodes.map(
      (n) =>
        `${n.type} ${Math.round(n.frequency.value)} Hz Q ${n.Q.value.toFixed(2)}${n.type === 'peaking' ? ` ${n.gain.value} dB` : ''}`,
    );
    return ['element', ...parts, 'output'].join(' → ');
  }

  /** The chain's gain in dB at each frequency, from the nodes' own responses (0 dB unfiltered). */
  responseDb(hz: readonly number[]): number[] {
    const freq = Float32Array.from(hz);
    const total = new Float64Array(hz.length);
    const mag = new Float32Array(hz.length);
    const phase = new Float32Array(hz.length);
    for (const n of this.nodes) {
      n.getFrequencyResponse(freq, mag, phase);
      for (let i = 0; i < hz.length; i++) total[i] = (total[i] as number) + 20 * Math.log10(mag[i] as number);
    }
    return Array.from(total, (d) => Math.round(d * 10) / 10);
  }

  close(): void {
    void this.ctx?.close();
    this.ctx = null;
  }
}
