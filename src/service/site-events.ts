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

/** Start listening; resolves once LISTEN is in place. The function it gives stops it. */
export async function listenToSite(url: string, events: EventBus): Promise<() => Promise<void>> {
  parseSiteUrl(url); // the same refusals (a password in the address) as the store's connection
  const client = new pg.Client({ connectionString: url, application_name: 'auscult-listen' });
  let closing = false;
  client.on('error', (err) => {
    if (!closing) console.error(`auscult: lost the site database's live updates: ${err.message}`);
  });
  client.on('notification', (msg) => {
    if (msg.channel !== 'auscult') return;
    const n = parseNotice(msg.payload);
    if (n) events.emit('recordings.changed', n);
  });
  await client.connect();
  await client.query('LISTEN auscult');
  return async () => {
    closing = true;
    await client.end().catch(() => undefined);
  };
}
