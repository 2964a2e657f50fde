/**
 * The one limit on an imported recording, enforced with the same sentence by the UI (before it
 * reads the file), the service's schema (the base64 text), the loopback wire (its message cap
 * fits exactly one such upload) and the CLI (before it reads the body).
 *
 * 64 MiB of WAV is 11.6 min of 48 kHz 16-bit mono: a 9-minute 48 kHz recording (52 MB) imports,
 * a 300 MB file is refused. Longer auscultations are not a use case, and one upload travels as
 * one message.
 */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
/** The base64 text of MAX_IMPORT_BYTES. */
export const MAX_IMPORT_BASE64_CHARS = Math.ceil(MAX_IMPORT_BYTES / 3) * 4;

/** The sentence every door uses for a file over the limit. */
export function importTooLargeMessage(bytes: number): string {
  const mb = (n: number): string => `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)} MB`;
  return (
    `The file is ${mb(bytes)}; Auscult imports recordings of up to ${mb(MAX_IMPORT_BYTES)} ` +
    '(about 11 minutes at 48 kHz, 16-bit mono). Split it, e.g. `sox input.wav part.wav trim 0 600 : newfile : restart`, ' +
    'or convert it to mono 16-bit, e.g. `sox input.wav -c 1 -b 16 output.wav`.'
  );
}
