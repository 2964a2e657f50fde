/**
 * Child process for the SIGKILL test: imports WAV files one after another through the real
 * intake (copy, hash, transaction) and prints "committed <id> <sha256>" after each commit.
 * The parent kills it mid-run.
 */
import { join } from 'node:path';
import { intakeRecording } from '../../src/service/recording-intake.js';
import { Workstation } from '../../src/service/workstation.js';

const [dir, wav, countArg] = process.argv.slice(2) as [string, string, string];
const ws = await Workstation.open({ dbPath: join(dir, 'auscult.sqlite'), dataDir: dir, engine: null });
const ctx = { sessionToken: ws.signInLocal('nurse'), transport: 'cli' as const };
const call = ws.userCall(ctx);
const patientId = ws.internals.store.patients.byMrn('KILL')!.id;
for (let i = 0; i < Number(countArg); i++) {
  const { detail } = await intakeRecording(ws.internals, call, {
    patientId,
    site: 'trachea',
    sourcePath: wav,
    move: false,
    deviceName: 'test',
    status: 'imported',
  });
  process.stdout.write(`committed ${detail.recording.id} ${detail.recording.wavSha256}\n`);
}
await ws.close();
