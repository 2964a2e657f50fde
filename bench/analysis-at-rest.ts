/**
 * Analysis of stored recordings with encryption at rest off (the baseline) and on, side by side
 * in one run (issue 16; goal ≤ 15 % slower): through the real service and the real engine,
 * `recordings.import` (decode, analyse, write the stored file — sealed when encrypted — and
 * commit), `recordings.reanalyze` (read the stored file back, open it, check its SHA-256,
 * analyse) and `recordings.audio` (read back only), for 30 s and 300 s at 44.1 kHz. Paired runs:
 * the two folders alternate, sharing one loaded engine; medians.
 *   npm run bench -- analysis-at-rest     (also run by `npm run bench -- analysis`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeWav16 } from '../src/audio/wav-write.js';
import type { AtRestKey } from '../src/common/at-rest.js';
import { AnalysisEngine } from '../src/inference/engine.js';
import { yamnetStatus } from '../src/inference/models.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir } from '../src/inference/paths.js';
import { initEncryption } from '../src/service/at-rest-keys.js';
import { Workstation } from '../src/service/workstation.js';
import { hashPassword } from '../src/store/index.js';
import { breathLike } from './_signals.js';

export const title = 'analysis of stored recordings, encryption at rest off beside on (import, reanalyze, audio)';

const RATE = 44100;
const RUNS = 5;
const AUDIO_RUNS = 31;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

interface Side {
  mode: 'plain' | 'encrypted';
  dir: string;
  ws: Workstation;
  nurse: { sessionToken: string; transport: 'ipc' };
  pulm: { sessionToken: string; transport: 'ipc' };
  patientId: number;
}

async function openSide(mode: Side['mode'], engine: AnalysisEngine, passwordHash: string): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), `auscult-bench-rest-${mode}-`));
  const dbPath = join(dir, 'auscult.sqlite');
  let atRest: AtRestKey | null = null;
  if (mode === 'encrypted') {
    const keyDir = mkdtempSync(join(tmpdir(), 'auscult-bench-key-'));
    atRest = initEncryption(dir, dbPath, { keyFile: join(keyDir, 'k'), create: true }).key;
    rmSync(keyDir, { recursive: true, force: true });
  }
  const ws = await Workstation.open({ dbPath, dataDir: dir, engine, atRest });
  const store = ws.internals.store;
  store.tx(() => {
    store.users.create({ username: 'nurse', displayName: 'N', role: 'nurse', passwordHash });
    store.users.create({ username: 'pulm', displayName: 'P', role: 'pulmonologist', passwordHash });
  });
  const nurse = { sessionToken: ws.signInLocal('nurse', 'ipc'), transport: 'ipc' as const };
  const pulm = { sessionToken: ws.signInLocal('pulm', 'ipc'), transport: 'ipc' as const };
  const p = await ws.call(nurse, 'patients.create', { mrn: 'BENCH-1', givenName: 'Bench', familyName: 'Patient' });
  return { mode, dir, ws, nurse, pulm, patientId: p.id };
}

export async function run(): Promise<void> {
  const status = yamnetStatus();
  if (!status.ok) {
    console.log(
      `   skipped: YAMNet not prepared (${status.reason}); run \`npx auscult models --source ../shared/models\``,
    );
    return;
  }
  const engine = await AnalysisEngine.load({ headCard: join(defaultModelsDir(), DEFAULT_HEAD_CARD) });
  const passwordHash = await hashPassword('bench password 1');
  const sides = [await openSide('plain', engine, passwordHash), await openSide('encrypted', engine, passwordHash)];
  try {
    const rows: { name: string; plain: number; encrypted: number }[] = [];
    for (const seconds of [30, 300]) {
      const wavBase64 = Buffer.from(
        encodeWav16(breathLike(seconds, RATE, { seed: 123456789, hum: false }), RATE),
      ).toString('base64');
      const t: Record<string, Record<Side['mode'], number[]>> = {
        import: { plain: [], encrypted: [] },
        reanalyze: { plain: [], encrypted: [] },
        audio: { plain: [], encrypted: [] },
      };
      const last: Record<Side['mode'], number> = { plain: 0, encrypted: 0 };
      // One warm-up each (first-call costs), then RUNS paired runs in alternating order.
      for (let i = 0; i <= RUNS; i++) {
        for (const s of i % 2 ? [...sides].reverse() : sides) {
          let t0 = performance.now();
          const d = await s.ws.call(s.nurse, 'recordings.import', {
            patientId: s.patientId,
            site: 'trachea',
            fileName: 'bench.wav',
            wavBase64,
          });
          const importMs = performance.now() - t0;
          t0 = performance.now();
          await s.ws.call(s.pulm, 'recordings.reanalyze', { id: d.recording.id });
          const reanalyzeMs = performance.now() - t0;
          last[s.mode] = d.recording.id;
          if (i === 0) continue;
          t['import']![s.mode].push(importMs);
          t['reanalyze']![s.mode].push(reanalyzeMs);
        }
      }
      // Reading back is short and noisy on a shared machine: more paired runs.
      for (let i = 0; i <= AUDIO_RUNS; i++) {
        for (const s of i % 2 ? [...sides].reverse() : sides) {
          const t0 = performance.now();
          await s.ws.call(s.nurse, 'recordings.audio', { id: last[s.mode] });
          if (i > 0) t['audio']![s.mode].push(performance.now() - t0);
        }
      }
      for (const [what, xs] of Object.entries(t))
        rows.push({
          name: `${seconds} s at 44.1 kHz: ${what}`,
          plain: median(xs.plain),
          encrypted: median(xs.encrypted),
        });
    }
    const w = Math.max(...rows.map((r) => r.name.length));
    console.log(
      `   medians of ${RUNS} paired runs (audio: ${AUDIO_RUNS}; real engine, one loaded instance for both folders):`,
    );
    console.log(`   ${'figure'.padEnd(w)}  ${'plain'.padStart(10)}  ${'encrypted'.padStart(10)}  slower`);
    for (const r of rows) {
      const pct = (r.encrypted / r.plain - 1) * 100;
      console.log(
        `   ${r.name.padEnd(w)}  ${`${r.plain.toFixed(1)} ms`.padStart(10)}  ${`${r.encrypted.toFixed(1)} ms`.padStart(10)}  ${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %${pct > 15 ? '  (over the 15 % goal)' : ''}`,
      );
    }
    console.log(
      '   (encrypted: recordings sealed with AES-256-GCM per chunk, database pages AEGIS-256; audio = read, open, SHA-256 check, base64)',
    );
  } finally {
    for (const s of sides) {
      await s.ws.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
    await engine.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
