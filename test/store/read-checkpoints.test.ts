/**
 * The checkpoint rule for reads' audit entries (Store.readTx): each is signed as it is inserted,
 * its checkpoint may wait (up to 64 read commits or 1 s), and the next change, an export's
 * `latestCheckpoint()` and close write it; a change's checkpoint is never deferred.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../support/paths.js';
import { ENGINES, openTestStore, reopenTestStore, stopTestClusters } from './helpers.js';

after(stopTestClusters);

function lines(log: string): { seq: number }[] {
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { seq: number });
}

for (const engine of ENGINES)
  test(`[${engine}] reads' checkpoints wait for the next change, an export or close; every read entry is signed`, async (t) => {
    const signing = join(scratchDir('auscult-readcp-'), 'signing');
    const store = await openTestStore(engine, t, { signing });
    if (!store) return;
    // The clock stands still (the 1 s rule must not depend on how fast this machine is right now).
    t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: Date.parse('2026-12-01T09:00:00Z') });
    const log = join(signing, `checkpoints-${store.dbId}.jsonl`);
    const read = () =>
      store.readTx(() => store.audit.append({ username: 'nina', action: 'patient.search', transport: 'ipc' }));
    const change = () =>
      store.tx(() => store.audit.append({ username: 'nina', action: 'patient.update', transport: 'ipc' }));
    change();
    assert.deepEqual(
      lines(log).map((c) => c.seq),
      [1],
    );
    read();
    read();
    read();
    assert.deepEqual(
      lines(log).map((c) => c.seq),
      [1],
      'reads wait',
    );
    change();
    assert.deepEqual(
      lines(log).map((c) => c.seq),
      [1, 5],
      'a change is checkpointed at once, covering the reads',
    );
    for (let i = 0; i < 64; i++) read();
    assert.equal(lines(log).at(-1)!.seq, 69, 'the 64th waiting read writes it');
    read();
    assert.equal(store.signing!.latestCheckpoint()!.seq, 70, 'an export gets the head as of now');
    assert.equal(lines(log).at(-1)!.seq, 70);
    read();
    store.close();
    assert.equal(lines(log).at(-1)!.seq, 71, 'close writes the last');

    const check = reopenTestStore(store, { readonly: true, signing });
    const r = check.verifyAudit();
    const unsigned = check.db.prepare('SELECT count(*) FROM audit_log WHERE sig IS NULL').pluck().get();
    check.close();
    assert.equal(r.ok, true, r.reason ?? '');
    assert.equal(r.signed, 71);
    assert.equal(unsigned, 0);
    assert.equal(r.checkpoint?.seq, 71);
  });
