/**
 * Issue 18's whole-process peer: bench/peer/yamnet_tflite_soxr.py (soundfile → soxr → YAMNet's
 * TFLite file through TensorFlow Lite's interpreter) run by a Python that has those packages:
 * AUSCULT_PEER_PYTHON, else <repo>/../peer/bin/python (a venv outside the repository).
 *
 * The interpreter is TensorFlow Lite's own, loaded without importing tensorflow (whose import takes
 * seconds and is not what a tflite-runtime user pays): with tflite_runtime or ai_edge_litert
 * installed, from there; else from a tensorflow-cpu install through a `tflite_runtime` package made
 * in a temporary folder (symlinks to tensorflow/lite/python's interpreter.py and its two shared
 * libraries, plus a stub for the metrics module interpreter.py imports in that branch), removed by
 * close(). Nothing is written into the repository. Without the packages: one line saying what is
 * missing and the command that makes the venv; no peer figures are ever made up.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/inference/paths.js';
import { timedProcess, type ProcessRun } from './_process-run.js';

export interface PeerRun extends ProcessRun {
  patches: number;
  /** The script's own clock: its imports (numpy, soundfile, soxr, the interpreter), and all of it. */
  importMs: number;
  totalMs: number;
  top: Array<[string, number]>;
}

export interface PeerRunOptions {
  threads: number;
  /** Per-patch scores [patches, 521] to this .npy. */
  scores?: string;
  /** The graph's own log-mel patches [patches, 96, 64] to this .npy (preserves all tensors: slower). */
  patches?: string;
  /** The 16 kHz float32 waveform the interpreter was fed to this .npy. */
  waveform?: string;
}

export interface ReferenceOptions {
  /** The 16 kHz waveform the peer was fed (PeerRunOptions.waveform). */
  waveform: string;
  /** The interpreter's own log-mel patches (PeerRunOptions.patches): the network alone is evaluated on them too. */
  patches: string;
  outScores: string;
  outPatches: string;
  outScoresOnPatches: string;
}

export interface PythonPeer {
  /** What runs, for the bench's header line. */
  readonly description: string;
  run(file: string, opts: PeerRunOptions): PeerRun;
  /** bench/peer/yamnet_float64_reference.py: the same TFLite graph in float64 by numpy, per patch. */
  reference(opts: ReferenceOptions): void;
  /** Removes the temporary folder (the shim, and where the peer ran). */
  close(): void;
}

export type PeerSetup = { ok: true; peer: PythonPeer } | { ok: false; line: string };

const MAKE_VENV =
  'python3 -m venv ../peer && ../peer/bin/pip install tensorflow-cpu soxr soundfile (≈ 2 GB, beside the checkout; ' +
  'where pypi.org is unreachable add --index-url <a mirror>, file:///opt/pypi/simple on the build machines), ' +
  'or set AUSCULT_PEER_PYTHON to a python that has them';

const skip = (what: string, remedy = `make the venv: ${MAKE_VENV}`): PeerSetup => ({
  ok: false,
  line: `   Python peer (TFLite + soxr): skipped, no peer rows — ${what}; ${remedy}`,
});

// Imports what the peer imports (a package that is there but cannot load counts as missing) and
// finds, without importing it, where tensorflow is.
const PROBE = `
import importlib.util as u, importlib.metadata as md, json, os, sys
missing, versions = [], {}
for m in ("numpy", "soxr", "soundfile"):
    try:
        versions[m] = getattr(__import__(m), "__version__", "?")
    except Exception as e:
        missing.append(f"{m} ({type(e).__name__}: {e})")
runtime = next((m for m in ("tflite_runtime", "ai_edge_litert") if u.find_spec(m)), None)
tf = u.find_spec("tensorflow")
tfv = None
for d in ("tensorflow-cpu", "tensorflow"):
    try:
        tfv = md.version(d); break
    except md.PackageNotFoundError:
        pass
print(json.dumps({"python": sys.version.split()[0], "missing": missing, "versions": versions, "runtime": runtime,
                  "tensorflow": os.path.dirname(tf.origin) if tf and tf.origin else None, "tensorflowVersion": tfv}))
`;

interface Probe {
  python: string;
  missing: string[];
  versions: Record<string, string>;
  runtime: string | null;
  tensorflow: string | null;
  tensorflowVersion: string | null;
}

/** The files interpreter.py's tflite_runtime branch loads, under tensorflow/lite/python. */
const INTERPRETER_FILES = [
  'interpreter.py',
  '_pywrap_tensorflow_interpreter_wrapper.so',
  'libpywrap_tflite_common.so',
] as const;

const METRICS_STUB = `# interpreter.py's tflite_runtime branch counts interpreter creations through this module: nothing to count here
class TFLiteMetrics:
    def increase_counter_interpreter_creation(self):
        pass
`;

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * The peer ready to run, or the line saying why it cannot. `model`: the TFLite file Auscult's
 * yamnet.onnx was converted from (models/yamnet.json's source and SHA-256), so that both sides run
 * the same weights; it is looked for there, then in ../shared/models.
 */
export function setUpPythonPeer(model: { source: string; sourceSha256: string }): PeerSetup {
  const root = projectRoot();
  const python = process.env['AUSCULT_PEER_PYTHON'] ?? join(root, '..', 'peer', 'bin', 'python');
  const script = join(root, 'bench', 'peer', 'yamnet_tflite_soxr.py');
  const referenceScript = join(root, 'bench', 'peer', 'yamnet_float64_reference.py');
  if (!existsSync(python))
    return skip(`no peer python at ${python}${process.env['AUSCULT_PEER_PYTHON'] ? ' (AUSCULT_PEER_PYTHON)' : ''}`);
  const noScript = [script, referenceScript].find((p) => !existsSync(p));
  if (noScript) return skip(`the peer script ${noScript} is missing`);
  const tflite = [model.source, join(root, '..', 'shared', 'models', 'yamnet.tflite')].find(
    (p) => existsSync(p) && sha256(p) === model.sourceSha256,
  );
  if (!tflite)
    return skip(
      `the YAMNet TFLite file models/yamnet.onnx was converted from (SHA-256 ${model.sourceSha256.slice(0, 12)}…) is at neither ${model.source} nor ../shared/models/yamnet.tflite`,
      'put it back there, or convert the one you have (`npx auscult models --source <its folder>`) so that both sides run the same weights',
    );

  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', cwd: tmpdir() });
  if (r.error || r.status !== 0)
    return skip(
      `${python} cannot be run (${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`})`,
    );
  let probe: Probe;
  try {
    probe = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Probe;
  } catch {
    return skip(`${python} answered the package check with something other than its JSON`);
  }
  const tfLite = probe.tensorflow ? join(probe.tensorflow, 'lite', 'python') : null;
  const lacking = [...probe.missing];
  if (!probe.runtime) {
    if (!tfLite) lacking.push('a TensorFlow Lite interpreter (tflite_runtime, ai_edge_litert or tensorflow-cpu)');
    else {
      const absent = INTERPRETER_FILES.filter((f) => !existsSync(join(tfLite, f)));
      if (absent.length)
        lacking.push(
          `TensorFlow Lite's interpreter files in ${tfLite} (${absent.join(', ')}; tensorflow changed layout?)`,
        );
    }
  }
  if (lacking.length) return skip(`${python} (Python ${probe.python}) lacks ${lacking.join(', ')}`);

  const dir = mkdtempSync(join(tmpdir(), 'auscult-peer-'));
  if (!probe.runtime && tfLite) {
    const pkg = join(dir, 'tflite_runtime');
    mkdirSync(pkg);
    for (const f of INTERPRETER_FILES) symlinkSync(join(tfLite, f), join(pkg, f));
    writeFileSync(join(pkg, '__init__.py'), '');
    writeFileSync(join(pkg, 'metrics_portable.py'), METRICS_STUB);
  }
  // only the shim on the path, in a scratch folder: nothing of the caller's PYTHONPATH, nothing into the repository
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: dir };
  const interpreter = probe.runtime
    ? probe.runtime
    : `tensorflow-cpu ${probe.tensorflowVersion ?? '?'}'s TFLite interpreter as tflite_runtime (tensorflow not imported)`;
  return {
    ok: true,
    peer: {
      description:
        `${python} (Python ${probe.python}): soundfile ${probe.versions['soundfile']} → mono float32 → soxr ${probe.versions['soxr']} ` +
        `resample to 16 kHz (quality HQ, soxr's default) → ${tflite} through ${interpreter}, one invoke per 15,600-sample patch (hop 7,680) → mean scores`,
      run(file, opts) {
        const argv = [python, script, file, '--model', tflite, '--threads', String(opts.threads)];
        if (opts.scores) argv.push('--scores', opts.scores);
        if (opts.patches) argv.push('--patches', opts.patches);
        if (opts.waveform) argv.push('--waveform', opts.waveform);
        const { stdout, ...run } = timedProcess(argv, { env, cwd: dir });
        const out = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
          patches: number;
          importMs: number;
          totalMs: number;
          top: Array<[string, number]>;
          tensorflowImported: boolean;
        };
        // the whole point of the shim: a peer that imported tensorflow would be timed with seconds it need not pay
        if (out.tensorflowImported)
          throw new Error(`the peer imported tensorflow (${python}): its figures would be wrong`);
        return { ...run, patches: out.patches, importMs: out.importMs, totalMs: out.totalMs, top: out.top };
      },
      reference(o) {
        timedProcess(
          [
            python,
            referenceScript,
            '--model',
            tflite,
            '--waveform',
            o.waveform,
            '--patches',
            o.patches,
            '--out-scores',
            o.outScores,
            '--out-patches',
            o.outPatches,
            '--out-scores-on-patches',
            o.outScoresOnPatches,
          ],
          { env, cwd: dir },
        );
      },
      close() {
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}
