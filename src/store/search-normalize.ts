/**
 * Search keys: case- and accent-insensitive ("Müller" is found by "mul"), so prefix search can use
 * a plain BINARY index with a range scan instead of LIKE (which cannot use one with NOCASE data).
 */
/** Latin letters that do not decompose under NFKD but are typed without their stroke. */
const FOLD: Record<string, string> = {
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  ł: 'l',
  đ: 'd',
  þ: 'th',
  ð: 'd',
  ı: 'i',
  ħ: 'h',
};

export function normalizeForSearch(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[øæœßłđþðıħ]/g, (c) => FOLD[c] ?? c)
    .replace(/\s+/g, ' ')
    .trim();
}

/** The exclusive upper bound of every string starting with `prefix` (for `col >= p AND col < end`). */
export function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}
