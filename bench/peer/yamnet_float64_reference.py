"""YAMNet's TFLite graph evaluated in float64 by numpy, op by op: the referee of bench/_peer-compare.ts.

TensorFlow Lite runs this dynamic-range-quantized file with hybrid kernels: the int8 weights stay int8
and each FULLY_CONNECTED / CONV_2D input is quantized to int8 on the fly, the log-mel front end's mel
matrix product included. Auscult dequantizes the weights and computes in float. Neither is the
reference, so this script computes the same graph with the same (dequantized) weights in float64:
a disagreement between Auscult and TensorFlow Lite is then either Auscult's (far from this) or
TensorFlow Lite's arithmetic (TFLite far from this, Auscult close).

  python yamnet_float64_reference.py --model yamnet.tflite --waveform w.npy
         [--patches tflite_patches.npy] --out-scores s.npy --out-patches p.npy [--out-scores-on-patches s2.npy]

--waveform: the 16 kHz waveform the peer fed its interpreter (yamnet_tflite_soxr.py --waveform).
--patches: the interpreter's own log-mel patches; with --out-scores-on-patches the network alone is
evaluated on them (the front end's differences left out). The interpreter object is used only to
read the file's operators and constant tensors; nothing is invoked.
"""

import argparse
import warnings

import numpy as np

# tensorflow's copy of interpreter.py warns that tf.lite.Interpreter is deprecated: not this script's concern
warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")

try:
    from tflite_runtime.interpreter import Interpreter, OpResolverType
except ImportError:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

PATCH, HOP = 15600, 7680


class Graph:
    def __init__(self, model: str) -> None:
        # without the default delegate (XNNPACK), so that the file's own operators are listed
        it = Interpreter(
            model_path=model,
            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        it.allocate_tensors()
        self.details = {t["index"]: t for t in it.get_tensor_details()}
        self.ops = it._get_ops_details()  # the only way to read the operator list from Python
        self.input = it.get_input_details()[0]["index"]
        self.output = it.get_output_details()[0]["index"]
        produced = {o for op in self.ops for o in op["outputs"]} | {self.input}
        self.const = {}
        for i, t in self.details.items():
            if i in produced:
                continue
            try:
                self.const[i] = self.dequantize(i, it.get_tensor(i))
            except ValueError:
                pass  # a scratch tensor, not a constant

    def dequantize(self, i: int, v: np.ndarray) -> np.ndarray:
        q = self.details[i]["quantization_parameters"]
        if v.dtype != np.int8 or len(q["scales"]) == 0:
            return v.astype(np.float64) if v.dtype.kind == "f" else v
        shape = [1] * v.ndim
        if len(q["scales"]) > 1:
            shape[q["quantized_dimension"]] = -1
        scale = q["scales"].astype(np.float64).reshape(shape)
        zero = q["zero_points"].astype(np.float64).reshape(shape)
        return (v.astype(np.float64) - zero) * scale

    def shape(self, i: int) -> list:
        return [int(x) for x in self.details[i]["shape"]]

    def run(self, waveform: np.ndarray, override: dict | None = None) -> dict:
        """Every tensor of one patch; `override` replaces a tensor's value as soon as it is produced."""
        v = dict(self.const)
        v[self.input] = waveform.astype(np.float64)
        for op in self.ops:
            ins = [v[i] if i >= 0 else None for i in op["inputs"]]
            out = op["outputs"][0]
            v[out] = self.evaluate(op["op_name"], ins, self.shape(out))
            if override and out in override:
                v[out] = override[out]
        return v

    @staticmethod
    def evaluate(name: str, x: list, out_shape: list) -> np.ndarray:
        if name == "RESHAPE":
            return x[0].reshape(out_shape)
        if name == "GATHER":  # YAMNet's framing gathers along axis 0 (the output shape checks it)
            return np.take(x[0], x[1], axis=0).reshape(out_shape)
        if name == "MUL":
            return x[0] * x[1]
        if name == "PAD":
            return np.pad(x[0], x[1])
        if name == "RFFT2D":
            return np.fft.rfft2(x[0], s=tuple(int(n) for n in x[1]))
        if name == "COMPLEX_ABS":
            return np.abs(x[0])
        if name == "LOG":
            return np.log(x[0])
        if name == "LOGISTIC":
            return 1 / (1 + np.exp(-x[0]))
        if name == "MEAN":
            return x[0].mean(axis=tuple(int(a) for a in np.atleast_1d(x[1]))).reshape(out_shape)
        if name == "FULLY_CONNECTED":
            y = x[0].reshape(-1, x[1].shape[1]) @ x[1].T
            return (y + x[2] if len(x) > 2 and x[2] is not None else y).reshape(out_shape)
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            # ReLU fused into every convolution of YAMNet; TensorFlow's SAME padding (more at the end)
            return np.maximum(conv(x[0], x[1], x[2], out_shape, name == "DEPTHWISE_CONV_2D"), 0)
        raise ValueError(f"operator {name} is not handled by this reference")


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, out_shape: list, depthwise: bool) -> np.ndarray:
    _, h, wd, _ = x.shape
    _, ho, wo, _ = out_shape
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = -(-h // ho), -(-wd // wo)  # the stride, from the shapes
    ph = max((ho - 1) * sh + kh - h, 0)
    pw = max((wo - 1) * sw + kw - wd, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    y = np.zeros(out_shape, dtype=np.float64)
    for dy in range(kh):
        for dx in range(kw):
            s = xp[:, dy : dy + sh * (ho - 1) + 1 : sh, dx : dx + sw * (wo - 1) + 1 : sw, :]
            y += s * w[0, dy, dx, :] if depthwise else s @ w[:, dy, dx, :].T
    return y + b


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--waveform", required=True)
    ap.add_argument("--patches")
    ap.add_argument("--out-scores", required=True)
    ap.add_argument("--out-patches", required=True)
    ap.add_argument("--out-scores-on-patches")
    a = ap.parse_args()
    g = Graph(a.model)
    mel = next(i for i in g.details if g.shape(i) == [1, 96, 64, 1] and i not in g.const)
    x = np.load(a.waveform)
    count = 1 + (len(x) - PATCH) // HOP
    scores = np.empty((count, 521))
    patches = np.empty((count, 96, 64))
    for p in range(count):
        v = g.run(x[p * HOP : p * HOP + PATCH])
        scores[p] = v[g.output].reshape(521)
        patches[p] = v[mel].reshape(96, 64)
    np.save(a.out_scores, scores.astype(np.float32))
    np.save(a.out_patches, patches.astype(np.float32))
    if a.patches and a.out_scores_on_patches:
        theirs = np.load(a.patches).astype(np.float64)
        on = np.empty((len(theirs), 521))
        for p in range(len(theirs)):
            on[p] = g.run(x[p * HOP : p * HOP + PATCH], {mel: theirs[p].reshape(1, 96, 64, 1)})[g.output].reshape(521)
        np.save(a.out_scores_on_patches, on.astype(np.float32))


if __name__ == "__main__":
    main()
