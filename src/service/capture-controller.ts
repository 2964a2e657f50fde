/**
 * The capture controller: one per workstation (`deps.capture`), one recording at a time. It
 * owns the device list and its watcher, the pinned-device settings and the live session, and
 * emits the live events to the session that started the recording. A finished (or interrupted)
 * recording becomes a stored recording only through intakeRecording; if that fails, the WAV
 * stays in the in-progress folder and is offered by recordings.pendingRecovery, so nothing
 * recorded is ever lost. Wiring: `Workstation.open({ capture: CaptureWiring })`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RECORDING_LENGTH, RECORDING_LENGTHS, type RecordingLength } from '../common/recording-lengths.js';
import type { ChestSite } from '../common/chest-sites.js';
import { ApiError } from './errors.js';
import type { Deps, UserCall } from './handler.js';
import type { CapturePreferences, CaptureState, DeviceInfo, RecordingDetail } from './api.js';
import { filedPatient, intakeRecording, isWaitingToUpload, unconfirmedPatient } from './recording-intake.js';
import { outboxPatientOf, type OutboxAudit, type OutboxPatient } from '../store/index.js';
import { decodeWavFile } from './wav-source.js';
import {
  CaptureSettingsFile,
  chooseDevice,
  describeDevices,
  DeviceWatcher,
  type CaptureDevice,
} from '../capture/devices.js';
import { PortAudioBackend, type CaptureBackend } from '../capture/portaudio-backend.js';
import { realPipelineParts } from '../capture/pipeline-parts.js';
import type { CaptureAnalyzer, PipelineParts } from '../capture/pipeline-types.js';
import { removeInProgress, writeRecoveryMeta } from '../capture/recovery.js';
import { CaptureSession, type CaptureOutcome, type SessionState } from '../capture/session.js';

/** Said when Stop comes during the countdown (the session is cancelled, not saved). */
export const COUNTDOWN_CANCELLED = 'Recording cancelled: nothing was recorded (it was stopped before recording began).';

const IDLE: CaptureState = {
  captureId: null,
  state: 'idle',
  patientId: null,
  site: null,
  deviceName: null,
  sampleRate: null,
  elapsedSec: 0,
  targetSec: null,
  message: null,
  recordingId: null,
};

export function toDeviceInfo(d: CaptureDevice): DeviceInfo {
  return {
    id: d.id,
    name: d.name,
    hostApi: d.hostApi,
    maxInputChannels: d.maxInputChannels,
    defaultSampleRate: d.defaultSampleRate,
    likelyStethoscope: d.likelyStethoscope,
    pinned: d.pinned,
  };
}

interface Active {
  captureId: string;
  session: CaptureSession;
  patientId: number;
  site: ChestSite;
  wavPath: string;
  startedAt: string;
  call: UserCall;
  recordingId: number | null;
  /** Resolves to the stored recording (null when cancelled or not storable). */
  stored: Promise<RecordingDetail | null>;
  storeError: ApiError | null;
  /** The take's storing has finished (stored, kept in the outbox, or failed): until then it is not done. */
  settled: boolean;
  /** Site mode: this capture's audit entries made while the site was away (appended with the recording). */
  held: OutboxAudit[];
  /** The patient as known when it started: the intake files the take under that person only. */
  patient: OutboxPatient;
}

export class CaptureController {
  readonly backend: CaptureBackend;
  private readonly parts: PipelineParts;
  private readonly countdownSec: number;
  private readonly settings: CaptureSettingsFile;
  private readonly watcher: DeviceWatcher;
  private active: Active | null = null;
  private lastDevices: CaptureDevice[] = [];

  constructor(private readonly deps: Deps) {
    const w = deps.captureWiring;
    this.backend = w.backend ?? new PortAudioBackend(w.launcher ? { launcher: w.launcher } : {});
    this.parts = w.pipelineParts ?? realPipelineParts;
    this.countdownSec = w.countdownSec ?? 3;
    this.settings = new CaptureSettingsFile(join(deps.dataDir, 'capture-settings.json'));
    const interval = w.watchIntervalMs ?? 2000;
    this.watcher = new DeviceWatcher(this.backend, () => this.settings.read(), interval);
    this.watcher.on('changed', (c) => {
      this.lastDevices = c.devices;
      deps.events.emit('devices.changed', { devices: c.devices.map(toDeviceInfo), added: c.added, removed: c.removed });
    });
    deps.onClose(() => this.close());
  }

  /** The current (or last) session: diagnostics, and fault injection in tests. */
  get session(): CaptureSession | null {
    return this.active?.session ?? null;
  }

  /** The WAV being written now (recordings.pendingRecovery must not offer it). */
  get activeWavPath(): string | null {
    return this.active && !isFinal(this.active.session.state.state) ? this.active.wavPath : null;
  }

  async devices(): Promise<CaptureDevice[]> {
    // Probing a device that is recording can make it vanish from the list: reuse the last list.
    if (this.activeWavPath) return this.lastDevices;
    this.lastDevices = describeDevices(await this.backend.listDevices(), this.settings.read());
    this.watcher.start(); // someone is looking at devices: tell them about changes
    return this.lastDevices;
  }

  async pin(name: string | null): Promise<CaptureDevice[]> {
    if (name !== null) {
      const devices = await this.devices();
      const d = chooseDevice(devices, name, { pinnedDevice: null, lastDevice: null });
      this.settings.update({ pinnedDevice: d.name });
    } else this.settings.update({ pinnedDevice: null });
    this.lastDevices = describeDevices(this.lastDevices, this.settings.read());
    return this.lastDevices;
  }

  /**
   * The capture as its starter sees it. Anyone else learns only that the stethoscope is in use
   * (no patient, no capture id): a live capture belongs to the user who started it.
   */
  status(call: UserCall): CaptureState {
    if (!this.active) return IDLE;
    if (!this.ownedBy(this.active, call)) {
      return isFinal(this.active.session.state.state)
        ? IDLE
        : { ...IDLE, message: "The stethoscope is in use for another user's recording." };
    }
    return this.toState(this.active, this.active.session.state);
  }

  private ownedBy(a: Active, call: UserCall): boolean {
    return a.call.user.id === call.user.id;
  }

  private toState(a: Active, s: SessionState): CaptureState {
    // The audio session ends before the take is stored: a client told "done" then would act on a
    // take that is not in the history yet (a Lock pressed during the take would lock before it is
    // saved). Until storing settles the take is still being saved and analysed.
    const storing = (s.state === 'done' || s.state === 'interrupted') && !a.settled;
    return {
      captureId: a.captureId,
      state: storing ? 'analyzing' : s.state,
      patientId: a.patientId,
      site: a.site,
      deviceName: s.deviceName,
      sampleRate: s.sampleRate,
      elapsedSec: s.state === 'countdown' ? -(s.countdownLeftSec ?? 0) : s.elapsedSec,
      targetSec: s.targetSec,
      message: a.storeError?.message ?? s.message,
      recordingId: a.recordingId,
    };
  }

  private analyzer(): CaptureAnalyzer | null {
    const engine = this.deps.engine;
    if (!engine) return null;
    return {
      createLive: () =>
        engine.createLiveAnalyzer?.() ?? {
          push: () => undefined,
          update: () => Promise.reject(new Error('this engine has no live analysis')),
        },
      // The same decoding and engine call as recordings.import and recordings.reanalyze.
      analyzeFile: async (path) => {
        const audio = await decodeWavFile(path, 'The recording');
        return engine.analyzeRecording(audio.samples, audio.sampleRate);
      },
    };
  }

  async start(
    call: UserCall,
    p: {
      patientId: number;
      site: ChestSite;
      durationSec: RecordingLength | null;
      device?: string;
      patientAsShown?: OutboxPatient;
    },
  ): Promise<CaptureState> {
    if (this.active && !isFinal(this.active.session.state.state)) {
      throw new ApiError('BUSY', 'A recording is already in progress on this workstation. Stop or cancel it first.');
    }
    const patient = this.patientAtStart(p.patientId, p.patientAsShown ?? null);
    const settings = this.settings.read();
    const device = chooseDevice(await this.devices(), p.device, settings);
    const captureId = randomUUID();
    const startedAt = new Date().toISOString();
    mkdirSync(this.deps.inProgressDir, { recursive: true, mode: 0o700 });
    const wavPath = join(this.deps.inProgressDir, `${startedAt.replace(/[-:.]/g, '')}-${captureId.slice(0, 8)}.wav`);
    const session = new CaptureSession({
      backend: this.backend,
      device,
      wavPath,
      parts: this.parts,
      analyzer: this.analyzer(),
      targetSec: p.durationSec,
      countdownSec: this.countdownSec,
      seal: this.deps.atRest,
    });
    const a: Active = {
      captureId,
      session,
      patientId: p.patientId,
      site: p.site,
      wavPath,
      startedAt,
      call,
      recordingId: null,
      stored: Promise.resolve(null),
      storeError: null,
      settled: false,
      held: [],
      patient,
    };
    const ev = this.deps.events;
    // Live events go to the session that started the recording (its window), not everyone.
    const token = call.sessionToken;
    session.on('state', (s) => ev.emit('capture.state', this.toState(a, s), token));
    session.on('level', (l) => ev.emit('capture.level', { captureId, ...l }, token));
    session.on('frames', (f) => ev.emit('capture.frames', { captureId, ...f }, token));
    session.on('quality', (q) => ev.emit('capture.quality', { captureId, quality: q }, token));
    session.on('live', (l) => ev.emit('capture.live', { ...l, captureId }, token));
    session.on('fault', (e) => ev.emit('capture.error', { captureId, code: e.code, message: e.message }, token));

    this.watcher.pause();
    this.active = a;
    try {
      await session.start();
    } catch (err) {
      this.watcher.resume();
      throw err;
    }
    try {
      writeRecoveryMeta(wavPath, {
        captureId,
        startedAt,
        patientId: p.patientId,
        site: p.site,
        deviceName: device.name,
        sampleRate: session.state.sampleRate ?? 0,
        startedBy: call.user.username,
      });
    } catch {
      // A full disk may refuse the small sidecar: the recording goes on (it is what matters), and
      // without its sidecar an interrupted WAV is still offered for recovery, by its file date.
    }
    const users = {
      ...this.settings.read().users,
      [String(call.user.id)]: { device: device.name, durationSec: p.durationSec },
    };
    this.settings.update({ lastDevice: device.name, users });
    a.stored = session.done.then((outcome) => this.store(a, outcome)).finally(() => this.watcher.resume());
    return this.toState(a, session.state);
  }

  /**
   * The patient the take is for: the history's, refused if not the person shown. Site mode with the
   * site away: recording goes on (capture must still work) for the patient as shown, the take waits
   * in the outbox and is uploaded only to that person; refused before recording if none was shown.
   */
  private patientAtStart(id: number, asShown: OutboxPatient | null): OutboxPatient {
    const shown = asShown ? outboxPatientOf(asShown) : null;
    const nothing = 'nothing was recorded';
    const patient = filedPatient(this.deps, id, shown, nothing) ?? shown;
    if (!patient) throw unconfirmedPatient(id, nothing);
    return patient;
  }

  /** The session ended: hand the WAV to the intake (once), or leave it for recovery. */
  private async store(a: Active, outcome: CaptureOutcome | null): Promise<RecordingDetail | null> {
    try {
      return await this.storeTake(a, outcome);
    } finally {
      a.settled = true;
      this.deps.events.emit('capture.state', this.toState(a, a.session.state), a.call.sessionToken);
    }
  }

  private async storeTake(a: Active, outcome: CaptureOutcome | null): Promise<RecordingDetail | null> {
    if (!outcome) {
      removeInProgress(a.wavPath);
      return null;
    }
    if (outcome.samples === 0) {
      removeInProgress(a.wavPath);
      a.storeError = new ApiError('DEVICE', outcome.message ?? 'Nothing was recorded.');
      return null;
    }
    try {
      const { detail } = await intakeRecording(this.deps, a.call, {
        patientId: a.patientId,
        site: a.site,
        sourcePath: a.wavPath,
        move: true,
        // Our own in-progress file: a sealed one cut short by a full disk keeps every complete chunk.
        interrupted: true,
        deviceName: outcome.deviceName,
        status: outcome.status,
        startedAt: a.startedAt,
        analysis: outcome.analysis,
        heldAudit: a.held,
        patientAsShown: a.patient,
        auditDetails: {
          captureId: a.captureId,
          ...(outcome.message ? { interruption: outcome.message } : {}),
          droppedFrames: outcome.stats.droppedFrames,
        },
      });
      removeInProgress(a.wavPath); // the WAV moved; its sidecar goes too
      a.recordingId = detail.recording.id;
      return detail;
    } catch (err) {
      if (isWaitingToUpload(err)) {
        // Kept in the outbox (the WAV moved into the recordings folder): not an interrupted recording.
        removeInProgress(a.wavPath);
        a.storeError = err;
        return null;
      }
      a.storeError =
        err instanceof ApiError
          ? new ApiError(err.code, `${err.message} The recording was kept and is offered under interrupted recordings.`)
          : new ApiError(
              'STORAGE',
              'The recording could not be stored; it was kept and is offered under interrupted recordings.',
            );
      this.deps.events.emit(
        'capture.error',
        { captureId: a.captureId, code: a.storeError.code, message: a.storeError.message },
        a.call.sessionToken,
      );
      return null;
    }
  }

  /**
   * Site mode, site away: the capture's own audit entry (start) waits with the recording it leads
   * to, appended before its `recording.create` when the recording reaches the site.
   */
  holdAudit(captureId: string, call: UserCall, entry: OutboxAudit): void {
    this.current(captureId, call).held.push(entry);
  }

  private current(captureId: string, call: UserCall): Active {
    // Another user's capture answers exactly like no capture: its id tells a stranger nothing.
    if (!this.active || this.active.captureId !== captureId || !this.ownedBy(this.active, call)) {
      throw new ApiError(
        'NOT_FOUND',
        'That recording is not your current one (it may have ended already, or another user started it). Check capture.status.',
      );
    }
    return this.active;
  }

  /** What this user last recorded with here (each user their own: nurses share a workstation). */
  preferences(call: UserCall): CapturePreferences {
    const mine = this.settings.read().users?.[String(call.user.id)];
    const length = RECORDING_LENGTHS.find((l) => l === mine?.durationSec);
    return {
      device: mine?.device ?? null,
      durationSec: mine
        ? mine.durationSec === null
          ? null
          : (length ?? DEFAULT_RECORDING_LENGTH)
        : DEFAULT_RECORDING_LENGTH,
    };
  }

  async stop(call: UserCall, captureId: string): Promise<RecordingDetail> {
    const a = this.current(captureId, call);
    if (a.session.state.state === 'countdown') {
      // Stop before recording began: nothing was recorded, so nothing is saved or analysed.
      await a.session.cancel();
      await a.stored;
      throw new ApiError('CONFLICT', COUNTDOWN_CANCELLED);
    }
    if (a.session.state.state === 'cancelled')
      throw new ApiError('CONFLICT', 'That recording was cancelled; nothing was kept.');
    await a.session.stop();
    const detail = await a.stored;
    if (!detail) throw a.storeError ?? new ApiError('CONFLICT', 'That recording was cancelled; nothing was kept.');
    return detail;
  }

  async cancel(call: UserCall, captureId: string): Promise<CaptureState> {
    const a = this.current(captureId, call);
    const s = a.session.state.state;
    if (s === 'stopping' || s === 'analyzing' || s === 'done' || s === 'interrupted') {
      throw new ApiError(
        'CONFLICT',
        'That recording has already been stopped and kept; it can no longer be cancelled.',
      );
    }
    await a.session.cancel();
    await a.stored;
    return this.toState(a, a.session.state);
  }

  async close(): Promise<void> {
    this.watcher.stop();
    if (this.active && !isFinal(this.active.session.state.state)) {
      // Shutting down mid-recording: keep what was recorded (stored now, or recoverable later).
      await this.active.session.stop().catch(() => undefined);
      await this.active.stored.catch(() => undefined);
    }
    this.backend.close?.();
  }
}

function isFinal(s: SessionState['state']): boolean {
  return s === 'done' || s === 'interrupted' || s === 'cancelled' || s === 'error';
}
