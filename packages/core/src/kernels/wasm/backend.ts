/**
 * The WebAssembly SIMD kernel backend: the module compiled from `assembly/kernels.ts`, instantiated over a shared
 * `WebAssembly.Memory`, with a bump allocator that places arrays inside that memory and wrappers with the same
 * signatures as the TypeScript kernels (float32 only).
 *
 * Threads: create the kernels once (`loadWasmKernels()`), post `kernels.memory` to each worker and call
 * `loadWasmKernels(memory)` there. Every instance addresses the same bytes, the allocator's state lives in the
 * memory itself (so `alloc` is safe from any thread), and a view made with `alloc`/`view` in one thread and
 * rebuilt with `view(ctor, byteOffset, length)` in another refers to the same floats: nothing is copied.
 *
 * Browser-safe: the module's bytes are embedded as base64, no fs or fetch. Needs WebAssembly SIMD and shared
 * memory (in browsers: a cross-origin isolated page); `loadWasmKernels` returns null where either is missing.
 */
import type { WasmKernelExports } from './abi.js';
import { createWasmMemory, openArena } from './arena.js';
import { checkedKernels, type WasmKernels } from './checked.js';
import { wasmKernelsModule, wasmKernelsSupported } from './module.js';

// The backend's pieces, one module per job: abi.ts (the compiled module's exports), module.ts (feature detection and
// compiling), arena.ts (the shared memory and its allocator), checked.ts (the typed, checked wrappers).
export { WASM_ACTIVATION_CODES, type WasmKernelExports } from './abi.js';
export {
  ALLOC_ALIGN,
  type ArenaArray,
  type ArenaArrayConstructor,
  createWasmMemory,
  DEFAULT_INITIAL_PAGES,
  DEFAULT_MAXIMUM_PAGES,
  HEAP_START,
  MAX_PAGES,
  WASM_PAGE_BYTES,
  type WasmMemoryOptions,
} from './arena.js';
export type { WasmKernels } from './checked.js';
export { adoptWasmKernelsModule, compileWasmKernels, wasmKernelsModule, wasmKernelsSupported } from './module.js';

/**
 * Instantiates the kernels over `memory` (a shared WebAssembly.Memory, e.g. one posted from another thread), or
 * over a new `createWasmMemory()` when omitted. Returns null when WebAssembly SIMD or shared memory is unavailable.
 * The first 64 bytes of the memory hold the allocator's header: place data in it only through `alloc`.
 * @param module the compiled module (e.g. `kernels.module` posted from another thread, or `compileWasmKernels()`'s);
 *   by default this thread's `wasmKernelsModule()`.
 * @throws TypeError when `memory` is not shared.
 */
export function loadWasmKernels(memory?: WebAssembly.Memory, module?: WebAssembly.Module): WasmKernels | null {
  if (!wasmKernelsSupported()) return null;
  module ??= wasmKernelsModule() ?? undefined;
  if (module === undefined) return null;
  if (memory !== undefined && !(memory.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError('loadWasmKernels: the memory must be shared (new WebAssembly.Memory({ ..., shared: true }))');
  }
  const mem = memory ?? createWasmMemory();
  const raw = new WebAssembly.Instance(module, { env: { memory: mem } }).exports as unknown as WasmKernelExports;

  return checkedKernels(mem, module, raw, openArena(mem));
}
