// Placeholder until the model preparation lands: keeps `npm ci` (prepare) working.
import type { CliCommand } from '../command.js';
export const command: CliCommand = {
  name: 'models',
  summary: 'prepare the YAMNet ONNX model and check the classifier head',
  async run() {
    console.log('models: not implemented yet');
    return 0;
  },
};
