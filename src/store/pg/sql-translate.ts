/**
 * The repositories' SQL (SQLite dialect, better-sqlite3 parameters) as PostgreSQL runs it:
 * `?` and `@name` become `$n` outside quoted text, and the arguments are put in that order.
 * Only the dialect the repositories write is covered; anything else is PostgreSQL's to refuse.
 */

export interface TranslatedSql {
  text: string;
  /** How to build the positional arguments: an index into the positional args, or a name. */
  slots: (number | string)[];
}

export function translateSql(source: string): TranslatedSql {
  let out = '';
  const slots: (number | string)[] = [];
  const named = new Map<string, number>();
  let positional = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "'" || c === '"') {
      // copy a quoted literal or identifier as it is ('' and "" escape inside)
      let j = i + 1;
      while (j < source.length) {
        if (source[j] === c) {
          if (source[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += source.slice(i, j + 1);
      i = j;
    } else if (c === '-' && source[i + 1] === '-') {
      const end = source.indexOf('\n', i);
      const j = end === -1 ? source.length : end;
      out += source.slice(i, j);
      i = j - 1;
    } else if (c === '?') {
      slots.push(positional++);
      out += `$${slots.length}`;
    } else if (c === '@' && /[A-Za-z_]/.test(source[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i + 1))!;
      const name = m[0];
      let n = named.get(name);
      if (n === undefined) {
        slots.push(name);
        n = slots.length;
        named.set(name, n);
      }
      out += `$${n}`;
      i += name.length;
    } else out += c;
  }
  return { text: out, slots };
}

/** A value as libpq's text format takes it. */
export function toPgText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    // libpq takes C strings: a NUL would silently cut the value short (PostgreSQL text cannot hold one)
    if (v.includes('\u0000')) throw new RangeError('a text containing a NUL character cannot be sent to PostgreSQL');
    return v;
  }
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
  throw new TypeError(`a ${typeof v} cannot be bound as an SQL parameter`);
}

/** better-sqlite3's calling convention: positional values, or one object of named values. */
export function bindArgs(t: TranslatedSql, params: unknown[]): (string | null)[] {
  const first = params[0];
  const byName =
    params.length === 1 && first !== null && typeof first === 'object' && !Buffer.isBuffer(first)
      ? (first as Record<string, unknown>)
      : null;
  return t.slots.map((slot) => {
    if (typeof slot === 'number') return toPgText(params[slot]);
    if (!byName || !(slot in byName)) throw new RangeError(`missing named parameter '${slot}'`);
    return toPgText(byName[slot]);
  });
}
