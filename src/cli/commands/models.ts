/**
 * `auscult models [--source <folder|file.tflite>] [--url <address>] [--if-missing]`:
 * converts YAMNet with our converter, self-tests it, writes models/ and prints each file's
 * SHA-256; then reports the classifier head the engine would use.
 */
import { join } from 'node:path';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { HOW_TO_PROVIDE_YAMNET, ModelError } from '../../inference/errors.js';
import { prepareYamnet, recordModelSize, resolveSource, yamnetStatus } from '../../inference/models.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir } from '../../inference/paths.js';
import { readHeadCard } from '../../inference/head-session.js';

const USAGE = `usage: auscult models [--source <folder or yamnet.tflite>] [--url <address of a YAMNet .tflite>]
                     [--class-map-url <address>] [--if-missing] [--models-dir <folder>]
  Converts Google's YAMNet (TFLite) to models/yamnet.onnx with Auscult's converter, runs the
  self-test (silence, 1 kHz tone, white noise) and writes the model only if it passes.
  Source: --source, else AUSCULT_MODEL_SOURCE, else --url / AUSCULT_MODEL_URL.
  --if-missing: do nothing when a valid model is present (its SHA-256 re-checked); without a
  source, say how to provide one and exit 0 (used by npm install).`;

export const command: CliCommand = {
  name: 'models',
  summary: 'prepare the YAMNet ONNX model (convert + self-test) and check the classifier head',
  async run(argv) {
    const parsed = parseCommandArgs('models', USAGE, argv, {
      options: {
        source: { type: 'string' },
        url: { type: 'string' },
        'class-map-url': { type: 'string' },
        'if-missing': { type: 'boolean', default: false },
        'models-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (!parsed) return 2;
    const { values } = parsed;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const modelsDir = values['models-dir'] ?? defaultModelsDir();
    const ifMissing = values['if-missing'];
    try {
      if (ifMissing) {
        // the one place (with `check`) that re-hashes the model; analyses compare its size
        const status = yamnetStatus(modelsDir, { rehash: true });
        if (status.ok) {
          console.log(
            `models: YAMNet ready (${join(modelsDir, status.manifest.file)}, SHA-256 ${status.manifest.sha256} verified)`,
          );
          if (recordModelSize(modelsDir, status.manifest))
            console.log('models: recorded the model file size in its manifest (checked at every load)');
          reportHead(modelsDir);
          return 0;
        }
      }
      const source = resolveSource({ source: values.source, url: values.url, classMapUrl: values['class-map-url'] });
      if (!source) {
        (ifMissing ? console.log : console.error)(`models: YAMNet is not prepared: ${HOW_TO_PROVIDE_YAMNET}`);
        return ifMissing ? 0 : 1;
      }
      await prepareYamnet({ modelsDir, source, log: (l) => console.log(l) });
      reportHead(modelsDir);
      return 0;
    } catch (err) {
      if (err instanceof ModelError) {
        console.error(`models: ${err.message}`);
        // npm install must not fail because of the model: say it, carry on
        return ifMissing && (err.code === 'MODEL_SOURCE_MISSING' || err.code === 'MODEL_MISSING') ? 0 : 1;
      }
      throw err;
    }
  },
};

function reportHead(modelsDir: string): void {
  const cardPath = join(modelsDir, DEFAULT_HEAD_CARD);
  try {
    const card = readHeadCard(cardPath);
    console.log(`models: classifier head ${card.name} ${card.version} (${cardPath})`);
  } catch (err) {
    console.log(`models: ${err instanceof Error ? err.message : String(err)}`);
  }
}
