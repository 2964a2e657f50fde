/**
 * Option parsing with the CLI's one convention for a usage error: print
 * `auscult <command>: <what is wrong>` and the command's usage, and exit with code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Parses `argv` with node:util's parseArgs; null after printing the error and usage. */
export function parseCommandArgs<const T extends Omit<ParseArgsConfig, 'args'>>(
  command: string,
  usage: string,
  argv: string[],
  config: T,
): ReturnType<typeof parseArgs<T & { args: string[] }>> | null {
  try {
    return parseArgs({ ...config, args: argv });
  } catch (err) {
    console.error(`auscult ${command}: ${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return null;
  }
}
