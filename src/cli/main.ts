/**
 * `auscult <command>`: each command lives in src/cli/commands/<name>.ts and exports
 * `command: CliCommand`. Modules load lazily so `auscult models` does not load SQLite or
 * PortAudio, and a slow import never delays another command.
 */
import type { CliCommand } from './command.js';

// Everything Auscult writes is private to the account running it (0600 files, 0700 folders):
// the explicit modes where files are created, and this umask for whatever a library creates.
process.umask(0o077);

const COMMANDS: Record<string, string> = {
  analyze: './commands/analyze.js',
  models: './commands/models.js',
  'train-head': './commands/train-head.js',
  'train-sounds': './commands/train-sounds.js',
  devices: './commands/devices.js',
  record: './commands/record.js',
  import: './commands/import.js',
  users: './commands/users.js',
  audit: './commands/audit.js',
  export: './commands/export.js',
  backup: './commands/backup.js',
  restore: './commands/restore.js',
  check: './commands/check.js',
  encryption: './commands/encryption.js',
  serve: './commands/serve.js',
};

async function load(name: string): Promise<CliCommand | null> {
  const path = COMMANDS[name];
  if (!path) return null;
  const mod = (await import(path)) as { command: CliCommand };
  return mod.command;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log('usage: auscult <command> [options]   (auscult <command> --help for its options)\n');
    for (const key of Object.keys(COMMANDS)) {
      const cmd = await load(key).catch(() => null);
      if (cmd) console.log(`  ${key.padEnd(11)} ${cmd.summary}`);
    }
    return name ? 0 : 2;
  }
  const cmd = await load(name);
  if (!cmd) {
    console.error(`auscult: unknown command '${name}'. Run 'auscult --help' for the list.`);
    return 2;
  }
  return cmd.run(rest);
}

let settled = false;
// A command whose work never settles (a stream that never ends) must not look like a success.
process.on('exit', (code) => {
  if (!settled && code === 0) {
    console.error('auscult: the command stopped before it finished (an internal error); nothing it reported is done.');
    process.exitCode = 1;
  }
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    console.error(`auscult: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
