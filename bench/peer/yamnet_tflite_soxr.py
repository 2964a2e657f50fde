"""Issue 18's peer: YAMNet the way a Python user would run it by hand (not part of Auscult).

soundfile reads the file, the channels are averaged to mono float32, soxr resamples to 16 kHz at its
default quality ("HQ": 20-bit precision, linear phase, passband to 0.91 Nyquist), and YAMNet's TFLite
file runs once per 0.975 s patch (15,600 samples, hop 7,680 = 0.48 s) through TensorFlow Lite's
interpreter. The model computes its own log-mel front end. Prints one JSON line: the patch count, the
top AudioSet classes of the mean scores, and its own import / total milliseconds.

  python yamnet_tflite_soxr.py FILE [--model yamnet.tflite] [--threads N]
                               [--scores out.npy|out.json] [--patches out.npy] [--waveform out.npy]

The interpreter comes from `tflite_runtime` (or `ai_edge_litert`): never from `tensorflow`, whose
import alone takes seconds. bench/_python-peer.ts builds a tflite_runtime package from a
tensorflow-cpu install when no runtime package is installed.
"""

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import soxr  # noqa: E402

# tensorflow's copy of interpreter.py warns that tf.lite.Interpreter is deprecated: not this peer's concern
warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
try:
    from tflite_runtime.interpreter import Interpreter  # noqa: E402
except ImportError:
    from ai_edge_litert.interpreter import Interpreter  # noqa: E402

T_IMPORTED = time.perf_counter()

RATE = 16000
PATCH = 15600  # 96 frames of 10 ms plus the 25 ms window's tail
HOP = 7680  # 48 frames
# The graph's own log-mel patch, the network's input: the one tensor of this shape.
LOG_MEL_SHAPE = [1, 96, 64, 1]


def main() -> int:
    ap = argparse.ArgumentParser(description="YAMNet TFLite + soxr + soundfile, one JSON line")
    ap.add_argument("file")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--model", default=os.path.join(here, "..", "..", "..", "shared", "models", "yamnet.tflite"))
    ap.add_argument("--threads", type=int, default=None, help="interpreter threads (default: TFLite's)")
    ap.add_argument("--scores", help="write the per-patch scores [patches, 521] to .npy or .json")
    ap.add_argument("--patches", help="write the graph's own log-mel patches [patches, 96, 64] to .npy")
    ap.add_argument("--waveform", help="write the 16 kHz float32 waveform fed to the interpreter to .npy")
    args = ap.parse_args()

    audio, rate = sf.read(args.file, dtype="float32", always_2d=True)
    mono = audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0]
    x = soxr.resample(mono, rate, RATE) if rate != RATE else mono
    x = np.ascontiguousarray(x, dtype=np.float32)
    if len(x) < PATCH:
        # shorter than one patch: zero-padded to exactly one, as Auscult does
        x = np.concatenate([x, np.zeros(PATCH - len(x), dtype=np.float32)])
    count = 1 + (len(x) - PATCH) // HOP

    # preserving every tensor costs time: only when the log-mel patches are asked for
    interp = Interpreter(
        model_path=args.model,
        num_threads=args.threads,
        experimental_preserve_all_tensors=args.patches is not None,
    )
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]["index"]
    out = interp.get_output_details()[0]["index"]
    mel = None
    if args.patches:
        mel = next(t["index"] for t in interp.get_tensor_details() if list(t["shape"]) == LOG_MEL_SHAPE)

    scores = np.empty((count, 521), dtype=np.float32)
    patches = np.empty((count, 96, 64), dtype=np.float32) if mel is not None else None
    for p in range(count):
        interp.set_tensor(inp, x[p * HOP : p * HOP + PATCH])
        interp.invoke()
        scores[p] = interp.get_tensor(out)[0]
        if patches is not None:
            patches[p] = interp.get_tensor(mel).reshape(96, 64)

    mean = scores.mean(axis=0)
    names = class_names(os.path.join(os.path.dirname(os.path.abspath(args.model)), "yamnet_class_map.csv"))
    top = [[names[i] if names else str(i), round(float(mean[i]), 4)] for i in np.argsort(-mean)[:5]]
    if args.scores:
        if args.scores.endswith(".json"):
            with open(args.scores, "w") as f:
                json.dump(scores.tolist(), f)
        else:
            np.save(args.scores, scores)
    if args.waveform:
        np.save(args.waveform, x)
    if args.patches and patches is not None:
        np.save(args.patches, patches)
    print(
        json.dumps(
            {
                "patches": count,
                "seconds": len(mono) / rate,
                "rate": rate,
                "top": top,
                "threads": args.threads,
                "soxrQuality": "HQ",
                "tensorflowImported": "tensorflow" in sys.modules,
                "importMs": round((T_IMPORTED - T0) * 1000, 1),
                "totalMs": round((time.perf_counter() - T0) * 1000, 1),
            }
        )
    )
    return 0


def class_names(path: str) -> list[str] | None:
    try:
        with open(path, newline="") as f:
            return [row["display_name"] for row in csv.DictReader(f)]
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
