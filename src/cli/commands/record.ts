/**
 * `auscult record --device <name|index> --seconds N --out file.wav [--json]`: record from a
 * stethoscope through the same live pipeline as the workstation, save the WAV (crash-safe: a
 * killed run leaves a valid WAV up to the last second), then print the same analysis as
 * `auscult analyze` on the saved file. Ctrl-C stops and keeps what was recorded.
 * `auscult record --recover file.wav` repairs and analyses a WAV left by a killed run.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { CaptureSettingsFile, chooseDevice, describeDevices } from '../../capture/devices.js';
import { CaptureError } from '../../capture/errors.js';
import { PortAudioBackend } from '../../capture/portaudio-backend.js';
import { realPipelineParts } from '../../capture/pipeline-parts.js';
import { repairInterrupted } from '../../capture/recovery.js';
import { CaptureSession } from '../../capture/session.js';
import type { AnalysisEngine } from '../../inference/engine.js';
import type { AnalysisResult } from '../../inference/analysis-types.js';
import type { CaptureAnalyzer } from '../../capture/pipeline-types.js';
import { formatResult } from './analyze.js';
import { captureSettingsPath } from './devices.js';

const USAGE = `usage: auscult record [--device <name or index>] [--seconds N] --out file.wav [--json]
                      [--rate HZ] [--countdown S] [--head card.json] [--no-analysis] [--force]
       auscult record --recover file.wav [--json] [--head card.json] [--no-analysis]

  --device     input to record from (see 'auscult devices'); default: the pinned device, the
               last one used, or the first likely stethoscope
  --seconds    length in seconds (default 3; 0 = until Ctrl-C). Ctrl-C always stops and keeps.
  --out        the WAV to write (at the device's own rate, 16-bit mono)
  --rate       open the device at this rate (default: its native rate)
  --countdown  seconds of countdown before recording starts (default 0)
  --json       print the analysis as 'auscult analyze --json' does (progress goes to stderr)
  --head       the classifier head's model card (as for 'auscult analyze')
  --recover    repair a WAV left by a killed 'auscult record' and analyse it`;

/** The exact path `auscult analyze` takes from a file to its result. */
async function fileAnalyzer(engine: AnalysisEngine): Promise<CaptureAnalyzer> {
  const { readAudioFile } = await import('../../inference/front-end.js');
  return {
    createLive: () => engine.createLiveAnalyzer(),
    analyzeFile: async (path) => {
      const audio = await readAudioFile(path);
      return engine.analyzeRecording(audio.samples, audio.sampleRate);
    },
  };
}

function printResult(
  json: boolean,
  engine: AnalysisEngine | null,
  file: string,
  result: AnalysisResult | null,
  extra: Record<string, unknown>,
): void {
  if (json) {
    const entry = result
      ? { file, ok: true, result }
      : {
          file,
          ok: false,
          error: {
            code: 'NO_ANALYSIS',
            message: typeof extra['analysisError'] === 'string' ? extra['analysisError'] : 'not analyzed',
          },
        };
    console.log(JSON.stringify({ head: engine?.versions.head ?? null, files: [entry], capture: extra }, null, 2));
  } else if (result && engine) {
    console.log(formatResult(file, result, engine.headCardPath));
  }
}

export const command: CliCommand = {
  name: 'record',
  summary: 'record from a stethoscope, save the WAV and print its analysis',
  async run(argv) {
    const args = parseCommandArgs('record', USAGE, argv, {
      options: {
        device: { type: 'string' },
        seconds: { type: 'string', default: '3' },
        out: { type: 'string' },
        rate: { type: 'string' },
        countdown: { type: 'string', default: '0' },
        json: { type: 'boolean', default: false },
        'no-analysis': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        recover: { type: 'string' },
        head: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (!args) return 2;
    const v = args.values;
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    const seconds = Number(v.seconds);
    const rate = v.rate === undefined ? undefined : Number(v.rate);
    const countdown = Number(v.countdown);
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600)
      return usageError('--seconds must be a number of seconds from 0 (until Ctrl-C) to 3600');
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 4000 || rate > 192000))
      return usageError('--rate must be a whole number of Hz between 4000 and 192000');
    if (!Number.isFinite(countdown) || countdown < 0 || countdown > 30)
      return usageError('--countdown must be 0 to 30 seconds');
    const log = (line: string): void => console.error(line);

    // The engine first: a missing model is reported before the nurse records anything.
    let engine: AnalysisEngine | null = null;
    if (!v['no-analysis']) {
      try {
        // Loaded only when analysing: --no-analysis never loads onnxruntime.
        const { AnalysisEngine } = await import('../../inference/engine.js');
        engine = await AnalysisEngine.load({ headCard: v.head ? resolve(v.head) : undefined, log });
      } catch (err) {
        console.error(`auscult record: ${(err as Error).message}\n  (use --no-analysis to record without analysing)`);
        return 1;
      }
    }
    try {
      if (v.recover !== undefined) {
        const path = resolve(v.recover);
        const info = await repairInterrupted(path);
        log(`recovered ${path}: ${info.durationSec.toFixed(2)} s at ${info.sampleRate} Hz`);
        const result = engine ? await (await fileAnalyzer(engine)).analyzeFile(path) : null;
        printResult(v.json, engine, path, result, {
          status: 'recovered',
          samples: info.samples,
          sampleRate: info.sampleRate,
        });
        return 0;
      }
      if (!v.out) return usageError('--out file.wav is required');
      const out = resolve(v.out);
      if (existsSync(out) && !v.force)
        return usageError(`${out} already exists; choose another --out or add --force to overwrite it`);

      const settings = new CaptureSettingsFile(captureSettingsPath());
      const backend = new PortAudioBackend();
      const devices = describeDevices(await backend.listDevices().finally(() => backend.close()), settings.read());
      const device = chooseDevice(devices, v.device, settings.read());
      const session = new CaptureSession({
        backend,
        device,
        wavPath: out,
        parts: realPipelineParts,
        analyzer: engine ? await fileAnalyzer(engine) : null,
        targetSec: seconds > 0 ? seconds : null,
        countdownSec: countdown,
        sampleRate: rate,
      });
      let lastState = '';
      session.on('state', (s) => {
        if (s.state !== lastState) log(`record: ${s.state}${s.message ? ` — ${s.message}` : ''}`);
        lastState = s.state;
      });
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts++;
        if (interrupts === 1) {
          log('record: stopping (Ctrl-C again to quit at once; the WAV is kept either way)');
          void session.stop();
        } else process.exit(130);
      };
      process.on('SIGINT', onSigint);
      try {
        await session.start();
        log(
          `record: ${device.name} at ${session.state.sampleRate} Hz -> ${out}${seconds > 0 ? ` (${seconds} s)` : ' (until Ctrl-C)'}`,
        );
        const outcome = await session.done;
        if (!outcome) return 1;
        settings.update({ lastDevice: device.name });
        log(
          `record: saved ${outcome.durationSec.toFixed(2)} s (${outcome.samples} samples at ${outcome.sampleRate} Hz) to ${out}`,
        );
        if (outcome.message) log(`record: ${outcome.message}`);
        if (outcome.analysisError) log(`record: analysis failed: ${outcome.analysisError}`);
        printResult(v.json, engine, out, outcome.analysis, {
          status: outcome.status,
          device: outcome.deviceName,
          samples: outcome.samples,
          sampleRate: outcome.sampleRate,
          message: outcome.message,
          analysisError: outcome.analysisError,
          droppedFrames: outcome.stats.droppedFrames,
          deviceOverflows: outcome.stats.deviceOverflows,
        });
        return outcome.status === 'interrupted' || outcome.analysisError ? 1 : 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    } catch (err) {
      if (err instanceof CaptureError) {
        console.error(`auscult record: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      await engine?.close();
    }
  },
};

function usageError(message: string): number {
  console.error(`auscult record: ${message}\n${USAGE}`);
  return 2;
}
