/**
 * The kernel interface: the hot operations of a training step, implemented twice, by the plain TypeScript
 * kernels (the readable reference and fallback) and by WebAssembly SIMD (the fast path). A backend is chosen
 * once per run; every buffer a backend's kernels touch must come from its `alloc`.
 */
import { reduceSlots } from '@shardprop/worker-pool/browser';
import { activationBackward, activationForward } from './activations.js';
import { gemmBias, gemmNt, gemmTnBias } from './gemm.js';
import { loadWasmKernels, type WasmKernels } from './wasm/backend.js';

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
  readonly reduceSlots: typeof reduceSlots;
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
  reduceSlots,
  allocF32: (length) => new Float32Array(length),
};

/** Wraps an instantiated WebAssembly kernel module in the common interface. */
export function wasmKernels(k: WasmKernels): Kernels {
  return {
    backend: 'wasm',
    gemmBias: k.gemmBias as typeof gemmBias,
    gemmTnBias: k.gemmTnBias as typeof gemmTnBias,
    gemmNt: k.gemmNt as typeof gemmNt,
    activationForward: k.activationForward as typeof activationForward,
    activationBackward: k.activationBackward as typeof activationBackward,
    reduceSlots: k.reduceSlots as typeof reduceSlots,
    allocF32: (length) => k.alloc(Float32Array, length),
    wasm: k,
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
