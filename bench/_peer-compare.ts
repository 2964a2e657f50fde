/**
 * bench/analysis.ts part `peer` (issue 18): `node bin/auscult.js analyze --json FILE` against the
 * Python peer (bench/_python-peer.ts) on the same WAV files, whole process, paired; then a
 * correctness cross-check of Auscult's YAMNet (the ONNX converted from the TFLite file) against
 * TensorFlow Lite's interpreter running that file, patch by patch, on one real KAUH recording.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchSource16k, readAudioFile, resampleTo16k } from '../src/inference/front-end.js';
import { defaultModelsDir } from '../src/inference/paths.js';
import { YamnetSession, patchSourceFromArray, PATCH_SIZE, type PatchSource } from '../src/inference/yamnet-session.js';
import { AUDIOSET_CLASSES } from '../src/features/yamnet-params.js';
import { KAUH_DIR } from '../test/support/paths.js';
import { analyzeProcess, describeRuns, median, WHOLE_PROCESS_ROWS, type AnalyzeRun } from './_process-run.js';
import { setUpPythonPeer, type PeerRun, type PythonPeer } from './_python-peer.js';
import { breathLike, writeWav } from './_signals.js';

const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

/** Beyond this, Auscult's YAMNet and TensorFlow Lite's disagree: a defect in the conversion to look at. */
const TOLERANCE = 1e-3;

/** Above this factor (Auscult's wall time / the peer's, inverted), issue 18's goal is met. */
const GOAL = 1.5;

/** The process part's rows; its 1 s row runs fewer rounds here, each of three processes (Auscult, the peer on 1 and 2 threads). */
const CASES = WHOLE_PROCESS_ROWS.map((c) => (c.seconds === 1 ? { ...c, rounds: 9 } : c));

export async function peerComparison(dir: string, model: { source: string; sourceSha256: string }): Promise<void> {
  const setup = setUpPythonPeer(model);
  if (!setup.ok) {
    console.log(setup.line);
    return;
  }
  const { peer } = setup;
  try {
    wholeProcessRows(dir, peer);
    await crossCheck(dir, peer);
  } finally {
    peer.close();
  }
}

function wholeProcessRows(dir: string, peer: PythonPeer): void {
  const bin = fileURLToPath(new URL('../../bin/auscult.js', import.meta.url));
  console.log(
    '   whole process against the Python peer (issue 18), spawn to exit, the same WAV files for both, paired rounds ' +
      '(Auscult, peer on 1 thread, peer on 2 threads, the order rotating each round), median (min-max) after a warm-up round; ' +
      'CPU (user + system, all threads) and peak RSS from /usr/bin/time',
  );
  console.log(
    `     Auscult: \`node ${bin} analyze --json FILE\`: decode, resample, signal quality, band-limited YAMNet, competence gate, disease head, sound detector and learned quality check; one JSON document`,
  );
  console.log(`     peer (YAMNet's AudioSet scores only): ${peer.description}`);
  console.log(
    `     the bar is the faster of the peer's two thread counts on each row; goal: Auscult ≥ ${GOAL}× faster on every row`,
  );
  const loadStart = load();
  for (const c of CASES) {
    const file = join(dir, `peer-${c.seconds}s-${c.rate}.wav`);
    writeWav(file, breathLike(c.seconds, c.rate), c.rate);
    const loadBefore = load();
    const sides: Array<() => AnalyzeRun | PeerRun> = [
      () => analyzeProcess(bin, file),
      () => peer.run(file, { threads: 1 }),
      () => peer.run(file, { threads: 2 }),
    ];
    const runs: Array<Array<AnalyzeRun | PeerRun>> = sides.map(() => []);
    for (let r = 0; r <= c.rounds; r++)
      for (let k = 0; k < sides.length; k++) {
        const s = (r + k) % sides.length;
        const x = sides[s]!();
        if (r > 0) runs[s]!.push(x);
      }
    const auscult = runs[0] as AnalyzeRun[];
    const peers = [runs[1] as PeerRun[], runs[2] as PeerRun[]];
    const wall = (rs: ReadonlyArray<{ wallMs: number }>): number => median(rs.map((x) => x.wallMs));
    const best = wall(peers[0]!) <= wall(peers[1]!) ? 0 : 1;
    const ratio = wall(auscult) / wall(peers[best]!);
    const patchesA = auscult[0]!.patchCount;
    const patchesP = peers[0]![0]!.patches;
    const peerCell = (rs: PeerRun[], threads: number): string =>
      `peer ${threads} thread${threads > 1 ? 's' : ''} ${describeRuns(rs)}, its imports ${median(rs.map((x) => x.importMs)).toFixed(0)} ms, script ${median(rs.map((x) => x.totalMs)).toFixed(0)} ms`;
    console.log(
      `     ${`${c.seconds} s at ${c.rate / 1000} kHz`.padEnd(17)} ` +
        (patchesA === patchesP ? `(${patchesA} patches): ` : `(patches: Auscult ${patchesA}, peer ${patchesP}): `) +
        `Auscult ${describeRuns(auscult)}, of which analysis ${median(auscult.map((x) => x.analysisMs)).toFixed(0)} ms; ` +
        `${peerCell(peers[0]!, 1)}; ${peerCell(peers[1]!, 2)}; ` +
        `Auscult / peer (${best + 1} thread${best ? 's' : ''}, the faster) ${ratio.toFixed(2)} = Auscult ` +
        (ratio <= 1 ? `${(1 / ratio).toFixed(2)}× faster` : `${ratio.toFixed(2)}× slower`) +
        `; goal ≥ ${GOAL}× faster: ${1 / ratio >= GOAL ? 'met' : 'not met'} (load ${loadBefore} → ${load()})`,
    );
  }
  console.log(`     load over the peer rows: ${loadStart} → ${load()}`);
}

/** A little-endian float32, C-order .npy file (what the peer writes): its data and shape. */
function readNpyF32(path: string): { data: Float32Array; shape: number[] } {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path} is not a .npy file`);
  const major = b[6]!;
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + headerLen);
  if (!/'descr':\s*'<f4'/.test(header) || !/'fortran_order':\s*False/.test(header))
    throw new Error(`${path} is not little-endian float32 in C order: ${header.trim()}`);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  const off = start + headerLen;
  // a copy: the data need not sit at a multiple of 4 in the Buffer's memory
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
  if (data.length !== shape.reduce((a, x) => a * x, 1))
    throw new Error(`${path}: data does not fill shape ${shape.join('×')}`);
  return { data, shape };
}

interface Agreement {
  maxAbs: number;
  meanAbs: number;
  /** Largest |Δ| of the recording's mean scores (what a report shows). */
  maxAbsOfMean: number;
  top1Same: number;
  patches: number;
}

/** Per-patch scores [patches, 521] against each other. */
function agreement(a: Float32Array, b: Float32Array, patches: number): Agreement {
  let maxAbs = 0,
    sumAbs = 0,
    top1Same = 0;
  const meanA = new Float64Array(AUDIOSET_CLASSES),
    meanB = new Float64Array(AUDIOSET_CLASSES);
  for (let p = 0; p < patches; p++) {
    let ia = 0,
      ib = 0;
    for (let k = 0; k < AUDIOSET_CLASSES; k++) {
      const i = p * AUDIOSET_CLASSES + k;
      const d = Math.abs(a[i]! - b[i]!);
      if (d > maxAbs) maxAbs = d;
      sumAbs += d;
      meanA[k]! += a[i]! / patches;
      meanB[k]! += b[i]! / patches;
      if (a[i]! > a[p * AUDIOSET_CLASSES + ia]!) ia = k;
      if (b[i]! > b[p * AUDIOSET_CLASSES + ib]!) ib = k;
    }
    if (ia === ib) top1Same++;
  }
  let maxAbsOfMean = 0;
  for (let k = 0; k < AUDIOSET_CLASSES; k++) maxAbsOfMean = Math.max(maxAbsOfMean, Math.abs(meanA[k]! - meanB[k]!));
  return { maxAbs, meanAbs: sumAbs / (patches * AUDIOSET_CLASSES), maxAbsOfMean, top1Same, patches };
}

const describeAgreement = (x: Agreement): string =>
  `max |Δ| ${x.maxAbs.toExponential(2)}, mean |Δ| ${x.meanAbs.toExponential(2)}, max |Δ| of the mean scores ${x.maxAbsOfMean.toExponential(2)}, ` +
  `top-1 class the same in ${x.top1Same} of ${x.patches} patches`;

/** Largest |Δ| between two sources' log-mel patches (natural-log units). */
function maxPatchDiff(a: PatchSource, b: PatchSource): number {
  const pa = new Float32Array(PATCH_SIZE),
    pb = new Float32Array(PATCH_SIZE);
  let max = 0;
  for (let i = 0; i < Math.min(a.count, b.count); i++) {
    a.copyPatch(i, pa);
    b.copyPatch(i, pb);
    for (let k = 0; k < PATCH_SIZE; k++) max = Math.max(max, Math.abs(pa[k]! - pb[k]!));
  }
  return max;
}

/**
 * Auscult's YAMNet against TensorFlow Lite's, per patch, on one real KAUH recording, with a referee:
 * the same TFLite graph and its dequantized weights evaluated in float64 by numpy
 * (bench/peer/yamnet_float64_reference.py). TensorFlow Lite runs this dynamic-range-quantized file
 * with hybrid kernels (each FULLY_CONNECTED / CONV_2D input quantized to int8 on the fly, the
 * front end's mel product included); Auscult dequantizes and computes in float. So:
 *  - the network alone (TFLite's own log-mel patches into all three): Auscult against the float64
 *    reference is the TFLite → ONNX conversion, judged at TOLERANCE;
 *  - the front end: log-mel patches of the same 16 kHz waveform (soxr's, as the peer fed it);
 *  - YAMNet whole, as each side runs it, on that waveform, and Auscult from the file by its own
 *    reader and polyphase resampler.
 */
async function crossCheck(dir: string, peer: PythonPeer): Promise<void> {
  const kauh = join(KAUH_DIR, 'audio', 'BP2_Asthma,E W,P L L R,52,F.wav');
  if (!existsSync(kauh)) {
    console.log(`   cross-check skipped: the KAUH recording ${kauh} is missing (set AUSCULT_SHARED)`);
    return;
  }
  const f = (name: string): string => join(dir, name);
  // as a user runs it; then with every tensor kept, for the graph's log-mel patches
  peer.run(kauh, { threads: 1, scores: f('tflite-scores.npy'), waveform: f('waveform.npy') });
  peer.run(kauh, { threads: 1, scores: f('kept-scores.npy'), patches: f('tflite-patches.npy') });
  peer.reference({
    waveform: f('waveform.npy'),
    patches: f('tflite-patches.npy'),
    outScores: f('ref-scores.npy'),
    outPatches: f('ref-patches.npy'),
    outScoresOnPatches: f('ref-scores-on-tflite-patches.npy'),
  });
  const tflite = readNpyF32(f('tflite-scores.npy')).data;
  const kept = readNpyF32(f('kept-scores.npy')).data;
  const tflitePatches = readNpyF32(f('tflite-patches.npy'));
  const waveform = readNpyF32(f('waveform.npy')).data;
  const ref = readNpyF32(f('ref-scores.npy')).data;
  const refPatches = readNpyF32(f('ref-patches.npy'));
  const refOnTflitePatches = readNpyF32(f('ref-scores-on-tflite-patches.npy')).data;
  const patches = tflitePatches.shape[0]!;

  const yamnet = await YamnetSession.load(join(defaultModelsDir(), 'yamnet.onnx'));
  try {
    const scores = async (s: PatchSource): Promise<Float32Array> => (await yamnet.run(s, true)).scores!;
    const onTflitePatches = await scores(patchSourceFromArray(tflitePatches.data, patches));
    const auscultFrontEnd = patchSource16k(waveform).source;
    const onSoxr = await scores(auscultFrontEnd);
    const audio = await readAudioFile(kauh);
    const own = patchSource16k(await resampleTo16k(audio.samples, audio.sampleRate)).source;
    const onOwn = own.count === patches ? await scores(own) : null;

    const conversion = agreement(onTflitePatches, refOnTflitePatches, patches);
    const verdict =
      conversion.maxAbs <= TOLERANCE
        ? `within ${TOLERANCE}: the conversion agrees`
        : `BEYOND ${TOLERANCE}: a defect in the conversion, report it to the lead`;
    const vsTflite = agreement(onTflitePatches, tflite, patches);
    const keptSame = agreement(kept, tflite, patches).maxAbs === 0;
    console.log(
      `   cross-check, per-patch AudioSet scores, ${kauh.split('/').pop()} (${audio.sampleRate / 1000} kHz, ${patches} patches): ` +
        `Auscult's YAMNet (models/yamnet.onnx through onnxruntime, full band), TensorFlow Lite's interpreter on the TFLite file it was converted from, ` +
        `and a float64 reference (the same graph and dequantized weights, op by op in numpy: bench/peer/yamnet_float64_reference.py)` +
        (keptSame ? '' : '; note: the interpreter with every tensor kept scored differently from the plain run'),
    );
    console.log(`     network alone, on TensorFlow Lite's own log-mel patches:`);
    console.log(`       Auscult against float64: ${describeAgreement(conversion)} — ${verdict}`);
    console.log(
      `       TFLite against float64:  ${describeAgreement(agreement(tflite, refOnTflitePatches, patches))} (its hybrid int8 arithmetic)`,
    );
    console.log(`       Auscult against TFLite:  ${describeAgreement(vsTflite)}`);
    const fromRef = patchSourceFromArray(refPatches.data, refPatches.shape[0]!);
    console.log(
      `     front end, log-mel patches of the 16 kHz waveform soxr made (log units, max |Δ|): Auscult's (float, its own mel matrix) against float64 (the file's int8 mel matrix, dequantized) ${maxPatchDiff(auscultFrontEnd, fromRef).toExponential(2)}, ` +
        `TFLite's in-graph against float64 ${maxPatchDiff(patchSourceFromArray(tflitePatches.data, patches), fromRef).toExponential(2)}`,
    );
    console.log(`     YAMNet whole, on that waveform, as each side runs it:`);
    console.log(`       Auscult against float64: ${describeAgreement(agreement(onSoxr, ref, patches))}`);
    console.log(`       TFLite against float64:  ${describeAgreement(agreement(tflite, ref, patches))}`);
    console.log(`       Auscult against TFLite:  ${describeAgreement(agreement(onSoxr, tflite, patches))}`);
    console.log(
      onOwn
        ? `       Auscult from the file (its reader and polyphase resampler) against float64 on soxr's waveform: ${describeAgreement(agreement(onOwn, ref, patches))}`
        : `       Auscult from the file made ${own.count} patches, the peer ${patches}: not compared`,
    );
    if (vsTflite.maxAbs > TOLERANCE && conversion.maxAbs <= TOLERANCE)
      console.log(
        `     !! Auscult and TensorFlow Lite differ beyond ${TOLERANCE} on the same patches, and Auscult is the one that matches the float64 evaluation of the file: TensorFlow Lite's hybrid kernels, not the conversion`,
      );
  } finally {
    await yamnet.close();
  }
}
