/**
 * Principal components of patch embeddings for the gate's novelty model, in plain float64 loops
 * (a fixed summation order: the same rows give the same bytes on every machine, unlike a
 * threaded BLAS). Covariance once (rows × 1024²/2), then the top-k eigenvectors by subspace
 * iteration with Gram–Schmidt from a fixed start, Rayleigh–Ritz at the end.
 */
const D = 1024;

export interface Pca {
  mean: Float64Array;
  /** components × D, unit rows, by decreasing variance. */
  basis: Float64Array[];
  variances: number[];
  /** Mean variance per dimension left outside the basis. */
  residualVariance: number;
}

/** Row-major count × D in; the mean and the D × D covariance (upper triangle mirrored). */
function covariance(rows: Float32Array, count: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(D);
  for (let r = 0; r < count; r++) for (let d = 0; d < D; d++) mean[d]! += rows[r * D + d]!;
  for (let d = 0; d < D; d++) mean[d]! /= count;
  const cov = new Float64Array(D * D);
  const c = new Float64Array(D);
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < D; d++) c[d] = rows[r * D + d]! - mean[d]!;
    for (let i = 0; i < D; i++) {
      const ci = c[i]!;
      if (ci === 0) continue;
      const off = i * D;
      for (let j = i; j < D; j++) cov[off + j]! += ci * c[j]!;
    }
  }
  const n = Math.max(1, count - 1);
  for (let i = 0; i < D; i++)
    for (let j = i; j < D; j++) {
      const v = cov[i * D + j]! / n;
      cov[i * D + j] = v;
      cov[j * D + i] = v;
    }
  return { mean, cov };
}

function matVec(cov: Float64Array, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < D; i++) {
    let s = 0;
    const off = i * D;
    for (let j = 0; j < D; j++) s += cov[off + j]! * v[j]!;
    out[i] = s;
  }
}

function orthonormalise(vs: Float64Array[]): void {
  for (let k = 0; k < vs.length; k++) {
    const v = vs[k]!;
    for (let m = 0; m < k; m++) {
      const u = vs[m]!;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += u[d]! * v[d]!;
      for (let d = 0; d < D; d++) v[d]! -= dot * u[d]!;
    }
    let norm = 0;
    for (let d = 0; d < D; d++) norm += v[d]! * v[d]!;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < D; d++) v[d]! /= norm;
  }
}

/** Symmetric eigen-decomposition of a small k × k matrix (cyclic Jacobi): values and column vectors. */
function jacobi(a: Float64Array, k: number): { values: number[]; vectors: Float64Array } {
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++)
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!;
          const arq = a[r * k + q]!;
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!;
          const aqr = a[q * k + r]!;
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!;
          const vrq = v[r * k + q]!;
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
  }
  return { values: Array.from({ length: k }, (_, i) => a[i * k + i]!), vectors: v };
}

export function fitPca(rows: Float32Array, count: number, components: number, iterations = 60): Pca {
  if (count < 2) throw new Error('fitPca: need at least two rows');
  const k = Math.min(components, D);
  const { mean, cov } = covariance(rows, count);
  // a fixed, full-rank start: e_i plus a small deterministic spread so no direction starts orthogonal
  let vs = Array.from({ length: k }, (_, i) => {
    const v = new Float64Array(D);
    for (let d = 0; d < D; d++) v[d] = Math.sin((i + 1) * (d + 1) * 0.7071) + (d === i ? 1 : 0);
    return v;
  });
  orthonormalise(vs);
  const tmp = new Float64Array(D);
  for (let it = 0; it < iterations; it++) {
    vs = vs.map((v) => {
      matVec(cov, v, tmp);
      return Float64Array.from(tmp);
    });
    orthonormalise(vs);
  }
  // Rayleigh–Ritz: rotate the subspace to the eigenvectors of Vᵀ C V
  const av = vs.map((v) => {
    matVec(cov, v, tmp);
    return Float64Array.from(tmp);
  });
  const small = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += vs[i]![d]! * av[j]![d]!;
      small[i * k + j] = s;
    }
  for (let i = 0; i < k; i++)
    for (let j = i + 1; j < k; j++) {
      const m = (small[i * k + j]! + small[j * k + i]!) / 2;
      small[i * k + j] = m;
      small[j * k + i] = m;
    }
  const eig = jacobi(small, k);
  const order = [...eig.values.keys()].sort((a, b) => eig.values[b]! - eig.values[a]! || a - b);
  const basis = order.map((c) => {
    const out = new Float64Array(D);
    for (let i = 0; i < k; i++) {
      const w = eig.vectors[i * k + c]!;
      for (let d = 0; d < D; d++) out[d]! += w * vs[i]![d]!;
    }
    // a fixed sign (largest component positive) so the file does not depend on the start
    let big = 0;
    for (let d = 0; d < D; d++) if (Math.abs(out[d]!) > Math.abs(out[big]!)) big = d;
    if (out[big]! < 0) for (let d = 0; d < D; d++) out[d] = -out[d]!;
    return out;
  });
  const variances = order.map((c) => Math.max(eig.values[c]!, 1e-12));
  let trace = 0;
  for (let d = 0; d < D; d++) trace += cov[d * D + d]!;
  const left = trace - variances.reduce((a, b) => a + b, 0);
  const residualVariance = Math.max(left / Math.max(1, D - k), 1e-12);
  return { mean, basis, variances, residualVariance };
}
