/**
 * Child process for the concurrency test: writes batches of recordings, each with its analysis,
 * one transaction per batch, until killed or `batches` are done. Prints "batch <n>" after commits.
 * `db` is a SQLite file or a site URL (then `signing` is the child's own signing folder).
 */
import { Store } from '../../src/store/index.js';
import { sampleAnalysis } from './helpers.js';

const [db, batchesArg, signing] = process.argv.slice(2);
const store = db!.startsWith('postgresql://') ? Store.openSite(db!, { signing: { dir: signing! } }) : Store.open(db!);
const user = store.users.byUsername('nina')!.id;
const patient = store.patients.byMrn('P')!.id;
const batches = Number(batchesArg ?? 50);
for (let b = 1; b <= batches; b++) {
  store.tx(() => {
    for (let i = 0; i < 200; i++) {
      const id = store.recordings.insert({
        patientId: patient,
        site: 'trachea',
        deviceName: 'd',
        sampleRate: 4000,
        durationSec: 3,
        fileName: `b${b}-${i}.wav`,
        wavSha256: 'c'.repeat(64),
        status: 'recorded',
        recordedBy: user,
        recordedAt: new Date().toISOString(),
      });
      store.recordings.addAnalysis(id, sampleAnalysis());
    }
  });
  process.stdout.write(`batch ${b}\n`);
}
store.close();
