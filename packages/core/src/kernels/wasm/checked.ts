/**
 * The checked kernels: the compiled module's exports behind wrappers with the signatures of the TypeScript kernels
 * (typed arrays and element offsets instead of byte pointers). Each wrapper checks that every array is a Float32Array
 * view of the kernels' memory and that the elements it touches lie inside the view, so a wrong argument is a
 * RangeError or TypeError, never a silent read or write of another array's bytes. Having checked, each wrapper
 * calls the direct one (`direct.ts`), which turns the arrays into byte addresses: the two cannot disagree.
 */

import { slotTreeScratchLength } from '@shardprop/worker-pool/browser';
import { checkGather } from '../../data/gather.js';
import type { ActivationName } from '../../model/activation-names.js';
import { WASM_ACTIVATION_CODES, type WasmKernelExports } from './abi.js';
import { type Arena, type ArenaArray, type ArenaArrayConstructor, isCount } from './arena.js';
import { directWasmKernels } from './direct.js';

export interface WasmKernels {
  /** The shared memory every kernel reads and writes (its `buffer` is a SharedArrayBuffer). */
  readonly memory: WebAssembly.Memory;
  /** The compiled module; it can be posted to workers alongside `memory`. */
  readonly module: WebAssembly.Module;
  /** The unchecked exports, for callers that precompute byte pointers (see `ptr`). */
  readonly raw: WasmKernelExports;

  /**
   * A new zero-initialised array of `length` elements inside the memory, 64-byte aligned, growing the memory when
   * needed. Safe to call from several threads at once. The memory is never freed except by `release`.
   * @throws RangeError when the memory's maximum would be exceeded.
   */
  alloc<T extends ArenaArray>(ctor: ArenaArrayConstructor<T>, length: number): T;
  /** A view of `length` elements at `byteOffset` (e.g. one that another thread allocated). */
  view<T extends ArenaArray>(ctor: ArenaArrayConstructor<T>, byteOffset: number, length: number): T;
  /** The current heap top, to pass to `release` later. */
  mark(): number;
  /**
   * Frees everything allocated after `mark` (views made since then must no longer be used). Not thread-safe:
   * call it only while no other thread allocates. Later allocations are zero-filled again.
   */
  release(mark: number): void;
  /** Whether `view` lies in this memory (and so can be passed to the kernels). */
  owns(view: ArrayBufferView): boolean;
  /**
   * The byte address of `view[off]` for the raw exports, checking that the view is a Float32Array in this memory
   * and that `len` elements from `off` lie inside it.
   */
  ptr(view: Float32Array, off?: number, len?: number): number;

  /** As `gemmBias` in `../gemm.ts`: `out[m x n] = a[m x k] b[k x n] + bias[n]`. */
  gemmBias(
    out: Float32Array,
    outOff: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    bias: Float32Array,
    biasOff: number,
    m: number,
    k: number,
    n: number,
  ): void;
  /** As `gemmTnBias` in `../gemm.ts`: `out[k x n] = a^T d`, `biasOut[n] = column sums of d` (overwrites). */
  gemmTnBias(
    out: Float32Array,
    outOff: number,
    biasOut: Float32Array,
    biasOff: number,
    a: Float32Array,
    aOff: number,
    d: Float32Array,
    dOff: number,
    m: number,
    k: number,
    n: number,
  ): void;
  /** As `gemmNt` in `../gemm.ts`: `out[m x k] = d[m x n] b[k x n]^T`. */
  gemmNt(
    out: Float32Array,
    outOff: number,
    d: Float32Array,
    dOff: number,
    b: Float32Array,
    bOff: number,
    m: number,
    k: number,
    n: number,
  ): void;
  /** As `activationForward` in `../activations.ts`. */
  activationForward(act: ActivationName, z: Float32Array, off: number, rows: number, cols: number): void;
  /** As `activationBackward` in `../activations.ts` (bit for bit identical to it for float32 arrays). */
  activationBackward(
    act: ActivationName,
    g: Float32Array,
    gOff: number,
    a: Float32Array,
    aOff: number,
    rows: number,
    cols: number,
  ): void;
  /**
   * As `reduceSlotTree` in `@shardprop/worker-pool` for float32 slots, output and scratch, bit for bit: `out[i]` for
   * i in [from, to) is the float32 sum of the slots in the slot tree's order (a node inside one of `runs` runs read
   * from its first slot, pre-summed), times `scale` in float64, rounded once.
   */
  reduceSlotTree(
    slots: Float32Array,
    slotCount: number,
    slotLength: number,
    runs: number,
    out: Float32Array,
    from: number,
    to: number,
    scale: number,
    scratch: Float32Array,
  ): void;
  /** As `presumSlotRun` in `@shardprop/worker-pool` for float32 slots and scratch, bit for bit. */
  presumSlotRun(
    slots: Float32Array,
    slotCount: number,
    slotLength: number,
    first: number,
    last: number,
    scratch: Float32Array,
  ): void;

  // Optimizer updates over the parameters [from, to) of `paramCount`, in float32 (see src/optim/*.ts for the
  // formulas; the TypeScript optimizers compute in float64, so results agree to a few float32 ulps). `state` is
  // slot-major as in the Optimizer contract. Each element's arithmetic is independent of from/to.

  /** SGD: `p <- p - lr g`. */
  sgdUpdate(params: Float32Array, grads: Float32Array, from: number, to: number, learningRate: number): void;
  /** Momentum SGD, classic or Nesterov; state: the accumulator (1 slot). */
  momentumUpdate(
    params: Float32Array,
    grads: Float32Array,
    state: Float32Array,
    paramCount: number,
    from: number,
    to: number,
    learningRate: number,
    momentum: number,
    nesterov: boolean,
  ): void;
  /**
   * Adam at the 1-based `step`; `decay` is AdamW's decoupled `learningRate * weightDecay`, applied first (0 for
   * Adam). State: m, v (2 slots).
   */
  adamUpdate(
    params: Float32Array,
    grads: Float32Array,
    state: Float32Array,
    paramCount: number,
    from: number,
    to: number,
    step: number,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    decay: number,
  ): void;
  /** RMSprop, plain or centered; state: ms, then mom when momentum > 0, then mg when centered. */
  rmspropUpdate(
    params: Float32Array,
    grads: Float32Array,
    state: Float32Array,
    paramCount: number,
    from: number,
    to: number,
    learningRate: number,
    rho: number,
    momentum: number,
    epsilon: number,
    centered: boolean,
  ): void;

  // Loss gradients, as the matching cases of `lossAndGradient` in src/losses/loss.ts before its activation
  // backward pass (dz bit for bit, loss sums too as far as this engine's Math.log is fdlibm's): each returns the
  // loss summed over the rows and writes dz (fused) or dL/da (not fused) for `rows x cols` outputs.

  /** meanSquaredError: dL/da. */
  mseGradient(
    a: Float32Array,
    aOff: number,
    y: Float32Array,
    yOff: number,
    dz: Float32Array,
    dzOff: number,
    rows: number,
    cols: number,
  ): number;
  /** binaryCrossentropy: dL/dz of a sigmoid output when `fused`, else dL/da. */
  bceGradient(
    a: Float32Array,
    aOff: number,
    y: Float32Array,
    yOff: number,
    dz: Float32Array,
    dzOff: number,
    rows: number,
    cols: number,
    fused: boolean,
  ): number;
  /**
   * categoricalCrossentropy, or its sparse form (`y` one class index per row): dL/dz of a softmax output when
   * `fused`, else dL/da. @throws RangeError for a sparse label that is not a class index.
   */
  cceGradient(
    a: Float32Array,
    aOff: number,
    y: Float32Array,
    yOff: number,
    dz: Float32Array,
    dzOff: number,
    rows: number,
    cols: number,
    fused: boolean,
    sparse: boolean,
  ): number;
  /**
   * As `gatherRows` in `../../data/gather.ts` for float32 rows: copies rows `order[start] .. order[end - 1]` of
   * `src` (`cols` floats a row) into `out` from row `outRow`; `order` is an Int32Array of this memory too.
   * @throws RangeError (the TypeScript function's words) for a bad range, too small an `out` or an index that is
   *   not a row of `src`: the rows before it are copied.
   */
  gatherRows(
    src: Float32Array,
    cols: number,
    order: Int32Array,
    start: number,
    end: number,
    out: Float32Array,
    outRow?: number,
  ): Float32Array;
}

/** The kernels over `memory` (an instance of `module` whose exports are `raw`, allocating through `arena`). */
export function checkedKernels(
  memory: WebAssembly.Memory,
  module: WebAssembly.Module,
  raw: WasmKernelExports,
  arena: Arena,
): WasmKernels {
  const { owns } = arena;

  function fail(view: Float32Array, off: number, len: number): never {
    if (!(view instanceof Float32Array)) throw new TypeError('wasm kernels: arrays must be Float32Array views');
    if (!owns(view)) {
      throw new TypeError(
        'wasm kernels: array is not a view of this WebAssembly memory (allocate it with kernels.alloc or kernels.view)',
      );
    }
    throw new RangeError(
      `wasm kernels: ${len} elements at offset ${off} do not fit in an array of length ${view.length}`,
    );
  }

  /** Byte address of view[off], checking the memory, the element type and that [off, off + len) is inside. */
  function ptr(view: Float32Array, off = 0, len = 0): number {
    if (owns(view) && view instanceof Float32Array && (off | 0) === off && off >= 0 && off + len <= view.length) {
      return view.byteOffset + off * 4;
    }
    return fail(view, off, len);
  }

  function dims(m: number, k: number, n: number): void {
    if (!(isCount(m) && isCount(k) && isCount(n))) {
      throw new RangeError(`wasm kernels: sizes must be non-negative ints, got m=${m} k=${k} n=${n}`);
    }
  }

  /** Checks an update's range: 0 <= from <= to <= paramCount, all ints. */
  function range(name: string, paramCount: number, from: number, to: number): void {
    if (!(isCount(paramCount) && isCount(from) && isCount(to) && from <= to && to <= paramCount)) {
      throw new RangeError(`${name}: need 0 <= from <= to <= paramCount (${paramCount}), got ${from}, ${to}`);
    }
  }

  /** Checks that `view` is a Float32Array of this memory holding `len` elements from `off`. */
  function fits(view: Float32Array, off: number, len: number): void {
    ptr(view, off, len);
  }

  /** Checks that a slot-major optimizer state holds `count` slots of `paramCount`. */
  function slots(state: Float32Array, paramCount: number, count: number): void {
    for (let s = 0; s < count; s++) fits(state, s * paramCount, paramCount);
  }

  /** A loss gradient's checks: sizes, the outputs and dz (`rows x cols`) and the targets (`yLen`). */
  function lossArgs(
    a: Float32Array,
    aOff: number,
    y: Float32Array,
    yOff: number,
    yLen: number,
    dz: Float32Array,
    dzOff: number,
    rows: number,
    cols: number,
  ): void {
    dims(rows, cols, 0);
    fits(a, aOff, rows * cols);
    fits(y, yOff, yLen);
    fits(dz, dzOff, rows * cols);
  }

  /** Checks that the module has a code for `act` (the direct call would pass it on as undefined). */
  function knownActivation(act: ActivationName): void {
    if (WASM_ACTIVATION_CODES[act] === undefined) {
      throw new RangeError(`wasm kernels: unknown activation "${String(act)}"`);
    }
  }

  /** A slot tree's checks: the counts, every slot inside `slots`, and scratch enough for the tree. */
  function slotTree(name: string, slots: Float32Array, slotCount: number, slotLength: number, scratch: Float32Array) {
    if (!(isCount(slotCount) && slotCount >= 1 && isCount(slotLength))) {
      throw new RangeError(`${name}: need slotCount >= 1 and slotLength >= 0, got ${slotCount}, ${slotLength}`);
    }
    fits(slots, 0, slotCount * slotLength);
    fits(scratch, 0, slotTreeScratchLength(slotCount));
  }

  // The calls themselves are the direct ones: each wrapper below only checks, then passes its arguments on.
  const direct = directWasmKernels(raw);

  return {
    memory,
    module,
    raw,
    alloc: arena.alloc,
    view: arena.view,
    owns,
    ptr,
    mark: arena.mark,
    release: arena.release,
    gemmBias(out, outOff, a, aOff, b, bOff, bias, biasOff, m, k, n) {
      dims(m, k, n);
      fits(out, outOff, m * n);
      fits(a, aOff, m * k);
      fits(b, bOff, k * n);
      fits(bias, biasOff, n);
      direct.gemmBias(out, outOff, a, aOff, b, bOff, bias, biasOff, m, k, n);
    },
    gemmTnBias(out, outOff, biasOut, biasOff, a, aOff, d, dOff, m, k, n) {
      dims(m, k, n);
      fits(out, outOff, k * n);
      fits(biasOut, biasOff, n);
      fits(a, aOff, m * k);
      fits(d, dOff, m * n);
      direct.gemmTnBias(out, outOff, biasOut, biasOff, a, aOff, d, dOff, m, k, n);
    },
    gemmNt(out, outOff, d, dOff, b, bOff, m, k, n) {
      dims(m, k, n);
      fits(out, outOff, m * k);
      fits(d, dOff, m * n);
      fits(b, bOff, k * n);
      direct.gemmNt(out, outOff, d, dOff, b, bOff, m, k, n);
    },
    activationForward(act, z, off, rows, cols) {
      dims(rows, cols, 0);
      knownActivation(act);
      fits(z, off, rows * cols);
      direct.activationForward(act, z, off, rows, cols);
    },
    activationBackward(act, g, gOff, a, aOff, rows, cols) {
      dims(rows, cols, 0);
      knownActivation(act);
      fits(g, gOff, rows * cols);
      fits(a, aOff, rows * cols);
      direct.activationBackward(act, g, gOff, a, aOff, rows, cols);
    },
    reduceSlotTree(slots, slotCount, slotLength, runs, out, from, to, scale, scratch) {
      slotTree('reduceSlotTree', slots, slotCount, slotLength, scratch);
      if (!(isCount(runs) && runs >= 1)) throw new RangeError(`reduceSlotTree: need runs >= 1, got ${runs}`);
      if (!(isCount(from) && isCount(to) && from <= to && to <= slotLength)) {
        throw new RangeError(`reduceSlotTree: need 0 <= from <= to <= slotLength (${slotLength}), got ${from}, ${to}`);
      }
      if (typeof scale !== 'number') throw new TypeError(`reduceSlotTree: scale must be a number, got ${typeof scale}`);
      fits(out, 0, to);
      direct.reduceSlotTree(slots, slotCount, slotLength, runs, out, from, to, scale, scratch);
    },
    presumSlotRun(slots, slotCount, slotLength, first, last, scratch) {
      slotTree('presumSlotRun', slots, slotCount, slotLength, scratch);
      if (!(isCount(first) && isCount(last) && first <= last && last <= slotCount)) {
        throw new RangeError(
          `presumSlotRun: need 0 <= first <= last <= slotCount (${slotCount}), got ${first}, ${last}`,
        );
      }
      direct.presumSlotRun(slots, slotCount, slotLength, first, last, scratch);
    },
    sgdUpdate(params, grads, from, to, learningRate) {
      range('sgdUpdate', to, from, to);
      fits(params, 0, to);
      fits(grads, 0, to);
      direct.sgdUpdate(params, grads, from, to, learningRate);
    },
    momentumUpdate(params, grads, state, paramCount, from, to, learningRate, momentum, nesterov) {
      range('momentumUpdate', paramCount, from, to);
      fits(params, 0, to);
      fits(grads, 0, to);
      slots(state, paramCount, 1);
      direct.momentumUpdate(params, grads, state, paramCount, from, to, learningRate, momentum, nesterov);
    },
    adamUpdate(params, grads, state, paramCount, from, to, step, learningRate, beta1, beta2, epsilon, decay) {
      range('adamUpdate', paramCount, from, to);
      if (!(Number.isSafeInteger(step) && step >= 1)) {
        throw new RangeError(`adamUpdate: step is 1-based and must be a positive integer, got ${step}`);
      }
      fits(params, 0, to);
      fits(grads, 0, to);
      slots(state, paramCount, 2);
      direct.adamUpdate(params, grads, state, paramCount, from, to, step, learningRate, beta1, beta2, epsilon, decay);
    },
    rmspropUpdate(params, grads, state, paramCount, from, to, learningRate, rho, momentum, epsilon, centered) {
      range('rmspropUpdate', paramCount, from, to);
      // Slots as rmsprop.ts: ms, then mom (momentum > 0), then mg (centered).
      slots(state, paramCount, 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0));
      fits(params, 0, to);
      fits(grads, 0, to);
      direct.rmspropUpdate(params, grads, state, paramCount, from, to, learningRate, rho, momentum, epsilon, centered);
    },
    mseGradient(a, aOff, y, yOff, dz, dzOff, rows, cols) {
      lossArgs(a, aOff, y, yOff, rows * cols, dz, dzOff, rows, cols);
      return direct.mseGradient(a, aOff, y, yOff, dz, dzOff, rows, cols);
    },
    bceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused) {
      lossArgs(a, aOff, y, yOff, rows * cols, dz, dzOff, rows, cols);
      return direct.bceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused);
    },
    cceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused, sparse) {
      lossArgs(a, aOff, y, yOff, sparse ? rows : rows * cols, dz, dzOff, rows, cols);
      if (sparse) {
        // The kernel indexes the output row by the label: check every label first (as loss.ts does).
        for (let r = 0; r < rows; r++) {
          const label = y[yOff + r];
          if (!(Number.isInteger(label) && label >= 0 && label < cols)) {
            throw new RangeError(`sparse label ${label} in row ${r} is not an integer class in [0, ${cols})`);
          }
        }
      }
      return direct.cceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused, sparse);
    },
    gatherRows(src, cols, order, start, end, out, outRow = 0) {
      if (!(isCount(cols) && cols >= 1)) throw new RangeError(`gatherRows: cols must be a positive int, got ${cols}`);
      checkGather(cols, order, start, end, out, outRow);
      fits(src, 0, src.length);
      fits(out, outRow * cols, (end - start) * cols);
      if (!(order instanceof Int32Array && owns(order))) {
        throw new TypeError('gatherRows: order must be an Int32Array view of this WebAssembly memory');
      }
      return direct.gatherRows(src, cols, order, start, end, out, outRow);
    },
  };
}
