/**
 * The checked kernels: the compiled module's exports behind wrappers with the signatures of the TypeScript kernels
 * (typed arrays and element offsets instead of byte pointers). Each wrapper checks that every array is a Float32Array
 * view of the kernels' memory and that the elements it touches lie inside the view, so a wrong argument is a
 * RangeError or TypeError, never a silent read or write of another array's bytes.
 */
import type { ActivationName } from '../../model/activation-names.js';
import { WASM_ACTIVATION_CODES, type WasmKernelExports } from './abi.js';
import { type Arena, type ArenaArray, type ArenaArrayConstructor, isCount } from './arena.js';

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
   * As `reduceSlots` in `@shardprop/worker-pool` for float32 slots and output, bit for bit: `out[i]` for i in
   * [from, to) is the float32 sum of the slots in slot order, times `scale` in float64, rounded once.
   */
  reduceSlots(
    slots: Float32Array,
    slotCount: number,
    slotLength: number,
    out: Float32Array,
    from: number,
    to: number,
    scale?: number,
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

  /** Byte address of slot `s` (element 0) of a slot-major optimizer state, checking the slot fits. */
  function slot(state: Float32Array, paramCount: number, s: number): number {
    return ptr(state, s * paramCount, paramCount);
  }

  function code(act: ActivationName): number {
    const c = WASM_ACTIVATION_CODES[act];
    if (c === undefined) throw new RangeError(`wasm kernels: unknown activation "${String(act)}"`);
    return c;
  }

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
      raw.gemmBias(ptr(out, outOff, m * n), ptr(a, aOff, m * k), ptr(b, bOff, k * n), ptr(bias, biasOff, n), m, k, n);
    },
    gemmTnBias(out, outOff, biasOut, biasOff, a, aOff, d, dOff, m, k, n) {
      dims(m, k, n);
      raw.gemmTnBias(
        ptr(out, outOff, k * n),
        ptr(biasOut, biasOff, n),
        ptr(a, aOff, m * k),
        ptr(d, dOff, m * n),
        m,
        k,
        n,
      );
    },
    gemmNt(out, outOff, d, dOff, b, bOff, m, k, n) {
      dims(m, k, n);
      raw.gemmNt(ptr(out, outOff, m * k), ptr(d, dOff, m * n), ptr(b, bOff, k * n), m, k, n);
    },
    activationForward(act, z, off, rows, cols) {
      dims(rows, cols, 0);
      raw.activationForward(code(act), ptr(z, off, rows * cols), rows, cols);
    },
    activationBackward(act, g, gOff, a, aOff, rows, cols) {
      dims(rows, cols, 0);
      const len = rows * cols;
      raw.activationBackward(code(act), ptr(g, gOff, len), ptr(a, aOff, len), rows, cols);
    },
    reduceSlots(slots, slotCount, slotLength, out, from, to, scale = 1) {
      if (!(isCount(slotCount) && slotCount >= 1 && isCount(slotLength))) {
        throw new RangeError(`reduceSlots: need slotCount >= 1 and slotLength >= 0, got ${slotCount}, ${slotLength}`);
      }
      if (!(isCount(from) && isCount(to) && from <= to && to <= slotLength)) {
        throw new RangeError(`reduceSlots: need 0 <= from <= to <= slotLength (${slotLength}), got ${from}, ${to}`);
      }
      if (typeof scale !== 'number') throw new TypeError(`reduceSlots: scale must be a number, got ${typeof scale}`);
      raw.reduceSlots(ptr(slots, 0, slotCount * slotLength), slotCount, slotLength, ptr(out, 0, to), from, to, scale);
    },
    sgdUpdate(params, grads, from, to, learningRate) {
      range('sgdUpdate', to, from, to);
      raw.sgdUpdate(ptr(params, 0, to), ptr(grads, 0, to), from, to, learningRate);
    },
    momentumUpdate(params, grads, state, paramCount, from, to, learningRate, momentum, nesterov) {
      range('momentumUpdate', paramCount, from, to);
      const p = ptr(params, 0, to);
      const g = ptr(grads, 0, to);
      raw.momentumUpdate(p, g, slot(state, paramCount, 0), from, to, learningRate, momentum, nesterov ? 1 : 0);
    },
    adamUpdate(params, grads, state, paramCount, from, to, step, learningRate, beta1, beta2, epsilon, decay) {
      range('adamUpdate', paramCount, from, to);
      if (!(Number.isSafeInteger(step) && step >= 1)) {
        throw new RangeError(`adamUpdate: step is 1-based and must be a positive integer, got ${step}`);
      }
      const p = ptr(params, 0, to);
      const g = ptr(grads, 0, to);
      const m = slot(state, paramCount, 0);
      const v = slot(state, paramCount, 1);
      // The bias corrections as adam.ts hoists them, in float64.
      const stepSize = learningRate / (1 - beta1 ** step);
      const invCorrection2 = 1 / (1 - beta2 ** step);
      raw.adamUpdate(
        p,
        g,
        m,
        v,
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
      range('rmspropUpdate', paramCount, from, to);
      // Slots as rmsprop.ts: ms, then mom (momentum > 0), then mg (centered). An absent slot's pointer is unused.
      const ms = slot(state, paramCount, 0);
      const mom = momentum > 0 ? slot(state, paramCount, 1) : ms;
      const mg = centered ? slot(state, paramCount, momentum > 0 ? 2 : 1) : ms;
      const p = ptr(params, 0, to);
      const g = ptr(grads, 0, to);
      raw.rmspropUpdate(p, g, ms, mom, mg, from, to, learningRate, rho, 1 - rho, momentum, epsilon, centered ? 1 : 0);
    },
    mseGradient(a, aOff, y, yOff, dz, dzOff, rows, cols) {
      dims(rows, cols, 0);
      const n = rows * cols;
      return raw.mseGradient(ptr(a, aOff, n), ptr(y, yOff, n), ptr(dz, dzOff, n), n, cols);
    },
    bceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused) {
      dims(rows, cols, 0);
      const n = rows * cols;
      return raw.bceGradient(ptr(a, aOff, n), ptr(y, yOff, n), ptr(dz, dzOff, n), n, cols, fused ? 1 : 0);
    },
    cceGradient(a, aOff, y, yOff, dz, dzOff, rows, cols, fused, sparse) {
      dims(rows, cols, 0);
      const n = rows * cols;
      const yPtr = ptr(y, yOff, sparse ? rows : n);
      if (sparse) {
        // The kernel indexes the output row by the label: check every label first (as loss.ts does).
        for (let r = 0; r < rows; r++) {
          const label = y[yOff + r];
          if (!(Number.isInteger(label) && label >= 0 && label < cols)) {
            throw new RangeError(`sparse label ${label} in row ${r} is not an integer class in [0, ${cols})`);
          }
        }
      }
      return raw.cceGradient(ptr(a, aOff, n), yPtr, ptr(dz, dzOff, n), rows, cols, fused ? 1 : 0, sparse ? 1 : 0);
    },
  };
}
