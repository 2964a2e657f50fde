/**
 * The site database's live updates survive a server restart: when the listening connection drops
 * (pg_ctl stop + start), it connects again, LISTENs again and emits one `missed-changes` (what was
 * announced while it was away is lost, so clients reload); after that, new announcements arrive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordingChange } from '../../src/service/api.js';
import { EventBus } from '../../src/service/events.js';
import { listenToSite } from '../../src/service/site-events.js';
import { Store } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { seedPatient, seedRecording, seedUser } from '../store/helpers.js';

let cluster: PgCluster | null = null;
let skipped: string | null = null;

function waitFor(seen: RecordingChange[], match: (c: RecordingChange) => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (seen.some(match)) resolve();
      else if (Date.now() > end) reject(new Error(`no ${what} within 20 s; saw ${JSON.stringify(seen)}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('live updates across a site database restart', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_r', ['ws1']);
  });
  after(() => cluster?.stop());

  it('reconnects after pg_ctl restarts the server, emits missed-changes once, then hears new recordings', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const signing = scratchDir('sign-r-');
    const open = () => Store.openSite(c.url('auscult_owner', 'site_r'), { signing: { dir: signing } });
    let store = open();
    const u = seedUser(store);
    const p = seedPatient(store, 'R-1', 'Ann', 'Rossi', u);
    const bus = new EventBus();
    const seen: RecordingChange[] = [];
    bus.onEvent('recordings.changed', (e) => seen.push(e));
    const lines: string[] = [];
    const stop = await listenToSite(c.url('ws1', 'site_r'), bus, { log: (l) => lines.push(l) });
    try {
      const first = seedRecording(store, p, u);
      await waitFor(seen, (e) => e.kind === 'recording.added' && e.recordingId === first, 'first notice');
      store.close();

      c.pause(); // pg_ctl stop -m fast: every connection is cut; then pg_ctl start
      c.resume();
      await waitFor(seen, (e) => e.kind === 'missed-changes', 'missed-changes after the restart');
      assert.equal(seen.filter((e) => e.kind === 'missed-changes').length, 1, 'one reload asked for, not one per try');
      assert.ok(
        lines.some((l) => /lost the site database's live updates/.test(l)) && lines.some((l) => /are back/.test(l)),
        lines.join('\n'),
      );

      store = open();
      const second = seedRecording(store, p, u);
      await waitFor(seen, (e) => e.kind === 'recording.added' && e.recordingId === second, 'a notice after it');
    } finally {
      await stop();
      store.close();
    }
  });
});
