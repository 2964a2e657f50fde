import type { CliCommand } from '../command.js';
export const command: CliCommand = {
  name: 'reanalyze',
  summary: 're-analyse the stored history with the installed models (both cores, resumable, audited)',
  run() {
    return Promise.resolve(1);
  },
};
