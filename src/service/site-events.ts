/**
 * Live across workstations: one listening connection per workstation on the site database (the
 * async `pg` client; the store's own connection is synchronous and cannot wait for notifications).
 * The database announces every recording added or signed, on any workstation, on channel
 * 'auscult' (a trigger, PG schema 1); each becomes `recordings.changed` on this workstation's
 * event bus, which clients answer by refreshing the review queue and the patient's page.
 */
import pg from 'pg';
import { parseSiteUrl } from '../store/index.js';
import type { EventBus } from './events.js';

interface Notice {
  kind: 'recording.added' | 'recording.signed';
  recordingId: number;
  patientId: number;
}

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

/**
 * Start listening; resolves once LISTEN is in place. The function it gives stops it. When the
 * connection is lost (the server restarted, the network went), it is re-made with a growing pause
 * (0.5 s doubling to 10 s); `onReconnect` runs once LISTEN is back: the site is reachable again, so
 * the outbox can go.
 */
export async function listenToSite(
  url: string,
  events: EventBus,
  opts: { onReconnect?: () => void; retryMs?: { first: number; max: number } } = {},
): Promise<() => Promise<void>> {
  parseSiteUrl(url); // the same refusals (a password in the address) as the store's connection
  const retry = opts.retryMs ?? { first: 500, max: 10_000 };
  let closing = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    // bounded: a server that is starting or stopping may accept and never answer
    const c = new pg.Client({
      connectionString: url,
      application_name: 'auscult-listen',
      connectionTimeoutMillis: 5000,
    });
    client = c;
    let live = false; // a failure while connecting is the caller's to retry, not this handler's
    let lost = false;
    const onLost = (err?: Error) => {
      if (!live || lost || closing) return;
      lost = true;
      console.error(`auscult: lost the site database's live updates${err ? `: ${err.message}` : ''}; reconnecting.`);
      void c.end().catch(() => undefined);
      schedule(retry.first);
    };
    c.on('error', onLost);
    c.on('end', () => onLost());
    c.on('notification', (msg) => {
      if (msg.channel !== 'auscult') return;
      const n = parseNotice(msg.payload);
      if (n) events.emit('recordings.changed', n);
    });
    try {
      await c.connect();
      await c.query('LISTEN auscult');
      live = true;
    } catch (err) {
      void c.end().catch(() => undefined);
      throw err;
    }
  };

  const schedule = (wait: number) => {
    if (closing) return;
    timer = setTimeout(() => {
      timer = null;
      connect().then(
        () => {
          if (closing) return;
          console.error("auscult: the site database's live updates are back.");
          opts.onReconnect?.();
        },
        () => schedule(Math.min(wait * 2, retry.max)),
      );
    }, wait);
    timer.unref();
  };

  await connect();
  return async () => {
    closing = true;
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => undefined);
  };
}
