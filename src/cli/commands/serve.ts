/**
 * `auscult serve [--db <file>] [--data-dir <dir>] [--port <n>]`: the workstation in a browser on
 * this machine. Opens the real service (store, analysis engine, capture) and the loopback
 * transport on 127.0.0.1, prints the address with its one-time token, and runs until Ctrl-C
 * (which stops any recording cleanly before the database closes).
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from '../command.js';

const USAGE = `usage: auscult serve [--db <file>] [--data-dir <dir>] [--port <n>] [--no-engine]

Serves the workstation UI and API on http://127.0.0.1:<port> (loopback only) and prints the
address to open, which carries a fresh access token each start.
  --db <file|url>    database file (default: <data-dir>/auscult.sqlite), or a site database
                     postgresql://ROLE@HOST:PORT/DB?sslmode=verify-full (or AUSCULT_DB_URL);
                     its password in PGPASSWORD or ~/.pgpass, never in the address
  --data-dir <dir>   where recordings, exports and the database live (default: the app's data
                     directory, or AUSCULT_DATA_DIR)
  --port <n>         port to listen on (default: a free one)
  --no-engine        do not load the analysis models (recordings are stored unanalysed)
  --key-file <file>  the key of an encrypted data folder (or AUSCULT_KEY_FILE / AUSCULT_PASSPHRASE)`;

export const command: CliCommand = {
  name: 'serve',
  summary: 'serve the workstation UI on 127.0.0.1 (open it in a browser)',
  async run(argv) {
    let values: {
      db?: string;
      'data-dir'?: string;
      port?: string;
      'no-engine'?: boolean;
      'key-file'?: string;
      help?: boolean;
    };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          db: { type: 'string' },
          'data-dir': { type: 'string' },
          port: { type: 'string' },
          'no-engine': { type: 'boolean' },
          'key-file': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      console.error(`auscult serve: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`auscult serve: --port must be a whole number from 0 to 65535 (got '${values.port}').`);
      return 2;
    }
    const { appDataDir } = await import('../../service/paths.js');
    const { Workstation } = await import('../../service/workstation.js');
    const { defaultEngineLoader } = await import('../../service/engine-loader.js');
    const { startLoopbackServer } = await import('../../server/loopback-server.js');
    const dataDir = values['data-dir'] ?? appDataDir();
    const { resolveDb } = await import('../../service/site-store.js');
    const dbPath = resolveDb(values.db, dataDir);

    const workstation = await Workstation.open({
      dbPath,
      dataDir,
      // A restored older copy waits for an administrator's acceptance on the sign-in page.
      offerRollbackAcceptance: true,
      ...(values['key-file'] ? { keyFile: values['key-file'] } : {}),
      ...(values['no-engine']
        ? { engine: null, engineError: 'Started with --no-engine: recordings are stored without analysis.' }
        : {
            loadEngine: defaultEngineLoader((line) => {
              console.error(`models: ${line}`);
            }),
          }),
    });
    let server;
    try {
      server = await startLoopbackServer({ workstation, port });
    } catch (err) {
      await workstation.close();
      const code = (err as { code?: string }).code;
      console.error(
        code === 'EADDRINUSE'
          ? `auscult serve: port ${port} is in use. Choose another with --port, or leave it out to take a free one.`
          : `auscult serve: could not listen: ${err instanceof Error ? err.message : String(err)}`,
      );
      return 1;
    }
    console.log(`Auscult is serving ${dbPath}`);
    const pending = workstation.internals.store.rollbackPending;
    if (pending)
      console.log(
        (workstation.internals.store.engine === 'postgresql'
          ? `The site database was restored from an older copy: it holds what this workstation checkpointed only up to audit entry ${pending.held.seq}, its signed checkpoint log records ${pending.lost.seq}. `
          : `This database is a restored older copy: it ends at audit entry ${pending.base.seq}, the signed checkpoint log records ${pending.lost.seq}. `) +
          `Nothing can be read or written until an administrator accepts it on the sign-in page (or with \`auscult restore accept --db '${dbPath}'\`).`,
      );
    if (!workstation.internals.engine)
      console.log(`Analysis unavailable: ${workstation.internals.engineError ?? 'no engine'}`);
    console.log(`Open: ${server.url}`);
    console.log('(loopback only; the token changes each start; Ctrl-C to stop)');

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    console.log('Stopping…');
    await server.close();
    await workstation.close();
    return 0;
  },
};
