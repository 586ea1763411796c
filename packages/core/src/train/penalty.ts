/**
 * Weight penalties on every Dense kernel (never on biases), as Keras' `kernel_regularizer=L1L2(l1, l2)`: the
 * loss gains `l1 * sum|w| + l2 * sum w^2` per kernel, and so the gradient gains `l1 * sign(w) + 2 * l2 * w`
 * (sign(0) = 0, as `tf.sign`, the gradient tfjs takes for `tf.abs`).
 */
import type { ParamLayout } from '../model/layout.js';
import type { FloatArray } from '../types.js';

/**
 * The penalty of the current weights: summed in float64, kernel by kernel in layer order and index order
 * within each, so every thread that computes it gets the same bits.
 */
export function kernelPenalty(layout: ParamLayout, params: FloatArray, l1: number, l2: number): number {
  let abs = 0;
  let squares = 0;
  for (const l of layout.layers) {
    const end = l.kernelOffset + l.inSize * l.outSize;
    for (let i = l.kernelOffset; i < end; i++) {
      const w = params[i];
      abs += Math.abs(w);
      squares += w * w;
    }
  }
  return l1 * abs + l2 * squares;
}

/** Adds the penalty's gradient to `grad` over the kernel weights inside `[from, to)`; biases are left alone. */
export function addPenaltyGradient(
  layout: ParamLayout,
  params: FloatArray,
  grad: FloatArray,
  from: number,
  to: number,
  l1: number,
  l2: number,
): void {
  const twoL2 = 2 * l2;
  for (const l of layout.layers) {
    const start = Math.max(from, l.kernelOffset);
    const end = Math.min(to, l.kernelOffset + l.inSize * l.outSize);
    for (let i = start; i < end; i++) {
      const w = params[i];
      grad[i] += l1 * Math.sign(w) + twoL2 * w;
    }
  }
}
