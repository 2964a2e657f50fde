/**
 * `auscult users add|list|passwd` on the local database. Passwords come from AUSCULT_PASSWORD or
 * a prompt without echo (never from the command line, where `ps` and shell history would see them).
 */
import { isSiteUrl, openStoreAt, resolveDb } from '../../service/site-store.js';
import { parseCommandArgs } from '../args.js';
import type { CliCommand } from '../command.js';
import { ROLES } from '../../common/roles.js';
import { ApiError } from '../../service/errors.js';
import { addUserLocal, setPasswordLocal } from '../../service/local-admin.js';
import { appDataDir, signingDir } from '../../service/paths.js';
import { resolveAtRestKey } from '../../service/at-rest-keys.js';
import { dirname } from 'node:path';
import { Store, StoreError, type OpenOptions } from '../../store/index.js';

const USAGE = `usage: auscult users add --role <${ROLES.join('|')}> [--name "<display name>"] <username> [--db <file>]
       auscult users list [--db <file>] [--json]
       auscult users passwd <username> [--db <file>]
  The password is read from AUSCULT_PASSWORD, else asked for twice without echo.
  First run: create the first administrator with  auscult users add --role admin <username>`;

/** Open the database named by --db (default: the app's), with errors a user can act on. */
/**
 * The store for a CLI command: the data folder is the database's folder; an encrypted one is
 * opened with its key (--key-file, AUSCULT_KEY_FILE or AUSCULT_PASSPHRASE).
 */
export function openStoreForCli(db: string | undefined, opts: OpenOptions & { keyFile?: string } = {}): Store {
  const path = resolveDb(db);
  const { keyFile, ...open } = opts;
  try {
    if (isSiteUrl(path)) return openStoreAt(path, { ...open, dataDir: appDataDir() });
    const key = resolveAtRestKey(dirname(path), { keyFile });
    return Store.open(path, { ...open, key, signing: { dir: signingDir(dirname(path)) } });
  } catch (err) {
    if (err instanceof StoreError || err instanceof ApiError) throw new Error(err.message, { cause: err });
    throw err;
  }
}

/** Read one line from the terminal without echoing it (or from piped stdin). */
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    // Piped input (scripts): the first line.
    const chunks: Buffer[] = [];
    for await (const c of stdin) {
      chunks.push(c as Buffer);
      if (Buffer.concat(chunks).includes(10)) break;
    }
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new Error('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** A new password: AUSCULT_PASSWORD, else prompted twice. */
export async function newPassword(forWhom: string): Promise<string> {
  const env = process.env['AUSCULT_PASSWORD'];
  if (env !== undefined && env !== '') return env;
  const a = await promptHidden(`New password for ${forWhom}: `);
  if (!process.stdin.isTTY) return a;
  const b = await promptHidden('Repeat it: ');
  if (a !== b) throw new Error('The two passwords differ; nothing was changed.');
  return a;
}

export const command: CliCommand = {
  name: 'users',
  summary: 'add, list users and set passwords (first run: add the first admin)',
  async run(argv) {
    const parsed = parseCommandArgs('users', USAGE, argv, {
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (!parsed) return 2;
    const { values, positionals } = parsed;
    const [sub, username] = positionals;
    if (values.help || !sub) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    const store = openStoreForCli(values.db);
    try {
      if (sub === 'list') {
        const users = store.users.list();
        if (values.json) console.log(JSON.stringify(users, null, 2));
        else if (users.length === 0)
          console.log('No users yet. Create the first admin: auscult users add --role admin <username>');
        else
          for (const u of users)
            console.log(
              `${u.username.padEnd(20)} ${u.role.padEnd(14)} ${u.active ? 'active  ' : 'inactive'} ${u.displayName}`,
            );
        return 0;
      }
      if (sub === 'add') {
        if (!username || !values.role) {
          console.error(`auscult users add: give --role and a username.\n${USAGE}`);
          return 2;
        }
        if (store.users.count() === 0 && values.role !== 'admin') {
          console.error('auscult users: the first account must be an admin (it creates the others): use --role admin.');
          return 2;
        }
        const password = await newPassword(username);
        const u = await addUserLocal(store, {
          username,
          displayName: values.name ?? username,
          role: values.role,
          password,
        });
        console.log(`Created ${u.role} '${u.username}' (${u.displayName}).`);
        return 0;
      }
      if (sub === 'passwd') {
        if (!username) {
          console.error(`auscult users passwd: give the username.\n${USAGE}`);
          return 2;
        }
        if (!store.users.byUsername(username)) {
          console.error(`auscult users: no user named '${username}'.`);
          return 1;
        }
        await setPasswordLocal(store, username, await newPassword(username));
        // The new password seals the row as it is: say what was sealed (a role set outside Auscult stays).
        const u = store.users.byUsername(username)!;
        console.log(
          `Password changed for '${u.username}' (role ${u.role}, ${u.active ? 'active' : 'inactive'}); the account is sealed as it is now.`,
        );
        return 0;
      }
      console.error(`auscult users: unknown subcommand '${sub}'.\n${USAGE}`);
      return 2;
    } catch (err) {
      console.error(`auscult users: ${err instanceof ApiError || err instanceof Error ? err.message : String(err)}`);
      return 1;
    } finally {
      store.close();
    }
  },
};

/** The password of the user a CLI command acts as: AUSCULT_PASSWORD, else asked without echo. */
export async function passwordFor(username: string): Promise<string> {
  const env = process.env['AUSCULT_PASSWORD'];
  if (env !== undefined && env !== '') return env;
  return promptHidden(`Password for ${username}: `);
}
