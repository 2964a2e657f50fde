/**
 * Capture commands: devices, pin, start / stop / cancel / status. The work is the workstation's
 * capture controller's (src/service/capture-controller.ts, `deps.capture`).
 */
import type { RecordingDetail } from '../api.js';
import type { ApiError } from '../errors.js';
import { audit, type CommandTable, type Deps, type UserCall } from '../handler.js';
import { heldEntry, isUnreachable } from '../outbox-forwarder.js';
import { isWaitingToUpload } from '../recording-intake.js';
import { RECORDERS } from '../access.js';
import { toDeviceInfo } from '../capture-controller.js';

export const captureCommands: CommandTable<
  | 'capture.devices'
  | 'capture.pinDevice'
  | 'capture.start'
  | 'capture.stop'
  | 'capture.cancel'
  | 'capture.status'
  | 'capture.preferences'
> = {
  'capture.devices': {
    access: 'user',
    roles: RECORDERS,
    async run(deps) {
      return (await deps.capture.devices()).map(toDeviceInfo);
    },
  },
  'capture.pinDevice': {
    access: 'user',
    roles: RECORDERS,
    audit: ['capture.pin'],
    async run(deps, call, p) {
      const devices = await deps.capture.pin(p.name);
      deps.store.tx(() => audit(deps, call, 'capture.pin', 'device', p.name, {}));
      return devices.map(toDeviceInfo);
    },
  },
  // A live capture belongs to its starter (capture-controller.ts): start, stop and cancel are audited.
  'capture.start': {
    access: 'user',
    roles: RECORDERS,
    audit: ['capture.start', 'recording.create'],
    async run(deps, call, p) {
      // p.patientAsShown: checked against the history's patient (the take goes only to that person).
      const state = await deps.capture.start(call, p);
      const details = { patientId: p.patientId, site: p.site, device: state.deviceName };
      try {
        deps.store.tx(() => audit(deps, call, 'capture.start', 'capture', state.captureId, details));
      } catch (err) {
        // Site mode, site away: recording goes on; the entry waits with the recording it leads to.
        if (!deps.outbox || !isUnreachable(err)) throw err;
        deps.capture.holdAudit(
          state.captureId!,
          call,
          heldEntry(call, 'capture.start', 'capture', state.captureId, details),
        );
      }
      return state;
    },
  },
  'capture.stop': {
    access: 'user',
    roles: RECORDERS,
    audit: ['capture.stop', 'recording.create'],
    async run(deps, call, p) {
      let detail: RecordingDetail;
      try {
        detail = await deps.capture.stop(call, p.captureId);
      } catch (err) {
        if (isWaitingToUpload(err)) keepStopWithWaiting(deps, call, p.captureId, err);
        throw err;
      }
      deps.store.tx(() =>
        audit(deps, call, 'capture.stop', 'capture', p.captureId, { recordingId: detail.recording.id }),
      );
      return detail;
    },
  },
  'capture.cancel': {
    access: 'user',
    roles: RECORDERS,
    audit: ['capture.cancel'],
    async run(deps, call, p) {
      const state = await deps.capture.cancel(call, p.captureId);
      deps.store.tx(() => audit(deps, call, 'capture.cancel', 'capture', p.captureId, {}));
      return state;
    },
  },
  'capture.status': {
    access: 'user',
    roles: RECORDERS,
    run: (deps, call) => deps.capture.status(call),
  },
  'capture.preferences': {
    access: 'user',
    roles: RECORDERS,
    run: (deps, call) => deps.capture.preferences(call),
  },
};

/** The stop's entry of a take that waits in the outbox goes with it (or straight to the site if it went meanwhile). */
function keepStopWithWaiting(deps: Deps, call: UserCall, captureId: string, err: ApiError): void {
  const intakeId = (err.details as { intakeId?: unknown }).intakeId;
  const signing = deps.store.signing;
  const entry = heldEntry(call, 'capture.stop', 'capture', captureId, { waitingToUpload: true });
  if (deps.outbox && signing && typeof intakeId === 'string')
    if (deps.outbox.appendAudit(intakeId, entry, signing.signer, signing.dbId)) return;
  try {
    deps.store.tx(() => audit(deps, call, 'capture.stop', 'capture', captureId, { intakeId }));
  } catch (e) {
    console.error(
      `auscult: the stop of capture ${captureId} could not be audited: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
