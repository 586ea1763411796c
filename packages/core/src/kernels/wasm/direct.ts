/**
 * The kernels without per-call checks, for the training step's hot loop: each wrapper turns typed arrays and element
 * offsets into byte addresses and calls the module, nothing else. The checks the checked wrappers make on every call
 * (a Float32Array of the kernels' memory, the elements inside the view, sizes non-negative ints, sparse labels class
 * indices) are made once instead, when the step's buffers are set up (`checkStepBuffers` in train/epoch-steps.ts)
 * and when the data is prepared (`checkData` in train/fit.ts); the step then only passes those buffers, with row
 * counts up to the capacity they were checked for. Internal: not exported from the package.
 */
import { badRowIndex, sourceRows } from '../../data/gather.js';
import { WASM_ACTIVATION_CODES, type WasmKernelExports } from './abi.js';
import type { WasmKernels } from './checked.js';

/** The kernel calls of `WasmKernels` whose arguments were checked at setup. */
export type DirectWasmKernels = Pick<
  WasmKernels,
  | 'gemmBias'
  | 'gemmTnBias'
  | 'gemmNt'
  | 'activationForward'
  | 'activationBackward'
  | 'reduceSlotTree'
  | 'presumSlotRun'
  | 'sgdUpdate'
  | 'momentumUpdate'
  | 'adamUpdate'
  | 'rmspropUpdate'
  | 'mseGradient'
  | 'bceGradient'
  | 'cceGradient'
  | 'gatherRows'
>;

/** `view[off]`'s byte address. */
function at(view: Float32Array, off: number): number {
  return view.byteOffset + off * 4;
}

/**
 * Unchecked calls into a module's exports `raw`; every argument must already satisfy the checked wrappers'
 * conditions (the checked wrappers themselves check, then call these).
 */
export function directWasmKernels(raw: WasmKernelExports): DirectWasmKernels {
  const codes = WASM_ACTIVATION_CODES;
  return {
    gemmBias(out, outOff, a, aOff, b, bOff, bias, biasOff, m, kk, n) {
      raw.gemmBias(at(out, outOff), at(a, aOff), at(b, bOff), at(bias, biasOff), m, kk, n);
    },
    gemmTnBias(out, outOff, biasOut, biasOff, a, aOff, d, dOff, m, kk, n) {
      raw.gemmTnBias(at(out, outOff), at(biasOut, biasOff), at(a, aOff), at(d, dOff), m, kk, n);
    },
    gemmNt(out, outOff, d, dOff, b, bOff, m, kk, n) {
      raw.gemmNt(at(out, outOff), at(d, dOff), at(b, bOff), m, kk, n);
    },
    activationForward(act, z, off, rows, cols) {
      raw.activationForward(codes[act], at(z, off), rows, cols);
    },
    activationBackward(act, g, gOff, a, aOff, rows, cols) {
      raw.activationBackward(codes[act], at(g, gOff), at(a, aOff), rows, cols);
    },
    reduceSlotTree(slots, slotCount, slotLength, runs, out, from, to, scale, scratch) {
      raw.sumSlotTree(
        at(slots, 0),
        slotCount,
        slotLength,
        0,
        slotCount,
        runs,
        at(out, 0),
        from,
        to,
        scale,
        at(scratch, 0),
      );
    },
    presumSlotRun(slots, slotCount, slotLength, first, last, scratch) {
      raw.presumSlotRun(at(slots, 0), slotCount, slotLength, first, last, at(scratch, 0));
    },
    sgdUpdate(params, grads, from, to, learningRate) {
      raw.sgdUpdate(at(params, 0), at(grads, 0), from, to, learningRate);
    },
    momentumUpdate(params, grads, state, _paramCount, from, to, learningRate, momentum, nesterov) {
      raw.momentumUpdate(at(params, 0), at(grads, 0), at(state, 0), from, to, learningRate, momentum, nesterov ? 1 : 0);
    },
    adamUpdate(params, grads, state, paramCount, from, to, step, learningRate, beta1, beta2, epsilon, decay) {
      // The bias corrections as adam.ts hoists them, in float64.
      const stepSize = learningRate / (1 - beta1 ** step);
      const invCorrection2 = 1 / (1 - beta2 ** step);
      raw.adamUpdate(
        at(params, 0),
        at(grads, 0),
        at(state, 0),
        at(state, paramCount),
        from,
        to,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        epsilon,
        stepSize,
        invCorrection2,
        decay,
      );
    },
    rmspropUpdate(params, grads, state, paramCount, from, to, learningRate, rho, momentum, epsilon, centered) {
      // Slots as rmsprop.ts: ms, then mom (momentum > 0), then mg (centered). An absent slot's pointer is unused.
      const ms = at(state, 0);
      const mom = momentum > 0 ? at(state, paramCount) : ms;
      const mg = centered ? at(state, (momentum > 0 ? 2 : 1) * paramCount) : ms;
      raw.rmspropUpdate(
        at(params, 0),
        at(grads, 0),
        ms,
        mom,
        mg,
        from,
        to,
        learningRate,
        rho,
        1 - rho,
        momentum,
        epsilon,
        centered ? 1 : 0,
      );
    },
    mseGradient(a, aOff, y, yOff, dz, dzOff, rows, cols) {
      return raw.mseGradient(at(a, aOff), at(y, yOff), at(dz, dzOff), rows * cols, cols);
    },
    bceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused) {
      return raw.bceGradient(at(a, aOff), at(y, yOff), at(dz, dzOff), rows * cols, cols, fused ? 1 : 0);
    },
    cceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused, sparse) {
      return raw.cceGradient(at(a, aOff), at(y, yOff), at(dz, dzOff), rows, cols, fused ? 1 : 0, sparse ? 1 : 0);
    },
    gatherRows(src, cols, order, start, end, out, outRow = 0) {
      // The index check stays in the module (one compare a row): the order is data, not a buffer checked at setup.
      const srcRows = sourceRows(src, cols);
      const bad = raw.gatherRows(at(src, 0), cols, order.byteOffset, start, end, at(out, outRow * cols), srcRows);
      if (bad >= 0) throw badRowIndex(order, bad, srcRows);
      return out;
    },
  };
}
