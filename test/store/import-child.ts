/**
 * Child process for the four-writers test: one writer (`db` a SQLite file or a site URL) with the
 * given signing folder importing `count` recordings, each in its own transaction with its audit
 * entry (as the service's intake does), with a pause between them where the intake would analyse the
 * next take (a tight loop would let SQLite's lock holder take the lock straight back every time). Prints "ready" once open, starts on "go" from stdin (so
 * the four write at the same time, however long each took to start), and "done <n>" at the end.
 */
import { Store } from '../../src/store/index.js';

const [db, signingDir, countArg, name] = process.argv.slice(2);
const store = db!.startsWith('postgresql://')
  ? Store.openSite(db!, { signing: { dir: signingDir! }, workstation: name! })
  : Store.open(db!, { signing: { dir: signingDir! } });
const user = store.users.byUsername('nina')!.id;
const patient = store.patients.byMrn('P')!.id;
const count = Number(countArg);
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.destroy();
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
  await new Promise((resolve) => setTimeout(resolve, 2));
}
store.close();
process.stdout.write(`done ${count}\n`);
