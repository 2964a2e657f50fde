/**
 * What a typed name or text may contain. Names are shown to clinicians, printed on reports and
 * exported, so characters that change how the text LOOKS without being visible are refused, never
 * silently removed (a silent edit would make the stored name differ from what was typed):
 *
 * - lone UTF-16 surrogates (not text at all; SQLite would store them as U+FFFD, altering the name);
 * - C0 and C1 control characters and DEL (tab and newline only where a field is multi-line);
 * - bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they can
 *   make "Smith" display as another name ("Trojan Source"); the implicit marks LRM/RLM/ALM stay,
 *   as right-to-left names need them;
 * - zero-width and invisible characters (U+200B, U+2060–U+2064, U+FEFF, U+180E, U+00AD soft hyphen),
 *   and ZWNJ/ZWJ (U+200C/U+200D) except between two letters, where Persian and Indic spellings
 *   need them.
 *
 * Everything accepted is then stored in Unicode NFC, so the same name typed on two keyboards is
 * one name to search and compare.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `s` is refused (a sentence fragment naming the first offending character), or null. */
export function unsafeTextReason(s: string, opts: { multiline?: boolean } = {}): string | null {
  if (LONE_SURROGATE.test(s)) return 'contains a broken character (a lone UTF-16 surrogate); type it again';
  const chars = Array.from(s); // code points, not UTF-16 units
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const cp = ch.codePointAt(0)!;
    const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
      if (opts.multiline && (cp === 0x0a || cp === 0x0d || cp === 0x09)) continue;
      return `must not contain control characters (found ${hex})`;
    }
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
      return `must not contain a text-direction override (found ${hex}); type it without one`;
    }
    if (cp === 0x200c || cp === 0x200d) {
      const letter = /[\p{L}\p{M}]/u;
      if (letter.test(chars[i - 1] ?? '') && letter.test(chars[i + 1] ?? '')) continue;
      return `must not contain an invisible joiner outside a word (found ${hex})`;
    }
    if (cp === 0x200b || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xfeff || cp === 0x180e || cp === 0x00ad) {
      return `must not contain invisible characters (found ${hex})`;
    }
  }
  return null;
}
