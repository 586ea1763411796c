/**
 * The kernel interface: the hot operations of a training step, implemented twice, by the plain TypeScript
 * kernels (the readable reference and fallback) and by WebAssembly SIMD (the fast path). A backend is chosen
 * once per run; every buffer a backend's kernels touch must come from its `alloc`.
 */
import { presumSlotRun, reduceSlotTree } from '@shardprop/worker-pool/browser';
import { gatherRows } from '../data/gather.js';
import { lossAndGradient } from '../losses/loss.js';
import { AdamOptimizer } from '../optim/adam.js';
import { MomentumOptimizer } from '../optim/momentum.js';
import type { Optimizer } from '../optim/optimizer.js';
import { RmsPropOptimizer } from '../optim/rmsprop.js';
import { SgdOptimizer } from '../optim/sgd.js';
import type { FloatArray } from '../types.js';
import { activationBackward, activationForward } from './activations.js';
import { gemmBias, gemmNt, gemmTnBias } from './gemm.js';
import { loadWasmKernels, type WasmKernels } from './wasm/backend.js';
import { type DirectWasmKernels, directWasmKernels } from './wasm/direct.js';

export type KernelBackend = 'js' | 'wasm';
/** `auto` picks wasm where WebAssembly SIMD and shared memory exist, unless `SHARDPROP_KERNELS=js` is set. */
export type KernelPreference = KernelBackend | 'auto';

export interface Kernels {
  readonly backend: KernelBackend;
  readonly gemmBias: typeof gemmBias;
  readonly gemmTnBias: typeof gemmTnBias;
  readonly gemmNt: typeof gemmNt;
  readonly activationForward: typeof activationForward;
  readonly activationBackward: typeof activationBackward;
  /** The shard slots' mean gradient, summed in the slot tree's order (`reduceSlotTree` in @shardprop/worker-pool). */
  readonly reduceSlotTree: typeof reduceSlotTree;
  /** A thread's run of shard slots pre-summed in place, for `reduceSlotTree` (`presumSlotRun` there). */
  readonly presumSlotRun: typeof presumSlotRun;
  /** The loss and its gradient fused with the output activation's backward pass (`../losses/loss.ts`). */
  readonly lossAndGradient: typeof lossAndGradient;
  /**
   * A batch's rows copied out of the data by the epoch's order (`../data/gather.ts`). On `wasm` a WebAssembly loop
   * (about 8x the TypeScript one), so the data, the order (an Int32Array) and the destination must all lie in the
   * kernels' memory; {@link withTypeScriptGather} gives kernels for data that does not.
   */
  readonly gatherRows: typeof gatherRows;
  /**
   * `optimizer.update(params, grads, state, paramCount, from, to, step, learningRate)` on this backend. The TypeScript
   * `update` is the reference (and what `js` runs); `wasm` runs the built-in optimizers' formulas in float32
   * SIMD, within a few float32 ulps of it and, like it, independent of how [0, paramCount) is split into ranges.
   */
  optimizerUpdate(
    optimizer: Optimizer,
    params: FloatArray,
    grads: FloatArray,
    state: FloatArray,
    paramCount: number,
    from: number,
    to: number,
    step: number,
    /** This update's learning rate (a schedule's value for the epoch); default `optimizer.config.learningRate`. */
    learningRate?: number,
  ): void;
  /** A zeroed Float32Array of `length` the kernels can address. */
  allocF32(length: number): Float32Array;
  /** The WebAssembly instance behind a `wasm` backend (memory, module), for handing to worker threads. */
  readonly wasm?: WasmKernels;
}

/** The TypeScript kernels: work on any typed array, float32 or float64. */
export const jsKernels: Kernels = {
  backend: 'js',
  gemmBias,
  gemmTnBias,
  gemmNt,
  activationForward,
  activationBackward,
  reduceSlotTree,
  presumSlotRun,
  lossAndGradient,
  gatherRows,
  optimizerUpdate: (optimizer, params, grads, state, paramCount, from, to, step, learningRate) =>
    optimizer.update(params, grads, state, paramCount, from, to, step, learningRate),
  allocF32: (length) => new Float32Array(length),
};

/** Wraps an instantiated WebAssembly kernel module in the common interface; every call checks its arguments. */
export function wasmKernels(k: WasmKernels): Kernels {
  return wasmKernelsWith(k, k);
}

/**
 * `kernels` with the WebAssembly wrappers' per-call checks left out (the js kernels unchanged), for a hot loop whose
 * buffers were checked once (`checkStepBuffers`). Internal: not exported from the package.
 */
export function uncheckedKernels(kernels: Kernels): Kernels {
  if (!kernels.wasm) return kernels;
  // One unchecked set per instance: the step's code, optimised for these functions, stays valid for every run
  // that reuses the instance (see lease.ts).
  let direct = unchecked.get(kernels.wasm);
  if (!direct) {
    direct = wasmKernelsWith(kernels.wasm, directWasmKernels(kernels.wasm.raw));
    unchecked.set(kernels.wasm, direct);
  }
  return direct;
}

const unchecked = new WeakMap<WasmKernels, Kernels>();

/**
 * `kernels` gathering rows with the TypeScript loop (the same bits), for a run whose data does not lie in the wasm
 * kernels' memory (rows too large for it stay where they are). One set per kernels object, as `uncheckedKernels`.
 * Internal: not exported from the package.
 */
export function withTypeScriptGather(kernels: Kernels): Kernels {
  if (kernels.gatherRows === gatherRows) return kernels;
  let set = typeScriptGather.get(kernels);
  if (!set) {
    set = { ...kernels, gatherRows };
    typeScriptGather.set(kernels, set);
  }
  return set;
}

/** Whether `kernels` gather rows in WebAssembly (so every array of a gather must lie in their memory). */
export function gathersInWasm(kernels: Kernels): boolean {
  return kernels.wasm !== undefined && kernels.gatherRows !== gatherRows;
}

const typeScriptGather = new WeakMap<Kernels, Kernels>();

/** The common interface over `k`'s memory, making the kernel calls through `calls` (checked or direct). */
function wasmKernelsWith(k: WasmKernels, calls: DirectWasmKernels): Kernels {
  return {
    backend: 'wasm',
    gemmBias: calls.gemmBias as typeof gemmBias,
    gemmTnBias: calls.gemmTnBias as typeof gemmTnBias,
    gemmNt: calls.gemmNt as typeof gemmNt,
    activationForward: calls.activationForward as typeof activationForward,
    activationBackward: calls.activationBackward as typeof activationBackward,
    reduceSlotTree: calls.reduceSlotTree as typeof reduceSlotTree,
    presumSlotRun: calls.presumSlotRun as typeof presumSlotRun,
    lossAndGradient: wasmLossAndGradient(calls),
    gatherRows: calls.gatherRows as typeof gatherRows,
    optimizerUpdate: wasmOptimizerUpdate(calls),
    allocF32: (length) => k.alloc(Float32Array, length),
    wasm: k,
  };
}

/** `lossAndGradient` on the wasm kernels: the same cases as loss.ts, each with the same fusing rule. */
function wasmLossAndGradient(k: DirectWasmKernels): typeof lossAndGradient {
  return (loss, act, a, aOff, y, yOff, dz, dzOff, rows, cols) => {
    // Float32Array views of the kernels' memory (the wrappers check it); casts only, no copies.
    const a32 = a as Float32Array;
    const y32 = y as Float32Array;
    const dz32 = dz as Float32Array;
    let total: number;
    let fused: boolean;
    if (loss === 'meanSquaredError') {
      fused = false;
      total = k.mseGradient(a32, aOff, y32, yOff, dz32, dzOff, rows, cols);
    } else if (loss === 'binaryCrossentropy') {
      fused = act === 'sigmoid';
      total = k.bceGradient(a32, aOff, y32, yOff, dz32, dzOff, rows, cols, fused);
    } else {
      fused = act === 'softmax';
      const sparse = loss === 'sparseCategoricalCrossentropy';
      total = k.cceGradient(a32, aOff, y32, yOff, dz32, dzOff, rows, cols, fused, sparse);
    }
    // Not fused: the kernel wrote dL/da; the activation's derivative turns it into dL/dz.
    if (!fused) k.activationBackward(act, dz32, dzOff, a32, aOff, rows, cols);
    return total;
  };
}

/**
 * `optimizerUpdate` on the wasm kernels: the built-in optimizers (recognised by class, so a user's own
 * `Optimizer` keeps its `update`) with the hyperparameters of their resolved config. Every array must live in
 * the kernels' memory, the state included.
 */
function wasmOptimizerUpdate(k: DirectWasmKernels): Kernels['optimizerUpdate'] {
  return (optimizer, params, grads, state, paramCount, from, to, step, learningRate) => {
    const p = params as Float32Array;
    const lr = learningRate ?? optimizer.config.learningRate;
    const g = grads as Float32Array;
    const s = state as Float32Array;
    const c = optimizer.config;
    if (optimizer instanceof SgdOptimizer) k.sgdUpdate(p, g, from, to, lr);
    else if (optimizer instanceof MomentumOptimizer) {
      k.momentumUpdate(p, g, s, paramCount, from, to, lr, c.momentum, c.nesterov);
    } else if (optimizer instanceof AdamOptimizer) {
      // AdamW's decoupled decay, as adam.ts computes it (weightDecay resolves to 0 for plain Adam).
      const decay = lr * c.weightDecay;
      k.adamUpdate(p, g, s, paramCount, from, to, step, lr, c.beta1, c.beta2, c.epsilon, decay);
    } else if (optimizer instanceof RmsPropOptimizer) {
      k.rmspropUpdate(p, g, s, paramCount, from, to, lr, c.rho, c.momentum, c.epsilon, c.centered);
    } else optimizer.update(params, grads, state, paramCount, from, to, step, lr);
  };
}

function envPreference(): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.SHARDPROP_KERNELS;
}

/** Validates a user-supplied kernel preference. */
export function parseKernelPreference(value: unknown): KernelPreference {
  if (value === 'auto' || value === 'js' || value === 'wasm') return value;
  throw new RangeError(`kernels must be "auto", "js" or "wasm", got ${JSON.stringify(value)}`);
}

/**
 * Resolves a preference to a backend name without instantiating anything: `auto` means wasm when supported and
 * not overridden by `SHARDPROP_KERNELS=js`.
 */
export function resolveBackend(preference: KernelPreference = 'auto', wasmAvailable: () => boolean): KernelBackend {
  const pref = preference === 'auto' ? parseKernelPreference(envPreference() ?? 'auto') : preference;
  if (pref === 'js') return 'js';
  if (wasmAvailable()) return 'wasm';
  if (pref === 'wasm')
    throw new Error('kernels "wasm" requested, but WebAssembly SIMD with shared memory is unavailable');
  return 'js';
}

/**
 * Kernels for one training run: fresh WebAssembly kernels over their own shared memory (or over `memory`), or
 * the TypeScript ones.
 */
export function createKernels(preference: KernelPreference = 'auto', memory?: WebAssembly.Memory): Kernels {
  let loaded: WasmKernels | null = null;
  const backend = resolveBackend(preference, () => {
    loaded = loadWasmKernels(memory);
    return loaded !== null;
  });
  return backend === 'wasm' && loaded ? wasmKernels(loaded) : jsKernels;
}
