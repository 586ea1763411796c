/**
 * The compiled module's interface: its raw exports (byte pointers into the shared memory, sizes as int32) and the
 * activation codes it takes. Everything here must match `assembly/` exactly.
 */
import type { ActivationName } from '../../model/activation-names.js';

/** Activation codes of the compiled kernels: the index in ACTIVATIONS (src/model/activation-names.ts). */
export const WASM_ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = {
  sigmoid: 0,
  tanh: 1,
  relu: 2,
  leakyRelu: 3,
  elu: 4,
  softmax: 5,
  linear: 6,
};

/** The raw exports of the compiled module: byte pointers (int32) into the memory, float32 row-major matrices. */
export interface WasmKernelExports {
  gemmBias(out: number, a: number, b: number, bias: number, m: number, k: number, n: number): void;
  gemmTnBias(out: number, biasOut: number, a: number, d: number, m: number, k: number, n: number): void;
  gemmNt(out: number, d: number, b: number, m: number, k: number, n: number): void;
  activationForward(act: number, z: number, rows: number, cols: number): void;
  activationBackward(act: number, g: number, a: number, rows: number, cols: number): void;
  sumSlotTree(
    slots: number,
    slotCount: number,
    slotLength: number,
    lo: number,
    hi: number,
    runs: number,
    out: number,
    from: number,
    to: number,
    scale: number,
    scratch: number,
  ): void;
  presumSlotRun(
    slots: number,
    slotCount: number,
    slotLength: number,
    first: number,
    last: number,
    scratch: number,
  ): void;
  sgdUpdate(params: number, grads: number, from: number, to: number, lr: number): void;
  momentumUpdate(
    params: number,
    grads: number,
    accum: number,
    from: number,
    to: number,
    lr: number,
    momentum: number,
    nesterov: number,
  ): void;
  adamUpdate(
    params: number,
    grads: number,
    m: number,
    v: number,
    from: number,
    to: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    epsilon: number,
    stepSize: number,
    invCorrection2: number,
    decay: number,
  ): void;
  rmspropUpdate(
    params: number,
    grads: number,
    ms: number,
    mom: number,
    mg: number,
    from: number,
    to: number,
    lr: number,
    rho: number,
    oneMinusRho: number,
    momentum: number,
    epsilon: number,
    centered: number,
  ): void;
  mseGradient(a: number, y: number, dz: number, n: number, cols: number): number;
  bceGradient(a: number, y: number, dz: number, n: number, cols: number, fused: number): number;
  cceGradient(a: number, y: number, dz: number, rows: number, cols: number, fused: number, sparse: number): number;
  /** Copies rows `order[start..end)` (int32 at `order`) of `src` (`srcRows x cols`) to `out`; -1, or the bad k. */
  gatherRows(
    src: number,
    cols: number,
    order: number,
    start: number,
    end: number,
    out: number,
    srcRows: number,
  ): number;
}
