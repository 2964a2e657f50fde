/** `auscult devices [--json] [--pin <name|index>] [--unpin]`: list audio inputs, mark the likely stethoscope. */
import { join } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { CaptureSettingsFile, chooseDevice, describeDevices } from '../../capture/devices.js';
import { CaptureError } from '../../capture/errors.js';
import { PortAudioBackend } from '../../capture/portaudio-backend.js';
import { appDataDir } from '../../service/paths.js';

export function captureSettingsPath(): string {
  return join(appDataDir(), 'capture-settings.json');
}

const HELP = `usage: auscult devices [--json] [--pin <name or index>] [--unpin]

Lists audio inputs (name, host API, channels, default rate); '*' marks the likely
stethoscope and 'pinned' the one chosen with --pin (used by record and the workstation).`;

export const command: CliCommand = {
  name: 'devices',
  summary: 'list audio inputs, marking the likely stethoscope',
  async run(argv) {
    const args = parseCommandArgs('devices', HELP, argv, {
      options: {
        json: { type: 'boolean' },
        pin: { type: 'string' },
        unpin: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (!args) return 2;
    if (args.values.help) {
      console.log(HELP);
      return 0;
    }
    const settings = new CaptureSettingsFile(captureSettingsPath());
    try {
      const backend = new PortAudioBackend();
      const raw = await backend.listDevices().finally(() => backend.close());
      if (args.values.unpin) settings.update({ pinnedDevice: null });
      if (args.values.pin !== undefined) {
        const chosen = chooseDevice(
          describeDevices(raw, { pinnedDevice: null, lastDevice: null }),
          args.values.pin,
          settings.read(),
        );
        settings.update({ pinnedDevice: chosen.name });
      }
      const devices = describeDevices(raw, settings.read());
      if (args.values.json) {
        console.log(JSON.stringify(devices, null, 2));
        return 0;
      }
      if (devices.length === 0) {
        console.log('No audio inputs found. Plug in the stethoscope (or its USB audio adapter) and run this again.');
        return 0;
      }
      for (const d of devices) {
        const mark = d.likelyStethoscope ? '*' : ' ';
        const pin = d.pinned ? '  [pinned]' : '';
        console.log(
          `${mark} ${String(d.id).padStart(3)}  ${d.name}  (${d.hostApi}, ${d.maxInputChannels} ch, ${d.defaultSampleRate} Hz)${pin}`,
        );
      }
      console.log(
        '\n* = likely stethoscope. Record with: auscult record --device <name or number> --seconds 10 --out file.wav',
      );
      return 0;
    } catch (err) {
      if (err instanceof CaptureError) {
        console.error(`auscult devices: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};
