/**
 * Activations applied in place to a block of rows, and their backward passes. Every derivative is computed from
 * the activation's *output* `a`, so the forward pass only has to keep post-activation values.
 */
import type { ActivationName } from '../model/activation-names.js';
import type { FloatArray } from '../types.js';

/** Negative slope of leakyRelu, as `tf.leakyRelu` (note: the Keras LeakyReLU *layer* defaults to 0.3). */
export const LEAKY_RELU_ALPHA = 0.2;
/** elu's alpha, as Keras. */
export const ELU_ALPHA = 1;

/** `z <- act(z)` over `rows x cols` values starting at `off`. */
export function activationForward(act: ActivationName, z: FloatArray, off: number, rows: number, cols: number): void {
  const end = off + rows * cols;
  switch (act) {
    case 'linear':
      return;
    case 'sigmoid':
      // Written as 1 / (1 + e^-z), which saturates to 0 or 1 without overflow producing NaN.
      for (let i = off; i < end; i++) z[i] = 1 / (1 + Math.exp(-z[i]));
      return;
    case 'tanh':
      for (let i = off; i < end; i++) z[i] = Math.tanh(z[i]);
      return;
    case 'relu':
      for (let i = off; i < end; i++) if (z[i] < 0) z[i] = 0;
      return;
    case 'leakyRelu':
      for (let i = off; i < end; i++) if (z[i] < 0) z[i] *= LEAKY_RELU_ALPHA;
      return;
    case 'elu':
      for (let i = off; i < end; i++) if (z[i] < 0) z[i] = ELU_ALPHA * Math.expm1(z[i]);
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const o = off + r * cols;
        // Subtracting the row max keeps exp() in range; the result is mathematically unchanged.
        let max = z[o];
        for (let j = 1; j < cols; j++) if (z[o + j] > max) max = z[o + j];
        let sum = 0;
        for (let j = 0; j < cols; j++) {
          const e = Math.exp(z[o + j] - max);
          z[o + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < cols; j++) z[o + j] *= inv;
      }
      return;
  }
}

/**
 * `g <- dL/dz` given `g = dL/da` and the activation outputs `a` (same shape, `rows x cols` at the offsets).
 */
export function activationBackward(
  act: ActivationName,
  g: FloatArray,
  gOff: number,
  a: FloatArray,
  aOff: number,
  rows: number,
  cols: number,
): void {
  const n = rows * cols;
  switch (act) {
    case 'linear':
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const y = a[aOff + i];
        g[gOff + i] *= y * (1 - y);
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const y = a[aOff + i];
        g[gOff + i] *= 1 - y * y;
      }
      return;
    case 'relu':
      // The derivative at exactly 0 is taken as 0, as TensorFlow does.
      for (let i = 0; i < n; i++) if (a[aOff + i] <= 0) g[gOff + i] = 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) if (a[aOff + i] <= 0) g[gOff + i] *= LEAKY_RELU_ALPHA;
      return;
    case 'elu':
      // For z < 0, a = alpha (e^z - 1), so da/dz = a + alpha.
      for (let i = 0; i < n; i++) {
        const y = a[aOff + i];
        if (y <= 0) g[gOff + i] *= y + ELU_ALPHA;
      }
      return;
    case 'softmax':
      // Jacobian-vector product: dz_j = a_j (g_j - sum_i g_i a_i).
      for (let r = 0; r < rows; r++) {
        const go = gOff + r * cols;
        const ao = aOff + r * cols;
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += g[go + j] * a[ao + j];
        for (let j = 0; j < cols; j++) g[go + j] = a[ao + j] * (g[go + j] - dot);
      }
      return;
  }
}
