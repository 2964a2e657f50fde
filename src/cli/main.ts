/**
 * `auscult <command>`: each command lives in src/cli/commands/<name>.ts and exports
 * `command: CliCommand`. Modules load lazily so `auscult models` does not load SQLite or
 * PortAudio, and a slow import never delays another command.
 */
import type { CliCommand } from './command.js';

// Everything Auscult writes is private to the account running it (0600 files, 0700 folders):
// the explicit modes where files are created, and this umask for whatever a library creates.
process.umask(0o077);

/**
 * The command registry: one literal `import()` per command, so that a command's modules load only
 * when it runs (and a bundler sees every command; scripts/bundle-cli.mjs splits them into chunks).
 */
const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  analyze: () => import('./commands/analyze.js'),
  reanalyze: () => import('./commands/reanalyze.js'),
  models: () => import('./commands/models.js'),
  'train-head': () => import('./commands/train-head.js'),
  'train-sounds': () => import('./commands/train-sounds.js'),
  devices: () => import('./commands/devices.js'),
  record: () => import('./commands/record.js'),
  import: () => import('./commands/import.js'),
  users: () => import('./commands/users.js'),
  audit: () => import('./commands/audit.js'),
  export: () => import('./commands/export.js'),
  backup: () => import('./commands/backup.js'),
  restore: () => import('./commands/restore.js'),
  check: () => import('./commands/check.js'),
  encryption: () => import('./commands/encryption.js'),
  serve: () => import('./commands/serve.js'),
  site: () => import('./commands/site.js'),
};

async function load(name: string): Promise<CliCommand | null> {
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!loader) return null;
  return (await loader()).command;
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
