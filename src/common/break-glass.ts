/**
 * Break the glass (src/service/access.ts): how long a nurse's grant to one patient's other
 * recordings lasts, and how long her reason must be at least. The service enforces both; the UI
 * states them in the dialog.
 */
/** One shift. */
export const BREAK_GLASS_HOURS = 8;
export const BREAK_GLASS_MS = BREAK_GLASS_HOURS * 60 * 60_000;
/** A sentence, not "x": the reason is what an auditor reads the entry for. */
export const BREAK_GLASS_MIN_REASON = 10;
