/**
 * Capture commands: devices, pin, start / stop / cancel / status. The work is the workstation's
 * capture controller's (src/service/capture-controller.ts, `deps.capture`).
 */
import { audit, type CommandTable } from '../handler.js';
import { RECORDERS } from '../access.js';
import { toDeviceInfo } from '../capture-controller.js';

export const captureCommands: CommandTable<
  'capture.devices' | 'capture.pinDevice' | 'capture.start' | 'capture.stop' | 'capture.cancel' | 'capture.status'
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
  'capture.start': {
    access: 'user',
    roles: RECORDERS,
    audit: ['recording.create'],
    run: (deps, call, p) => deps.capture.start(call, p),
  },
  'capture.stop': {
    access: 'user',
    roles: RECORDERS,
    audit: ['recording.create'],
    run: (deps, _call, p) => deps.capture.stop(p.captureId),
  },
  'capture.cancel': {
    access: 'user',
    roles: RECORDERS,
    run: (deps, _call, p) => deps.capture.cancel(p.captureId),
  },
  'capture.status': {
    access: 'user',
    roles: RECORDERS,
    run: (deps) => deps.capture.status(),
  },
};
