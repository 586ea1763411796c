/**
 * Finding and compiling the kernel module: feature detection (WebAssembly SIMD and shared memory), and one compiled
 * `WebAssembly.Module` per thread, from the base64 bytes embedded in the core (no fs or fetch), or adopted from
 * another thread.
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm.generated.js';

// A module that returns an i32x4.splat: valid only where WebAssembly SIMD is.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11,
]);

let supported: boolean | undefined;
let compiled: WebAssembly.Module | undefined;

/** Whether this environment has WebAssembly SIMD, SharedArrayBuffer and shared WebAssembly memories. */
export function wasmKernelsSupported(): boolean {
  if (supported === undefined) {
    try {
      supported =
        typeof WebAssembly === 'object' &&
        typeof SharedArrayBuffer === 'function' &&
        WebAssembly.validate(SIMD_PROBE) &&
        new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      supported = false;
    }
  }
  return supported;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The compiled kernel module, compiled once per thread, synchronously (fine in Node and in workers; a browser's main
 * thread may refuse synchronous compilation of large modules, see `compileWasmKernels`). Null where unsupported.
 */
export function wasmKernelsModule(): WebAssembly.Module | null {
  if (!wasmKernelsSupported()) return null;
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
    } catch {
      supported = false;
      return null;
    }
  }
  return compiled;
}

/**
 * Makes `module` (the kernel module compiled by another thread, received in a message) this thread's kernel
 * module, so that every later `wasmKernelsModule()` / `createKernels()` here uses it instead of compiling its own:
 * threads sharing one module share V8's compiled code, its optimised tier included.
 */
export function adoptWasmKernelsModule(module: WebAssembly.Module): void {
  if (!(module instanceof WebAssembly.Module))
    throw new TypeError('adoptWasmKernelsModule: expected a WebAssembly.Module');
  compiled = module;
}

/** As `wasmKernelsModule`, compiled asynchronously (for a browser's main thread). Resolves null where unsupported. */
export async function compileWasmKernels(): Promise<WebAssembly.Module | null> {
  if (!wasmKernelsSupported()) return null;
  if (compiled === undefined) {
    try {
      compiled = await WebAssembly.compile(decodeBase64(KERNELS_WASM_BASE64));
    } catch {
      supported = false;
      return null;
    }
  }
  return compiled;
}
