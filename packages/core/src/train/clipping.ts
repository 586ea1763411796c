/**
 * Gradient clipping, applied to the mean gradient (penalties included) before the optimizer, as Keras'
 * optimizer arguments: `global_clipnorm` scales the whole gradient by `clipNorm / max(norm, clipNorm)` where
 * `norm` is the L2 norm over every parameter; `clipvalue` clips each element to `[-clipValue, clipValue]`.
 * With both set, the norm is applied first (Keras' order).
 */
import type { FloatArray } from '../types.js';

/**
 * Norms are summed in blocks of this many floats: each block's sum of squares is taken by the thread that owns
 * it (parameter ranges are split at multiples of it), and the blocks are then summed in block order by every
 * thread, so the norm is the same bits whatever the number of threads.
 */
export const NORM_BLOCK = 16;

/** Blocks over `paramCount` parameters: the length of the norm-parts buffer. */
export function normBlockCount(paramCount: number): number {
  return Math.ceil(paramCount / NORM_BLOCK);
}

/**
 * Writes the float64 sum of squares of each block of `grad` inside `[from, to)` into `parts[block]`; `from` must be
 * a multiple of {@link NORM_BLOCK}, `to` one too or the end of the vector.
 */
export function blockSquares(grad: FloatArray, from: number, to: number, parts: Float64Array): void {
  for (let start = from; start < to; start += NORM_BLOCK) {
    const end = Math.min(to, start + NORM_BLOCK);
    let squares = 0;
    for (let i = start; i < end; i++) squares += grad[i] * grad[i];
    parts[start / NORM_BLOCK] = squares;
  }
}

/** The global L2 norm from the first `blocks` block sums, added in block order. */
export function normOfParts(parts: Float64Array, blocks: number): number {
  let squares = 0;
  for (let b = 0; b < blocks; b++) squares += parts[b];
  return Math.sqrt(squares);
}

/** Scales `grad[from .. to)` so that a vector of global norm `norm` ends with norm at most `clipNorm`. */
export function clipToNorm(grad: FloatArray, from: number, to: number, norm: number, clipNorm: number): void {
  if (!(norm > clipNorm)) return;
  const scale = clipNorm / norm;
  for (let i = from; i < to; i++) grad[i] *= scale;
}

/** Clips every element of `grad[from .. to)` to `[-clipValue, clipValue]`. */
export function clipValues(grad: FloatArray, from: number, to: number, clipValue: number): void {
  for (let i = from; i < to; i++) {
    const g = grad[i];
    if (g > clipValue) grad[i] = clipValue;
    else if (g < -clipValue) grad[i] = -clipValue;
  }
}
