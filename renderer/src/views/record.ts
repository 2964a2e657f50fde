/**
 * Record (nurse): patient → chest site → device → record. While recording: countdown, level
 * meter, live spectrogram, live quality in words (no "good"/"usable" while the live gate withholds:
 * speech sounds clean), and a provisional screen result only as the
 * engine's LiveAnalysis allows it (nothing while withheld or of poor quality; "so far", from ≥ 3 s
 * of usable sound; no five-class bars live). Stop keeps the recording and the final analysis
 * replaces the provisional one; Discard cancels it after a confirmation and clears everything of
 * the take. The next site is one click away; a withheld take offers "record this site again".
 * Keys: R or Space starts/stops, Escape discards.
 */
import type {
  CaptureState,
  ChestSite,
  DeviceInfo,
  LiveAnalysis,
  ModelFacts,
  Patient,
  PatientAsShown,
  QualityReport,
  RecordingDetail,
  PatientChangedDetails,
} from '../../../src/service/api';
import { ApiCallError, errorMessage } from '../api/errors';
import { importTooLargeMessage, MAX_IMPORT_BYTES } from '../../../src/common/import-limit';
import type { AppContext } from '../ui/context';
import { field, h, options, listener } from '../ui/dom';
import { pct, siteName } from '../ui/format';
import { loadModelFacts } from '../ui/model-facts';
import { analysisSummary, disclaimer, qualityLine, screenBadge } from '../widgets/analysis-summary';
import { bodyDiagram } from '../widgets/body-diagram';
import { patientPicker } from '../widgets/patient-picker';
import { recoveryPanel } from '../widgets/recovery-panel';
import { isWaitingToUpload, uploadStatusLine } from '../widgets/upload-status';
import { LiveSpectrogram } from '../widgets/spectrogram-live';
import { LIVE_MIN_SEC, LiveSoundLane } from '../widgets/live-sound-lane';
import {
  LIVE_GATE_WAITING,
  learnedQualityLine,
  liveGateOf,
  liveQualityLine,
  type LiveGate,
} from '../widgets/live-quality';
import { DEFAULT_RECORDING_LENGTH, MIN_ANALYSABLE_SEC, RECORDING_LENGTHS } from '../../../src/common/recording-lengths';

const PROTOCOL: readonly ChestSite[] = [
  'anterior-right-upper',
  'anterior-left-upper',
  'anterior-right-middle',
  'anterior-left-middle',
  'anterior-right-lower',
  'anterior-left-lower',
  'posterior-left-upper',
  'posterior-right-upper',
  'posterior-left-middle',
  'posterior-right-middle',
  'posterior-left-lower',
  'posterior-right-lower',
  'trachea',
];
const METER_IDLE = 'Level: — (shown while the device is open)';
const COUNTDOWN_CANCELLED = 'Recording cancelled: nothing was recorded.';
const ACTIVE: ReadonlySet<CaptureState['state']> = new Set(['countdown', 'recording', 'stopping', 'analyzing']);

declare global {
  interface Window {
    /** The live spectrogram's own measurements (read by bench/ui.ts). */
    __auscultLive?: LiveSpectrogram['stats'];
  }
}

/** The refusal of a patient no longer as the screen showed them (PatientChangedDetails). */
function isPatientChanged(err: unknown): boolean {
  return (
    err instanceof ApiCallError &&
    err.code === 'CONFLICT' &&
    (err.details as Partial<PatientChangedDetails> | undefined)?.patientChanged === true
  );
}

/** What the record view says once it has re-read a patient whose record changed since it was chosen. */
function patientChangedText(what: string, again: string, nothing: string): string {
  return `${what}: this patient’s record changed since you chose them. It is shown as it is now, on the left: check it is the person in front of you, then ${again}. ${nothing}`;
}

/** The patient as this screen shows them: the service refuses a recording if the history's is someone else. */
function shownAs(p: Patient): PatientAsShown {
  return { mrn: p.mrn, familyName: p.familyName, givenName: p.givenName };
}

export function recordView(ctx: AppContext, root: HTMLElement): () => void {
  const { api } = ctx;
  const offs: Array<() => void> = [];
  let patient: Patient | null = null;
  let site: ChestSite | null = null;
  let captureId: string | null = null;
  let state: CaptureState['state'] = 'idle';
  let devices: DeviceInfo[] = [];
  const doneSites = new Set<ChestSite>();
  let finishing: Promise<boolean> | null = null;
  /** The last save was kept on this workstation, waiting to upload (site mode, site away). */
  let lastSaveWaiting = false;
  let framesReceived = 0;
  /** The capture that just ended: its late frames are still drawn. */
  let lastCaptureId: string | null = null;
  let resultDispose: (() => void) | null = null;
  let facts: ModelFacts | null = null;
  /** Stop was pressed before recording began: the cancellation says so, plainly. */
  let stoppedInCountdown = false;
  void loadModelFacts(api).then((f) => (facts = f));

  // --- left column: patient, site, device ---
  const picker = patientPicker(api, (p) => {
    if (p?.id !== patient?.id) {
      doneSites.clear();
      diagram.markDone(doneSites);
    }
    patient = p;
    refreshControls();
  });
  const diagram = bodyDiagram((s) => {
    if (ACTIVE.has(state)) return;
    if (state === 'cancelled') state = 'idle';
    site = s;
    diagram.select(s);
    refreshControls();
  });
  const deviceSelect = h('select', { 'aria-label': 'Input device', name: 'device' });
  const deviceNote = h('p', { class: 'hint', role: 'status', 'data-testid': 'device-note' });
  const durationSelect = h(
    'select',
    { 'aria-label': 'Length', name: 'duration' },
    options(
      [
        ...RECORDING_LENGTHS.map((sec) => ({ value: String(sec), label: `${sec} s` })),
        { value: 'free', label: 'Until I stop' },
      ],
      String(DEFAULT_RECORDING_LENGTH),
    ),
  );
  /** The device this user last recorded with here (capture.preferences), preferred when listed. */
  let preferredDevice: string | null = null;
  const prefsLoaded: Promise<void> = api
    .call('capture.preferences', {})
    .then((prefs) => {
      preferredDevice = prefs.device;
      if (!durationSelect.disabled)
        durationSelect.value = prefs.durationSec === null ? 'free' : String(prefs.durationSec);
    })
    .catch(() => undefined); // the defaults stand
  const meterFill = h('div', { class: 'meter-fill' });
  const meterPeak = h('div', { class: 'meter-peak' });
  const meterText = h('span', { class: 'meter-text', 'data-testid': 'level' }, METER_IDLE);
  const meter = h(
    'div',
    { class: 'meter', role: 'meter', 'aria-label': 'Input level', 'aria-valuemin': '-60', 'aria-valuemax': '0' },
    meterFill,
    meterPeak,
  );

  const loadDevices = async (): Promise<void> => {
    deviceNote.textContent = 'Looking for input devices…';
    await prefsLoaded;
    try {
      devices = await api.call('capture.devices', {});
      const prev = deviceSelect.value;
      const pick =
        devices.find((d) => d.name === prev) ??
        devices.find((d) => d.name === preferredDevice) ??
        devices.find((d) => d.pinned) ??
        devices.find((d) => d.likelyStethoscope) ??
        devices[0];
      deviceSelect.replaceChildren(
        ...devices.map((d) => {
          const o = h(
            'option',
            { value: d.name },
            `${d.name}${d.likelyStethoscope ? ' — stethoscope' : ''}${d.pinned ? ' (pinned)' : ''} · ${Math.round(d.defaultSampleRate)} Hz`,
          );
          o.selected = d === pick;
          return o;
        }),
      );
      deviceNote.textContent = devices.length
        ? `${devices.length} input device${devices.length === 1 ? '' : 's'} found.`
        : 'No input device found. Plug in the stethoscope (USB), then press “Look again”.';
    } catch (err) {
      deviceNote.textContent = `Could not list devices: ${errorMessage(err)}`;
    }
    refreshControls();
  };

  const left = h(
    'div',
    { class: 'record-left' },
    picker.element,
    h('section', { class: 'panel', 'aria-label': 'Chest site' }, h('h2', {}, '2 · Chest site'), diagram.element),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Device' },
      h('h2', {}, '3 · Device'),
      h('div', { class: 'row' }, field('Stethoscope', deviceSelect), field('Length', durationSelect)),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', class: 'secondary', onclick: () => void loadDevices() }, 'Look again'),
        deviceNote,
      ),
      meter,
      meterText,
    ),
    importPanel(),
  );

  /** Without a stethoscope: store and analyse a WAV file for the chosen patient and site. */
  function importPanel(): HTMLElement {
    const file = h('input', {
      type: 'file',
      accept: '.wav,audio/wav,audio/x-wav',
      name: 'wavFile',
      'aria-label': 'WAV file to import',
    });
    const note = h('p', { class: 'hint', role: 'status' });
    file.addEventListener(
      'change',
      listener(async () => {
        const f = file.files?.[0];
        if (!f) return;
        if (!patient || !site) {
          note.textContent = 'Choose the patient and the chest site first, then pick the file again.';
          file.value = '';
          return;
        }
        if (f.size > MAX_IMPORT_BYTES) {
          note.textContent = importTooLargeMessage(f.size);
          file.value = '';
          return;
        }
        note.textContent = `Importing ${f.name} and analysing it…`;
        const p = patient;
        const s = site;
        finishing = null;
        try {
          const bytes = new Uint8Array(await f.arrayBuffer());
          let bin = '';
          for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          const done = await finish(() =>
            api.call('recordings.import', {
              patientId: p.id,
              site: s,
              fileName: f.name,
              wavBase64: btoa(bin),
              patientAsShown: shownAs(p),
            }),
          );
          note.textContent = done
            ? lastSaveWaiting
              ? `Saved ${f.name} on this workstation (the site database could not be reached).`
              : `Imported ${f.name}.`
            : `Import of ${f.name} failed: see the message under “Result”.`;
        } catch (err) {
          note.textContent = `Import failed: ${errorMessage(err)}`;
        } finally {
          file.value = '';
        }
      }),
    );
    return h(
      'details',
      { class: 'panel import' },
      h('summary', {}, 'No stethoscope? Import a WAV file'),
      h('p', { class: 'hint' }, 'The file is stored for the chosen patient and site and analysed like a recording.'),
      file,
      note,
    );
  }

  // --- right column: controls, live view, result ---
  const recordBtn = h('button', { type: 'button', class: 'record-btn', 'data-testid': 'record' }, '● Record (R)');
  const discardBtn = h('button', { type: 'button', class: 'danger', hidden: true }, 'Discard… (Esc)');
  const stateText = h('p', {
    class: 'capture-state',
    role: 'status',
    'aria-live': 'polite',
    'data-testid': 'capture-state',
  });
  const progress = h('progress', { max: '1', value: '0', 'aria-label': 'Recording progress' });
  const spectrogram = new LiveSpectrogram();
  window.__auscultLive = spectrogram.stats;
  const LIVE_IDLE = `A provisional screen result appears after at least ${LIVE_MIN_SEC} s of clean chest sound.`;
  let liveQualityPoor = false;
  // The live gate's last word and the last measurements: the quality lines are drawn from all three,
  // so neither line approves what the gate withholds (speech has a "good" signal).
  let liveGate: LiveGate = LIVE_GATE_WAITING;
  let lastQuality: QualityReport | null = null;
  let lastLearned: LiveAnalysis['learnedQuality'] = null;
  const liveScreen = h(
    'div',
    { class: 'live-screen', 'data-testid': 'live-screen' },
    h('span', { class: 'hint' }, LIVE_IDLE),
  );
  const liveQuality = h('div', { 'data-testid': 'live-quality' }, qualityLine(null));
  const liveLearned = h('div', { 'data-testid': 'live-learned-quality' }, learnedQualityLine(null, liveGate));
  function renderLiveQuality(): void {
    liveQuality.replaceChildren(liveQualityLine(lastQuality, liveGate));
    liveLearned.replaceChildren(learnedQualityLine(lastLearned, liveGate));
  }
  function resetLiveQuality(): void {
    liveGate = LIVE_GATE_WAITING;
    lastQuality = null;
    lastLearned = null;
    liveQualityPoor = false;
    renderLiveQuality();
  }
  const liveSounds = new LiveSoundLane();
  const liveCounts = h('p', { class: 'hint', 'data-testid': 'live-counts' });
  const result = h('section', { class: 'panel result', 'aria-label': 'Result', hidden: true, 'data-testid': 'result' });

  const right = h(
    'div',
    { class: 'record-right' },
    h('section', { class: 'panel controls' }, h('div', { class: 'row' }, recordBtn, discardBtn, stateText), progress),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Live spectrogram' },
      h('h2', {}, 'Live sound (mel spectrogram)'),
      spectrogram.frame.root,
      liveSounds.element,
      liveCounts,
    ),
    h(
      'section',
      { class: 'panel live-probs', 'aria-label': 'Live analysis' },
      h('h2', {}, 'Live analysis (provisional)'),
      liveScreen,
      liveQuality,
      liveLearned,
      disclaimer(),
    ),
    result,
  );
  const recovery = recoveryPanel(
    api,
    () => ({ patient, site }),
    (d) => showResult(d),
  );
  const uploads = uploadStatusLine(api, (refused) => {
    const waitingNote = result.querySelector('[data-testid=waiting-note]');
    if (waitingNote) {
      if (!refused) waitingNote.className = 'ok-banner';
      waitingNote.textContent = refused
        ? 'Not uploaded: a saved recording was refused (see the line at the top); tell an administrator.'
        : 'Uploaded to the site database: the recording is in the patient’s history now.';
    }
  });
  offs.push(() => uploads.dispose());
  root.append(
    h('h1', { class: 'sr-only' }, 'Record'),
    uploads.el,
    recovery,
    h('div', { class: 'record-layout' }, left, right),
  );

  function canStart(): string | null {
    if (!patient) return 'Choose or create the patient first.';
    if (!site) return 'Pick the chest site on the diagram.';
    if (!devices.length) return 'No input device: plug in the stethoscope.';
    return null;
  }

  function refreshControls(): void {
    const active = ACTIVE.has(state);
    const why = canStart();
    recordBtn.textContent = active ? '■ Stop and save (Space)' : '● Record (R)';
    recordBtn.classList.toggle('recording', active);
    recordBtn.disabled = active ? state !== 'recording' && state !== 'countdown' : why !== null;
    discardBtn.hidden = !active;
    deviceSelect.disabled = active;
    durationSelect.disabled = active;
    // After a discard the sentence stays until the next action (it would be overwritten by "Ready" at once).
    if (!active && state !== 'done' && state !== 'cancelled')
      stateText.textContent = why ?? `Ready: ${siteName(site)} for ${patient?.familyName ?? ''}. Press R to record.`;
    ctx.setBusy(active);
  }

  function showState(s: CaptureState): void {
    state = s.state;
    const remaining = s.targetSec !== null ? Math.max(0, s.targetSec - s.elapsedSec) : null;
    switch (s.state) {
      case 'countdown':
        stateText.textContent = s.message ?? 'Get ready: place the chest piece. Recording starts in a moment…';
        break;
      case 'recording':
        stateText.textContent =
          remaining !== null
            ? `Recording ${siteName(s.site)} — ${remaining.toFixed(1)} s left`
            : `Recording ${siteName(s.site)} — ${s.elapsedSec.toFixed(1)} s (press Space to stop)`;
        break;
      case 'stopping':
      case 'analyzing':
        stateText.textContent = 'Saving and analysing the whole recording…';
        break;
      case 'interrupted':
        stateText.textContent = `Interrupted: ${s.message ?? 'the device stopped'}. What was captured is kept.`;
        break;
      case 'cancelled':
        stateText.textContent = 'Discarded. Nothing was saved.';
        break;
      case 'error':
        stateText.textContent = `Could not record: ${s.message ?? 'unknown error'}`;
        break;
      default:
        break;
    }
    progress.value = s.targetSec ? Math.min(1, s.elapsedSec / s.targetSec) : 0;
    refreshControls();
    if ((s.state === 'done' || s.state === 'interrupted') && s.recordingId !== null)
      void finish(() => api.call('recordings.get', { id: s.recordingId as number }));
    if (s.state === 'cancelled') {
      if (stoppedInCountdown) stateText.textContent = COUNTDOWN_CANCELLED;
      clearTake();
      // Late frames of a discarded take are not drawn: nothing of it stays on screen.
      captureId = null;
      refreshControls();
    }
    if (s.state === 'error') endCapture();
  }

  /** Nothing of a discarded take stays on screen: live result, quality, meter, counts, spectrogram, result. */
  function clearTake(): void {
    meterFill.style.width = '0%';
    meterPeak.style.left = '0%';
    meter.removeAttribute('aria-valuenow');
    meterText.textContent = METER_IDLE;
    liveScreen.replaceChildren(h('span', { class: 'hint' }, LIVE_IDLE));
    liveScreen.removeAttribute('aria-label');
    resetLiveQuality();
    liveSounds.reset();
    liveCounts.textContent = '';
    framesReceived = 0;
    lastCaptureId = null;
    spectrogram.reset();
    resultDispose?.();
    resultDispose = null;
    result.replaceChildren();
    result.hidden = true;
  }

  function endCapture(): void {
    // The spectrogram keeps drawing: the last frame batches may still be on their way.
    if (captureId) lastCaptureId = captureId;
    captureId = null;
    refreshControls();
  }

  /** The usual round: each level right then left, front then back, trachea last. */
  function nextSite(): ChestSite | null {
    const from = site ? PROTOCOL.indexOf(site) : -1;
    for (let i = 1; i <= PROTOCOL.length; i++) {
      const s = PROTOCOL[(from + i) % PROTOCOL.length] as ChestSite;
      if (!doneSites.has(s)) return s;
    }
    return null;
  }

  /** Shows the saved recording's result (once per recording); false when it failed (the error is shown). */
  function finish(load: () => Promise<RecordingDetail>): Promise<boolean> {
    if (finishing) return finishing;
    finishing = (async () => {
      lastSaveWaiting = false;
      try {
        const detail = await load();
        facts ??= await loadModelFacts(api);
        showResult(detail);
        return true;
      } catch (err) {
        result.hidden = false;
        void uploads.refresh();
        lastSaveWaiting = isWaitingToUpload(err);
        if (lastSaveWaiting) {
          // Site mode, site away: kept here and uploaded later; no result to show yet, and no failure.
          result.replaceChildren(
            h('h2', {}, 'Result'),
            h('p', { class: 'upload-status', role: 'status', 'data-testid': 'waiting-note' }, errorMessage(err)),
          );
          return true;
        }
        const changed = isPatientChanged(err) && (await picker.reread()) !== null;
        result.replaceChildren(
          h('h2', {}, 'Result'),
          h(
            'p',
            { class: 'form-error', role: 'alert' },
            changed
              ? patientChangedText('Not saved', 'import the file again', 'Nothing was kept.')
              : `The recording could not be saved or analysed: ${errorMessage(err)}`,
          ),
        );
        return false;
      } finally {
        endCapture();
        state = 'done';
        refreshControls();
      }
    })();
    return finishing;
  }

  /** Why this take should be recorded again (shorter than the analysis needs, withheld, interrupted, poor), or null. */
  function redoReason(d: RecordingDetail): string | null {
    const r = d.recording;
    if (r.durationSec < MIN_ANALYSABLE_SEC)
      return `only ${r.durationSec.toFixed(1)} s was recorded; the analysis needs at least ${MIN_ANALYSABLE_SEC} s`;
    if (r.status === 'interrupted') return 'the recording was interrupted before the end';
    if (r.result === 'withheld') return 'no result could be given for this take';
    if (r.quality === 'poor' || d.analysis?.quality.verdict === 'poor') return 'the sound quality is poor';
    return null;
  }

  function showResult(d: RecordingDetail): void {
    resultDispose?.();
    resultDispose = null;
    const redo = redoReason(d);
    // A take to be recorded again does not count as this site done.
    if (redo) doneSites.delete(d.recording.site);
    else doneSites.add(d.recording.site);
    diagram.markDone(doneSites);
    const next = nextSite();
    const nextBtn = next
      ? h(
          'button',
          {
            type: 'button',
            class: redo ? 'secondary' : '',
            'data-testid': 'next-site',
            onclick: () => {
              site = next;
              diagram.select(next);
              state = 'idle';
              result.hidden = true;
              refreshControls();
              recordBtn.focus();
            },
          },
          redo ? `Skip to ${siteName(next)}` : `Next site: ${siteName(next)} →`,
        )
      : h('span', { class: 'hint' }, 'All sites recorded for this patient.');
    const children: Array<HTMLElement> = [
      h('h2', {}, `Saved: ${siteName(d.recording.site)} · recording #${d.recording.id}`),
      h(
        'p',
        {},
        `${d.recording.durationSec.toFixed(1)} s at ${d.recording.sampleRate} Hz from ${d.recording.deviceName}.`,
        d.recording.status === 'interrupted' ? ' Interrupted before the end; what was captured is kept.' : '',
      ),
    ];
    const s = analysisSummary(d.recording.result, d.analysis, facts);
    resultDispose = s.destroy;
    children.push(s.element);
    // R (the record key) records the same site again: the site stays chosen until "Next site".
    const again = redo
      ? h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'data-testid': 'record-again',
            onclick: () => {
              site = d.recording.site;
              diagram.select(d.recording.site);
              state = 'idle';
              void startCapture();
            },
          },
          `Record ${siteName(d.recording.site)} again (R)`,
        )
      : null;
    if (redo)
      children.push(
        h('p', { class: 'redo', role: 'alert', 'data-testid': 'redo-reason' }, `Record this site again: ${redo}.`),
      );
    children.push(
      h(
        'div',
        { class: 'actions' },
        again,
        nextBtn,
        h('a', { href: `#/recording/${d.recording.id}` }, 'Open recording'),
      ),
    );
    // The final result replaces the provisional one.
    liveScreen.replaceChildren(h('span', { class: 'hint' }, 'Replaced by the final result below.'));
    result.replaceChildren(...children);
    result.hidden = false;
    stateText.textContent = `Saved recording #${d.recording.id}.`;
    (again ?? nextBtn).focus();
  }

  async function startCapture(): Promise<void> {
    if (canStart() || !patient || !site) return;
    const durationSec = RECORDING_LENGTHS.find((sec) => String(sec) === durationSelect.value) ?? null; // else 'free'
    spectrogram.reset();
    spectrogram.start();
    lastCaptureId = null; // late frames of the previous capture no longer belong on screen
    framesReceived = 0;
    liveCounts.textContent = '';
    liveScreen.replaceChildren(h('span', { class: 'hint' }, LIVE_IDLE));
    resetLiveQuality();
    liveSounds.reset();
    result.hidden = true;
    finishing = null;
    stoppedInCountdown = false;
    state = 'countdown';
    refreshControls();
    try {
      const s = await api.call('capture.start', {
        patientId: patient.id,
        site,
        durationSec,
        device: deviceSelect.value || undefined,
        patientAsShown: shownAs(patient),
      });
      captureId = s.captureId;
      showState(s);
    } catch (err) {
      state = 'error';
      endCapture();
      stateText.textContent = `Could not start recording: ${errorMessage(err)}`;
      if (isPatientChanged(err) && (await picker.reread()))
        stateText.textContent = patientChangedText('Not started', 'press Record again', 'Nothing was recorded.');
    }
  }

  async function stopCapture(): Promise<void> {
    const id = captureId;
    if (!id) return;
    if (state === 'countdown') {
      // Nothing has been recorded yet: Stop simply cancels (no confirmation, nothing saved or analysed).
      stoppedInCountdown = true;
      try {
        showState(await api.call('capture.cancel', { captureId: id }));
      } catch (err) {
        ctx.notify(`Could not cancel: ${errorMessage(err)}`, 'error');
      }
      return;
    }
    state = 'stopping';
    refreshControls();
    stateText.textContent = 'Saving and analysing the whole recording…';
    await finish(() => api.call('capture.stop', { captureId: id }));
    return;
  }

  async function discardCapture(): Promise<void> {
    const id = captureId;
    if (!id) return;
    if (!window.confirm('Discard this recording? Nothing of it will be kept.')) return;
    try {
      showState(await api.call('capture.cancel', { captureId: id }));
    } catch (err) {
      ctx.notify(`Could not discard: ${errorMessage(err)}`, 'error');
    }
  }

  recordBtn.addEventListener('click', () => void (ACTIVE.has(state) ? stopCapture() : startCapture()));
  discardBtn.addEventListener('click', () => void discardCapture());

  const onKey = (ev: KeyboardEvent): void => {
    const t = ev.target as HTMLElement | null;
    if (t && (t.closest('input, textarea, select, [contenteditable]') || ev.ctrlKey || ev.metaKey || ev.altKey)) return;
    const onButton = !!t?.closest('button, a, [role=button]');
    if (ev.key === 'r' || ev.key === 'R' || (ev.key === ' ' && !onButton)) {
      ev.preventDefault();
      recordBtn.click();
    } else if (ev.key === 'Escape' && captureId) {
      ev.preventDefault();
      void discardCapture();
    }
  };
  window.addEventListener('keydown', onKey);
  offs.push(() => window.removeEventListener('keydown', onKey));

  const mine = (id: string | null): boolean => id !== null && id === captureId;
  offs.push(
    api.on('capture.state', (s) => {
      if (mine(s.captureId)) showState(s);
    }),
    api.on('capture.frames', (f) => {
      if (!mine(f.captureId) && f.captureId !== lastCaptureId) return;
      spectrogram.push(f.firstFrame, f.frames, f.sentAtMs, f.droppedFrames);
      framesReceived += f.frames.length;
      liveSounds.setNow((f.firstFrame + f.frames.length) / 100);
      liveCounts.textContent = `${(framesReceived / 100).toFixed(2)} s of sound received (${framesReceived} frames)`;
    }),
    api.on('capture.level', (l) => {
      if (!mine(l.captureId)) return;
      const w = (db: number): string => `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100)).toFixed(1)}%`;
      meterFill.style.width = w(l.rmsDbfs);
      meterPeak.style.left = w(l.peakDbfs);
      meter.setAttribute('aria-valuenow', l.rmsDbfs.toFixed(0));
      meterText.textContent = `Level: RMS ${l.rmsDbfs.toFixed(0)} dBFS · peak ${l.peakDbfs.toFixed(0)} dBFS${l.peakDbfs > -1 ? ' — too loud, clipping' : ''}`;
    }),
    api.on('capture.quality', (q) => {
      if (!mine(q.captureId)) return;
      lastQuality = q.quality;
      liveQualityPoor = q.quality.verdict === 'poor';
      renderLiveQuality();
      if (liveQualityPoor && liveScreen.querySelector('[data-testid=screen]'))
        liveScreen.replaceChildren(
          h(
            'span',
            { class: 'hint', 'data-testid': 'live-reasons' },
            'No provisional result while the sound quality is poor.',
          ),
        );
    }),
    api.on('capture.live', (l) => {
      if (!mine(l.captureId)) return;
      liveSounds.update(l);
      liveGate = liveGateOf(l);
      lastLearned = l.learnedQuality;
      renderLiveQuality();
      // Only what LiveAnalysis allows: a screen "so far" when the gate passed for what was heard;
      // otherwise its reasons, and not even an empty bar.
      // The engine decides (LiveAnalysis); the view also holds the rule itself: nothing from less
      // than one 3 s window of usable sound, nothing while the sound quality is poor.
      const tooShort = l.usableSec < LIVE_MIN_SEC;
      if (l.status === 'withheld' || !l.screen || tooShort || liveQualityPoor) {
        liveScreen.replaceChildren(
          h(
            'span',
            { class: 'hint', 'data-testid': 'live-reasons' },
            l.statusReasons.join('; ') ||
              (liveQualityPoor
                ? 'No provisional result while the sound quality is poor.'
                : `Listening… ${l.usableSec.toFixed(1)} s of usable sound so far; a provisional result needs ${LIVE_MIN_SEC} s.`),
          ),
        );
        liveScreen.setAttribute('aria-label', 'No provisional result yet');
        return;
      }
      const status = l.status === 'uncertain' ? 'uncertain' : 'ok';
      liveScreen.replaceChildren(
        screenBadge(l.screen, status, true),
        h(
          'span',
          { class: 'hint' },
          `Provisional: ${pct(l.screen.pAbnormal)} abnormal from ${l.usableSec.toFixed(1)} s of usable sound (abnormal from ${pct(l.screen.threshold)}). The final result replaces it.`,
        ),
      );
      liveScreen.setAttribute('aria-label', `Provisional: ${status === 'uncertain' ? 'uncertain' : l.screen.label}`);
    }),
    api.on('capture.error', (e) => {
      if (e.captureId === null || mine(e.captureId)) ctx.notify(e.message, 'error');
    }),
    api.on('devices.changed', (d) => {
      const parts = [...d.added.map((n) => `connected: ${n}`), ...d.removed.map((n) => `disconnected: ${n}`)];
      if (parts.length) ctx.notify(`Devices changed — ${parts.join(', ')}`);
      void loadDevices();
    }),
  );

  // Pick up a recording already running (e.g. after a reload).
  void (async () => {
    await loadDevices();
    try {
      const s = await api.call('capture.status', {});
      if (s.captureId && ACTIVE.has(s.state)) {
        captureId = s.captureId;
        spectrogram.start();
        showState(s);
      }
    } catch {
      /* no capture running */
    }
  })();
  refreshControls();

  return () => {
    for (const off of offs) off();
    spectrogram.destroy();
    resultDispose?.();
    ctx.setBusy(false);
    if (window.__auscultLive === spectrogram.stats) delete window.__auscultLive;
  };
}
