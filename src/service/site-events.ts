/**
 * Live across workstations: one listening connection per workstation on the site database (the
 * async `pg` client; the store's own connection is synchronous and cannot wait for notifications).
 * The database announces every recording added or signed, on any workstation, on channel
 * 'auscult' (a trigger, PG schema 1); each becomes `recordings.changed` on this workstation's
 * event bus, which clients answer by refreshing the review queue and the patient's page.
 *
 * A notification is not queued for a listener that is not connected: when the connection drops
 * (the server restarts, the network goes), what was announced meanwhile is lost. So the listener
 * connects again (backing off up to 5 s, for as long as the workstation runs), LISTENs again, and
 * then emits `{ kind: 'missed-changes' }`, on which every client reloads what it shows.
 */
import pg from 'pg';
import { parseSiteUrl } from '../store/index.js';
import type { RecordingChange } from './api.js';
import type { EventBus } from './events.js';

type Notice = Extract<RecordingChange, { kind: 'recording.added' | 'recording.signed' }>;

function parseNotice(payload: string | undefined): Notice | null {
  try {
    const v = JSON.parse(payload ?? '') as Partial<Notice>;
    if ((v.kind === 'recording.added' || v.kind === 'recording.signed') && Number.isInteger(v.recordingId))
      return { kind: v.kind, recordingId: v.recordingId!, patientId: Number(v.patientId) };
  } catch {
    // not ours: ignored
  }
  return null;
}

/** Waits between attempts to connect again: quick at first (a restart takes a second or two), then every 5 s. */
const RETRY_MS = [250, 500, 1000, 2000, 5000];

export interface SiteListenOptions {
  /** Where to say that live updates were lost or are back (default: stderr). */
  log?: (line: string) => void;
  /** Runs once LISTEN is back after a loss: the site is reachable again, so the outbox can go. */
  onReconnect?: () => void;
}

/**
 * Start listening; resolves once LISTEN is in place (the first connection must succeed: the
 * workstation refuses to start without it). The function it gives stops it, reconnection included.
 */
export async function listenToSite(
  url: string,
  events: EventBus,
  opts: SiteListenOptions = {},
): Promise<() => Promise<void>> {
  parseSiteUrl(url); // the same refusals (a password in the address) as the store's connection
  const log = opts.log ?? ((line: string) => console.error(line));
  let closing = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let attempt = 0;

  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      connectionString: url,
      application_name: 'auscult-listen',
      // bounded: a server that is starting or stopping may accept and never answer
      connectionTimeoutMillis: 5000,
    });
    let lost = false;
    const onLost = (why: string): void => {
      if (lost || closing) return;
      lost = true;
      if (client === c) client = null;
      log(`auscult: lost the site database's live updates (${why}); connecting again`);
      c.end().catch(() => undefined);
      schedule();
    };
    c.on('error', (err) => onLost(err.message));
    c.on('end', () => onLost('the connection closed'));
    c.on('notification', (msg) => {
      if (msg.channel !== 'auscult') return;
      const n = parseNotice(msg.payload);
      if (n) events.emit('recordings.changed', n);
    });
    try {
      await c.connect();
      await c.query('LISTEN auscult');
    } catch (err) {
      lost = true; // a failed attempt: the caller decides what comes next
      await c.end().catch(() => undefined);
      throw err;
    }
    return c;
  };

  const schedule = (): void => {
    if (closing || retry) return;
    const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
    attempt++;
    retry = setTimeout(() => {
      retry = null;
      connect().then(
        (c) => {
          if (closing) {
            void c.end().catch(() => undefined);
            return;
          }
          client = c;
          attempt = 0;
          log("auscult: the site database's live updates are back");
          // Whatever was announced while we were away is lost: every client reloads.
          events.emit('recordings.changed', { kind: 'missed-changes' });
          opts.onReconnect?.();
        },
        () => schedule(),
      );
    }, wait);
  };

  client = await connect();
  return async () => {
    closing = true;
    if (retry) clearTimeout(retry);
    retry = null;
    const c = client;
    client = null;
    await c?.end().catch(() => undefined);
  };
}
