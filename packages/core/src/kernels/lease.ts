/**
 * Kernels for one run, lent from a small per-thread stock of WebAssembly instances instead of made fresh.
 *
 * Why: V8 optimises the step's JavaScript for the kernel functions it calls. A fresh instance has fresh export
 * functions, so every new run deoptimised the step and its kernel wrappers ("wrong call target") and compiled
 * them again: on the seed network that was 60-110 ms of compiling over a thread's second and third fit, which on
 * a machine whose cores all train (a search's fits, one per core) comes out of the training. A fresh memory also
 * pays a first touch for each of its pages. A lent instance keeps both: its memory is released back to where the
 * run found it (later allocations are zero-filled again, so a run sees exactly what a fresh instance would give).
 *
 * Each run holds its own instance for as long as it runs, so runs that interleave on one thread never share one.
 */
import { createKernels, type KernelPreference, type Kernels, resolveBackend } from './kernels.js';

/** Kernels lent to one run; `release()` hands them back (call it once, when the run no longer uses them). */
export interface KernelLease {
  readonly kernels: Kernels;
  release(): void;
}

/** Instances kept for reuse in this thread: a run or two at a time is what fit and a search's worker do. */
const STOCK_MAX = 2;
/** A memory grown past this (a large dataset's run) is not kept: WebAssembly memory never shrinks. */
const KEEP_BYTES_MAX = 64 * 1024 * 1024;

const stock: Kernels[] = [];

/**
 * Lends kernels for one run: the TypeScript kernels, or a WebAssembly instance over its own memory with nothing
 * allocated in it (one kept from an earlier run in this thread where there is one), as `createKernels` would.
 */
export function leaseKernels(preference: KernelPreference = 'auto'): KernelLease {
  // The stock holds only WebAssembly instances: take one where the preference resolves to wasm at all.
  const kept = stock.length > 0 && resolveBackend(preference, () => true) === 'wasm' ? stock.pop() : undefined;
  const kernels = kept ?? createKernels(preference);
  const wasm = kernels.wasm;
  if (!wasm) return { kernels, release: () => {} };
  const mark = wasm.mark();
  let released = false;
  return {
    kernels,
    release() {
      if (released) return;
      released = true;
      wasm.release(mark);
      if (stock.length < STOCK_MAX && wasm.memory.buffer.byteLength <= KEEP_BYTES_MAX) stock.push(kernels);
    },
  };
}

/** Runs `use` with kernels lent for it (see {@link leaseKernels}), handing them back when it ends or throws. */
export async function withKernels<T>(
  preference: KernelPreference,
  use: (kernels: Kernels) => T | Promise<T>,
): Promise<T> {
  const lease = leaseKernels(preference);
  try {
    return await use(lease.kernels);
  } finally {
    lease.release();
  }
}
