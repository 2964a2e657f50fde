/**
 * Child process for the site concurrency test: one "workstation" with its own signing folder
 * importing `count` recordings into the site database, each in its own transaction with its
 * audit entry (as the service's intake does). Prints "done <n>" at the end.
 */
import { Store } from '../../src/store/index.js';

const [url, signingDir, countArg, name] = process.argv.slice(2);
const store = Store.openSite(url!, { signing: { dir: signingDir! }, workstation: name! });
const user = store.users.byUsername('nina')!.id;
const patient = store.patients.byMrn('P')!.id;
const count = Number(countArg);
for (let i = 0; i < count; i++) {
  store.tx(() => {
    const id = store.recordings.insert({
      patientId: patient,
      site: 'trachea',
      deviceName: name!,
      sampleRate: 4000,
      durationSec: 3,
      fileName: `${name}-${i}.wav`,
      wavSha256: 'c'.repeat(64),
      status: 'imported',
      recordedBy: user,
      recordedAt: new Date().toISOString(),
    });
    store.audit.append({
      username: 'nina',
      action: 'recording.create',
      objectType: 'recording',
      objectId: id,
      transport: 'cli',
      details: { sha256: 'c'.repeat(64), workstation: name },
    });
  });
}
store.close();
process.stdout.write(`done ${count}\n`);
