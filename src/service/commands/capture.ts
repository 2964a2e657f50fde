/**
 * Capture commands: devices, pin, start / stop / cancel / status. The work is the workstation's
 * capture controller's (src/service/capture-controller.ts, `deps.capture`).
 */
import { audit, type CommandTable } from '../handler.js';
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
      const state = await deps.capture.start(call, p);
      deps.store.tx(() =>
        audit(deps, call, 'capture.start', 'capture', state.captureId, {
          patientId: p.patientId,
          site: p.site,
          device: state.deviceName,
        }),
      );
      return state;
    },
  },
  'capture.stop': {
    access: 'user',
    roles: RECORDERS,
    audit: ['capture.stop', 'recording.create'],
    async run(deps, call, p) {
      const detail = await deps.capture.stop(call, p.captureId);
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
