/**
 * The dense layer, forward and backward side by side. Both work on a block of `rows` rows; activations and
 * gradients live in caller-owned buffers, parameters and parameter gradients are addressed by the layout's
 * offsets into flat vectors.
 */
import type { Kernels } from '../kernels/kernels.js';
import type { FloatArray } from '../types.js';
import type { DenseLayout } from './layout.js';

/** `out = act(x W + b)`; `x` is `rows x inSize`, `out` is `rows x outSize`. */
export function denseForward(
  k: Kernels,
  l: DenseLayout,
  params: FloatArray,
  x: FloatArray,
  xOff: number,
  out: FloatArray,
  outOff: number,
  rows: number,
): void {
  k.gemmBias(out, outOff, x, xOff, params, l.kernelOffset, params, l.biasOffset, rows, l.inSize, l.outSize);
  k.activationForward(l.activation, out, outOff, rows, l.outSize);
}

/**
 * Given `dz = dL/dz` (`rows x outSize`, already through the activation's derivative), writes the kernel and
 * bias gradients summed over the rows into `grad` (at `gradOff` + the layout's offsets).
 */
export function denseWeightGradient(
  k: Kernels,
  l: DenseLayout,
  x: FloatArray,
  xOff: number,
  dz: FloatArray,
  dzOff: number,
  grad: FloatArray,
  gradOff: number,
  rows: number,
): void {
  k.gemmTnBias(
    grad,
    gradOff + l.kernelOffset,
    grad,
    gradOff + l.biasOffset,
    x,
    xOff,
    dz,
    dzOff,
    rows,
    l.inSize,
    l.outSize,
  );
}

/** The input gradient `dx = dz W^T` (`rows x inSize`) of the layer, row by row. */
export function denseInputGradient(
  k: Kernels,
  l: DenseLayout,
  params: FloatArray,
  dz: FloatArray,
  dzOff: number,
  dx: FloatArray,
  dxOff: number,
  rows: number,
): void {
  k.gemmNt(dx, dxOff, dz, dzOff, params, l.kernelOffset, rows, l.inSize, l.outSize);
}
