/**
 * Issue 18's whole-process peer (the same YAMNet TFLite through TensorFlow Lite's interpreter, with
 * soxr), as far as this machine allows: which of its Python modules are importable, and whether PyPI
 * can be reached to install them (`pip install tensorflow-cpu soxr soundfile` into a venv). No peer
 * figures are ever made up: without the modules the peer rows are skipped with the reason.
 */
import { spawnSync } from 'node:child_process';

const MODULES = ['tflite_runtime', 'ai_edge_litert', 'tensorflow', 'soxr', 'soundfile'] as const;
const INTERPRETERS = ['tflite_runtime', 'ai_edge_litert', 'tensorflow'];

/** Why PyPI cannot be used, or null when it answers (curl's exit code and its own words). */
function pypiUnreachable(): string | null {
  const r = spawnSync('curl', ['-sS', '-m', '10', '-o', '/dev/null', 'https://pypi.org/simple/soxr/'], {
    encoding: 'utf8',
  });
  if (r.error) return `curl could not be run (${r.error.message})`;
  if (r.status === 0) return null;
  return `curl exit ${r.status}: ${r.stderr.trim().replace(/^curl: \(\d+\)\s*/, '') || 'no answer'}`;
}

/** One line: the peer's rows skipped and why, or that its packages are there but the peer is not built here. */
export function pythonPeerLine(): string {
  const probe = spawnSync(
    'python3',
    [
      '-c',
      `import importlib.util as u; print(",".join(m for m in ${JSON.stringify(MODULES)} if u.find_spec(m) is None))`,
    ],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0)
    return `   Python peer (TFLite + soxr): skipped — python3 cannot be run (${probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? ''}); no peer rows`;
  const missing = probe.stdout.trim().split(',').filter(Boolean);
  const noInterpreter = INTERPRETERS.every((m) => missing.includes(m));
  if (noInterpreter || missing.includes('soxr')) {
    const pypi = pypiUnreachable();
    return (
      `   Python peer (TFLite + soxr): skipped, no peer rows — python3 lacks ${missing.join(', ')}; ` +
      (pypi
        ? `PyPI is unreachable from this machine (${pypi}), so \`pip install tensorflow-cpu soxr soundfile\` cannot get them, and Debian packages neither tflite-runtime nor python3-soxr`
        : 'PyPI answers: `python3 -m venv ../peer && ../peer/bin/pip install tensorflow-cpu soxr soundfile` (≈ 2 GB), then run the bench from that venv')
    );
  }
  return '   Python peer (TFLite + soxr): its packages are present, but this bench does not build the peer yet (issue 18, whole-process half): no peer rows';
}
