/**
 * Dense matrix products over flat row-major arrays, in the three shapes that a dense layer's forward and
 * backward passes need. Every matrix is addressed as (array, offset) so that kernels can read weights straight
 * out of the flat parameter vector and write gradients straight into a gradient slot, without views or copies.
 *
 * Loop orders keep the innermost loop on contiguous memory; four rows are processed together so each weight
 * row loaded from memory feeds four multiply-adds. Summation order is fixed by the loops alone, which is what
 * makes results reproducible bit for bit.
 */
import type { FloatArray } from '../types.js';

/**
 * `out[m x n] = a[m x k] * b[k x n] + bias[n]` (the dense forward pass; `b` is the Keras `[in x out]` kernel).
 */
export function gemmBias(
  out: FloatArray,
  outOff: number,
  a: FloatArray,
  aOff: number,
  b: FloatArray,
  bOff: number,
  bias: FloatArray,
  biasOff: number,
  m: number,
  k: number,
  n: number,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const o0 = outOff + i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let j = 0; j < n; j++) {
      const bj = bias[biasOff + j];
      out[o0 + j] = bj;
      out[o1 + j] = bj;
      out[o2 + j] = bj;
      out[o3 + j] = bj;
    }
    const a0 = aOff + i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let p = 0; p < k; p++) {
      const x0 = a[a0 + p];
      const x1 = a[a1 + p];
      const x2 = a[a2 + p];
      const x3 = a[a3 + p];
      const w = bOff + p * n;
      for (let j = 0; j < n; j++) {
        const wj = b[w + j];
        out[o0 + j] += x0 * wj;
        out[o1 + j] += x1 * wj;
        out[o2 + j] += x2 * wj;
        out[o3 + j] += x3 * wj;
      }
    }
  }
  for (; i < m; i++) {
    const o = outOff + i * n;
    for (let j = 0; j < n; j++) out[o + j] = bias[biasOff + j];
    const ai = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const x = a[ai + p];
      const w = bOff + p * n;
      for (let j = 0; j < n; j++) out[o + j] += x * b[w + j];
    }
  }
}

/**
 * `out[k x n] = a^T * d` with `a [m x k]`, `d [m x n]` (the kernel gradient `X^T dZ`), and
 * `biasOut[n] = column sums of d` (the bias gradient). Overwrites both; rows are accumulated in order 0..m-1.
 */
export function gemmTnBias(
  out: FloatArray,
  outOff: number,
  biasOut: FloatArray,
  biasOff: number,
  a: FloatArray,
  aOff: number,
  d: FloatArray,
  dOff: number,
  m: number,
  k: number,
  n: number,
): void {
  out.fill(0, outOff, outOff + k * n);
  biasOut.fill(0, biasOff, biasOff + n);
  for (let r = 0; r < m; r++) {
    const dr = dOff + r * n;
    for (let j = 0; j < n; j++) biasOut[biasOff + j] += d[dr + j];
    const ar = aOff + r * k;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const x0 = a[ar + p];
      const x1 = a[ar + p + 1];
      const x2 = a[ar + p + 2];
      const x3 = a[ar + p + 3];
      const o0 = outOff + p * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      for (let j = 0; j < n; j++) {
        const g = d[dr + j];
        out[o0 + j] += x0 * g;
        out[o1 + j] += x1 * g;
        out[o2 + j] += x2 * g;
        out[o3 + j] += x3 * g;
      }
    }
    for (; p < k; p++) {
      const x = a[ar + p];
      const o = outOff + p * n;
      for (let j = 0; j < n; j++) out[o + j] += x * d[dr + j];
    }
  }
}

/**
 * `out[m x k] = d[m x n] * b^T` with `b [k x n]` (the input gradient `dZ W^T`): each output element is a dot
 * product of two contiguous rows, summed in order j = 0..n-1.
 */
export function gemmNt(
  out: FloatArray,
  outOff: number,
  d: FloatArray,
  dOff: number,
  b: FloatArray,
  bOff: number,
  m: number,
  k: number,
  n: number,
): void {
  for (let r = 0; r < m; r++) {
    const dr = dOff + r * n;
    const or = outOff + r * k;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const w0 = bOff + p * n;
      const w1 = w0 + n;
      const w2 = w1 + n;
      const w3 = w2 + n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < n; j++) {
        const g = d[dr + j];
        s0 += g * b[w0 + j];
        s1 += g * b[w1 + j];
        s2 += g * b[w2 + j];
        s3 += g * b[w3 + j];
      }
      out[or + p] = s0;
      out[or + p + 1] = s1;
      out[or + p + 2] = s2;
      out[or + p + 3] = s3;
    }
    for (; p < k; p++) {
      const w = bOff + p * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += d[dr + j] * b[w + j];
      out[or + p] = s;
    }
  }
}
