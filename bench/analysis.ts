/**
 * Whole-file analysis speed and memory (issue 2, "How well"): a 30 s 44.1 kHz recording through
 * decode → resample → front end → YAMNet → head; per-patch YAMNet latency over 200 patches;
 * peak RSS; and RSS growth while analysing a 10-minute recording (in a child process, so the
 * figure is not mixed with the rest).
 * Goals on 2 cores: ≥ 500× real time, ≤ 2 ms median per patch (network), ≤ 0.5 ms per patch (front end).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { AnalysisEngine } from '../src/inference/engine.js';
import { readAudioFile, patchSource16k, resampleTo16k } from '../src/inference/front-end.js';
import { DEFAULT_HEAD_CARD, defaultModelsDir } from '../src/inference/paths.js';
import { YamnetSession, PATCH_SIZE } from '../src/inference/yamnet-session.js';
import { yamnetStatus } from '../src/inference/models.js';
import { makeHead } from '../test/support/make-head.js';

export const title = 'analysis engine: 30 s recording, per-patch YAMNet latency, 10-minute memory';

const RATE = 44100;

/** A breath-like test signal: noise shaped by a 0.25 Hz breathing envelope, plus a faint 150 Hz hum. */
function breathLike(seconds: number, rate: number): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  let s = 987654321;
  let lp = 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const white = ((s >>> 0) / 4294967296) * 2 - 1;
    lp += 0.2 * (white - lp); // one-pole low-pass: most energy below ~1.5 kHz, like lung sounds
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * 0.25 * i) / rate);
    out[i] = 0.3 * env * lp + 0.02 * Math.sin((2 * Math.PI * 150 * i) / rate);
  }
  return out;
}

function writeWav(path: string, samples: Float32Array, rate: number): void {
  const wav = new wavefile.WaveFile();
  const pcm = Int16Array.from(samples, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
  wav.fromScratch(1, rate, '16', pcm);
  writeFileSync(path, wav.toBuffer());
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const pctl = (a: number[], p: number) =>
  [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))]!;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

function headCard(dir: string): { path: string; note: string } {
  const real = join(defaultModelsDir(), DEFAULT_HEAD_CARD);
  if (existsSync(real)) return { path: real, note: 'models/head.card.json' };
  return {
    path: makeHead(dir, { name: 'bench-head' }).cardPath,
    note: 'synthetic head (models/head.card.json not present; same architecture)',
  };
}

export async function run(): Promise<void> {
  const status = yamnetStatus();
  if (!status.ok && !process.env['AUSCULT_MODEL_SOURCE'] && !process.env['AUSCULT_MODEL_URL']) {
    console.log(
      `   skipped: YAMNet not prepared (${status.reason}); run \`npx auscult models --source ../shared/models\``,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-'));
  try {
    const head = headCard(dir);
    const wavPath = join(dir, 'breath-30s.wav');
    writeWav(wavPath, breathLike(30, RATE), RATE);
    console.log(`   input: 30 s synthetic breath-like recording, ${RATE} Hz 16-bit mono; head: ${head.note}`);

    const configs = [
      {
        band: 'full',
        quality: 'medium',
        label: 'YAMNet twice (band-limited for the head + full band for AudioSet), resample medium (Speex 9) [default]',
      },
      {
        band: 'head',
        quality: 'medium',
        label: 'YAMNet once (AudioSet line from the band-limited pass), resample medium',
      },
      { band: 'full', quality: 'best', label: 'YAMNet twice, resample best (Speex 10)' },
      { band: 'full', quality: 'fastest', label: "YAMNet twice, resample 'fastest' (Speex 8: -0.27 dB at 7.5 kHz)" },
    ] as const;
    for (const { band, quality, label } of configs) {
      const engine = await AnalysisEngine.load({
        headCard: head.path,
        audioSetBand: band,
        resampleQuality: quality,
        log: (l) => console.log(`   ${l}`),
      });
      const runs: Array<{
        decode: number;
        resample: number;
        frontEnd: number;
        yamnet: number;
        head: number;
        sounds: number;
        total: number;
      }> = [];
      let patches = 0;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const audio = await readAudioFile(wavPath);
        const decode = performance.now() - t0;
        const r = await engine.analyzeRecording(audio.samples, audio.sampleRate);
        patches = r.patchCount;
        runs.push({ decode, ...r.timingsMs, total: decode + r.timingsMs.total });
      }
      await engine.close();
      const warm = runs.slice(2); // first runs warm up ORT and the JIT
      const m = (k: keyof (typeof runs)[number]) => median(warm.map((r) => r[k]));
      console.log(`   ${label}:`);
      console.log(
        `     total ${m('total').toFixed(1)} ms = decode ${m('decode').toFixed(1)} + resample/band-limit ${m('resample').toFixed(1)} + front end ${m('frontEnd').toFixed(1)} ` +
          `+ YAMNet ${m('yamnet').toFixed(1)} + head ${m('head').toFixed(1)} + sounds ${m('sounds').toFixed(1)} (+ quality, bookkeeping)`,
      );
      if (engine.soundsCard)
        console.log(
          `     sound detector + learned quality check: ${m('sounds').toFixed(1)} ms = ${((100 * m('sounds')) / (m('total') - m('sounds'))).toFixed(1)} % of the analysis without it (goal < 20 %)`,
        );
      console.log(
        `     ${(30000 / m('total')).toFixed(0)}× real time; ${patches} patches; front end ${(m('frontEnd') / patches / (band === 'full' ? 2 : 1)).toFixed(3)} ms per patch (median of ${warm.length} runs)`,
      );
    }

    // the same 30 s recorded by a 4 kHz stethoscope (KAUH, SPRSound): the detector's share where the analysis is cheapest
    {
      const engine = await AnalysisEngine.load({ headCard: head.path });
      if (engine.soundsCard) {
        const s4 = breathLike(30, 4000);
        const rows: Array<{ sounds: number; total: number }> = [];
        for (let i = 0; i < 5; i++) rows.push((await engine.analyzeRecording(s4, 4000)).timingsMs);
        const w = rows.slice(2);
        const ms = median(w.map((r) => r.sounds));
        const tot = median(w.map((r) => r.total));
        console.log(
          `   30 s at 4 kHz (a KAUH/SPRSound-like source): analysis ${tot.toFixed(1)} ms, of which sound detector + learned quality ${ms.toFixed(1)} ms (${((100 * ms) / (tot - ms)).toFixed(1)} % of the rest)`,
        );
      } else console.log('   no sound detector installed (models/sounds.card.json): its cost is not measured');
      await engine.close();
    }

    // per-patch network latency, one patch per call (what live capture does every 0.48 s)
    const yamnet = await YamnetSession.load(join(defaultModelsDir(), 'yamnet.onnx'));
    const audio = await readAudioFile(wavPath);
    const { source } = patchSource16k(await resampleTo16k(audio.samples, audio.sampleRate));
    const one = new Float32Array(PATCH_SIZE);
    const lat: number[] = [];
    for (let i = 0; i < 220; i++) {
      source.copyPatch(i % source.count, one);
      const t0 = performance.now();
      await yamnet.runArray(one, 1, true);
      if (i >= 20) lat.push(performance.now() - t0);
    }
    console.log(
      `   YAMNet per patch, batch 1: median ${median(lat).toFixed(2)} ms, p95 ${pctl(lat, 0.95).toFixed(2)} ms (200 patches)`,
    );
    const batch = new Float32Array(32 * PATCH_SIZE);
    for (let i = 0; i < 32; i++)
      source.copyPatch(i % source.count, batch.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE));
    const bl: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      await yamnet.runArray(batch, 32, true);
      if (i >= 2) bl.push((performance.now() - t0) / 32);
    }
    await yamnet.close();
    console.log(`   YAMNet per patch, batch 32: median ${median(bl).toFixed(2)} ms`);
    console.log(`   peak RSS so far: ${mb(process.resourceUsage().maxRSS * 1024)}`);

    // 10 minutes, in a child process: RSS growth over the loaded engine, in copies of the samples
    const longWav = join(dir, 'breath-10min.wav');
    writeWav(longWav, breathLike(600, RATE), RATE);
    for (const sounds of ['with', 'without'] as const) {
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--memory-child', longWav, head.path, sounds],
        { encoding: 'utf8' },
      );
      const line = child.stdout.trim().split('\n').pop() ?? '';
      console.log(`   ${sounds} the sound detector:`);
      try {
        const r = JSON.parse(line) as {
          baseRss: number;
          peakRss: number;
          samplesBytes: number;
          totalMs: number;
          patches: number;
        };
        const growth = r.peakRss - r.baseRss;
        console.log(
          `   10-minute recording (${RATE} Hz): ${r.patches} patches in ${(r.totalMs / 1000).toFixed(2)} s; peak RSS ${mb(r.peakRss)} ` +
            `(engine loaded: ${mb(r.baseRss)}), growth ${mb(growth)} = ${(growth / r.samplesBytes).toFixed(1)}× the decoded samples (${mb(r.samplesBytes)} as float32)`,
        );
      } catch {
        console.log(`   10-minute memory run failed: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child mode: load the engine, note RSS, analyse the long file, report peak RSS as JSON. */
async function memoryChild(wavPath: string, cardPath: string, sounds: string): Promise<void> {
  const engine = await AnalysisEngine.load({
    headCard: cardPath,
    ...(sounds === 'without' ? { soundsCard: null } : {}),
  });
  const warm = new Float32Array(RATE * 2);
  await engine.analyzeRecording(warm, RATE);
  const baseRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const audio = await readAudioFile(wavPath);
  const r = await engine.analyzeRecording(audio.samples, audio.sampleRate);
  const totalMs = performance.now() - t0;
  await engine.close();
  console.log(
    JSON.stringify({
      baseRss,
      peakRss: process.resourceUsage().maxRSS * 1024,
      samplesBytes: audio.samples.byteLength,
      totalMs,
      patches: r.patchCount,
    }),
  );
}

if (process.argv[2] === '--memory-child') {
  await memoryChild(process.argv[3]!, process.argv[4]!, process.argv[5] ?? 'with');
}
