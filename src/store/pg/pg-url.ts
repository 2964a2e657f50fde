/**
 * A site database's address: `postgresql://role@host:port/db?sslmode=verify-full` (or from
 * AUSCULT_DB_URL). The password never travels in it: libpq reads PGPASSWORD or the password file
 * (~/.pgpass, PGPASSFILE). Every connection is bounded: `connect_timeout` (default 5 s) and
 * `statement_timeout` (default 15 s) unless the URL sets them, since a call blocks the service.
 */
import { StoreError } from '../errors.js';
import type { PgConnectionInfo } from './pg-database.js';

export function isSiteUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

export function parseSiteUrl(url: string, opts: { statementTimeoutMs?: number } = {}): PgConnectionInfo {
  if (!isSiteUrl(url))
    throw new StoreError(
      'UNREADABLE',
      `'${url}' is not a PostgreSQL address; write it as postgresql://ROLE@HOST:PORT/DATABASE. Nothing was changed.`,
    );
  const authority = /^postgres(?:ql)?:\/\/([^/?#]*)/i.exec(url)![1]!;
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? '' : authority.slice(0, at);
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const params = new URLSearchParams(query);
  if (userinfo.includes(':') || params.has('password'))
    throw new StoreError(
      'UNREADABLE',
      'The database address contains a password, which would show in the process list and the shell history. ' +
        'Remove it from the address and put it in PGPASSWORD, or in ~/.pgpass (or the file PGPASSFILE names, mode 0600) as host:port:database:role:password. Nothing was changed.',
    );
  const extra: string[] = [];
  if (!params.has('connect_timeout')) extra.push('connect_timeout=5');
  if (!params.has('application_name')) extra.push('application_name=auscult');
  const timeout = Math.max(1, Math.floor(opts.statementTimeoutMs ?? 15_000));
  if (!params.has('options')) extra.push(`options=${encodeURIComponent(`-c statement_timeout=${timeout}`)}`);
  const conninfo = extra.length ? `${url}${query ? '&' : '?'}${extra.join('&')}` : url;
  return { conninfo, display: url };
}
