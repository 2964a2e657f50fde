/**
 * The one-archive backup at size: a history of BENCH_BACKUP_MB (default 1024) MiB of recordings
 * (16 MiB WAVs), plain and encrypted at rest, backed up with `writeBackupArchive` and restored with
 * `restoreBackupArchive`, each in a child process of its own so its peak RSS is the operation's:
 * streaming means the peak stays near the process's base, whatever the history's size.
 *   npm run bench -- backup      (BENCH_BACKUP_MB=256 for a quick look)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav16 } from '../src/audio/wav-write.js';
import { initEncryption, readKeyFile } from '../src/service/at-rest-keys.js';
import { Workstation } from '../src/service/workstation.js';
import { Store, hashPassword, restoreBackupArchive, writeBackupArchive } from '../src/store/index.js';

export const title = 'one-archive backup and restore: time and peak memory, plain beside encrypted';

const FILE_MIB = 16;

interface ChildResult {
  ms: number;
  maxRssMiB: number;
  baseRssMiB: number;
  bytes: number;
}

async function makeHistory(dir: string, keyFile: string | null, mib: number): Promise<void> {
  const dbPath = join(dir, 'auscult.sqlite');
  if (keyFile) initEncryption(dir, dbPath, { keyFile, create: true });
  const ws = await Workstation.open({ dbPath, dataDir: dir, engine: null, ...(keyFile ? { keyFile } : {}) });
  try {
    const store = ws.internals.store;
    const passwordHash = await hashPassword('bench password 1');
    store.tx(() => store.users.create({ username: 'nurse', displayName: 'N', role: 'nurse', passwordHash }));
    const ctx = { sessionToken: ws.signInLocal('nurse', 'ipc'), transport: 'ipc' as const };
    const p = await ws.call(ctx, 'patients.create', { mrn: 'B-1', givenName: 'Bench', familyName: 'Backup' });
    const samples = new Float32Array((FILE_MIB * 1024 * 1024 - 44) / 2);
    for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin(i / 7) + 0.01 * Math.sin(i * 1.37);
    const wavBase64 = Buffer.from(encodeWav16(samples, 48000)).toString('base64');
    for (let n = 0; n < mib / FILE_MIB; n++)
      await ws.call(ctx, 'recordings.import', { patientId: p.id, site: 'trachea', fileName: 'b.wav', wavBase64 });
  } finally {
    await ws.close();
  }
}

function child(args: string[]): ChildResult {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', ...args], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    throw new Error(`child failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

export async function run(): Promise<void> {
  const mib = Number(process.env['BENCH_BACKUP_MB'] ?? 1024);
  const rows: string[] = [];
  for (const mode of ['plain', 'encrypted'] as const) {
    const root = mkdtempSync(join(tmpdir(), `auscult-bench-backup-${mode}-`));
    try {
      const dataDir = join(root, 'data');
      const keyFile = mode === 'encrypted' ? join(root, 'auscult.key') : null;
      mkdirSync(dataDir, { mode: 0o700 });
      await makeHistory(dataDir, keyFile, mib);
      const archive = join(root, 'history.zip');
      const b = child(['backup', dataDir, archive, keyFile ?? '']);
      const r = child(['restore', archive, join(root, 'restored')]);
      const gib = b.bytes / 2 ** 20;
      rows.push(
        `   ${mode.padEnd(9)}  ${gib.toFixed(0)} MiB archive: backup ${(b.ms / 1000).toFixed(1)} s (${(gib / (b.ms / 1000)).toFixed(0)} MiB/s), peak RSS ${b.maxRssMiB.toFixed(0)} MiB (base ${b.baseRssMiB.toFixed(0)}); ` +
          `restore (verify pass + copy pass) ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.maxRssMiB.toFixed(0)} MiB (base ${r.baseRssMiB.toFixed(0)})`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  console.log(`   a history of ${mib} MiB in ${FILE_MIB} MiB recordings:`);
  for (const row of rows) console.log(row);
}

async function childMain(op: string, a: string, b: string, keyFile: string): Promise<void> {
  const baseRss = process.memoryUsage().rss;
  const t0 = performance.now();
  let bytes: number;
  if (op === 'backup') {
    const key = keyFile ? readKeyFile(keyFile) : null;
    const store = Store.open(join(a, 'auscult.sqlite'), { key });
    try {
      bytes = (
        await writeBackupArchive({
          store,
          key,
          recordingsDir: join(a, 'recordings'),
          encryptionFile: key ? join(a, 'encryption.json') : null,
          destination: b,
        })
      ).bytes;
    } finally {
      store.close();
    }
  } else {
    await restoreBackupArchive(a, b);
    bytes = statSync(a).size;
  }
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({
      ms,
      bytes,
      maxRssMiB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
      baseRssMiB: baseRss / 2 ** 20,
    }),
  );
}

if (process.argv[2] === '--child')
  await childMain(process.argv[3] ?? '', process.argv[4] ?? '', process.argv[5] ?? '', process.argv[6] ?? '');
