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
import type { ActivationName } from '../../model/activation-names.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.generated.js';

/** Bytes per WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;
/** Default initial size of a memory made by `createWasmMemory`: 256 pages = 16 MiB. */
export const DEFAULT_INITIAL_PAGES = 256;
/** Default maximum: 16384 pages = 1 GiB (address space reserved up front for a shared memory, not committed). */
export const DEFAULT_MAXIMUM_PAGES = 16_384;
/** Largest maximum accepted (2 GiB), so every byte address fits a non-negative int32. */
export const MAX_PAGES = 32_768;
/** Bytes at the start of the memory reserved for the allocator's header; allocations start here. */
export const HEAP_START = 64;
/** Alignment of every allocation, in bytes (a cache line, and a multiple of every element size). */
export const ALLOC_ALIGN = 64;

const MAGIC = 0x53505741; // 'SPWA'
const HEADER_MAGIC = 0; // Uint32 index of the magic word
const HEADER_TOP = 1; // Uint32 index of the heap top (first free byte)

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
  reduceSlots(
    slots: number,
    slotCount: number,
    slotLength: number,
    out: number,
    from: number,
    to: number,
    scale: number,
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
}

/** The typed arrays `alloc` and `view` can make. */
export type ArenaArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** A typed-array constructor, as `Float32Array` or `Int32Array`. */
export interface ArenaArrayConstructor<T extends ArenaArray> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

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

export interface WasmMemoryOptions {
  /** Initial size in bytes (rounded up to whole pages); default 16 MiB. */
  initialBytes?: number;
  /** Maximum size in bytes (rounded up to whole pages, at most 2 GiB); default 1 GiB. */
  maximumBytes?: number;
}

/** A shared memory for the kernels: `{ initial, maximum, shared: true }`. Throws where shared memory is missing. */
export function createWasmMemory(options: WasmMemoryOptions = {}): WebAssembly.Memory {
  const maximum = Math.min(
    MAX_PAGES,
    Math.ceil((options.maximumBytes ?? DEFAULT_MAXIMUM_PAGES * WASM_PAGE_BYTES) / WASM_PAGE_BYTES),
  );
  const initial = Math.min(
    maximum,
    Math.max(1, Math.ceil((options.initialBytes ?? DEFAULT_INITIAL_PAGES * WASM_PAGE_BYTES) / WASM_PAGE_BYTES)),
  );
  return new WebAssembly.Memory({ initial, maximum, shared: true });
}

function isCount(x: number): boolean {
  return (x | 0) === x && x >= 0;
}

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

  // Every SharedArrayBuffer object this instance has seen for the memory. Growing a shared memory keeps old
  // views valid (nothing detaches) but makes `memory.buffer` a new, longer SharedArrayBuffer object, so views
  // made before and after a growth have different `buffer` objects over the same bytes.
  let current = mem.buffer;
  const known = new Set<ArrayBufferLike>([current]);
  const header = new Uint32Array(current, 0, HEAP_START / 4);
  if (Atomics.load(header, HEADER_MAGIC) !== MAGIC) {
    if (Atomics.compareExchange(header, HEADER_TOP, 0, HEAP_START) === 0) Atomics.store(header, HEADER_MAGIC, MAGIC);
  }
  // The memory's own maximum is not readable from JavaScript; growing past it fails in `ensure`.
  const maxBytes = MAX_PAGES * WASM_PAGE_BYTES;

  function refresh(): ArrayBufferLike {
    const buffer = mem.buffer;
    if (buffer !== current) {
      current = buffer;
      known.add(buffer);
    }
    return buffer;
  }

  function owns(view: ArrayBufferView): boolean {
    const buffer = view.buffer;
    return buffer === current || known.has(buffer) || buffer === refresh();
  }

  function ensure(end: number): void {
    const have = refresh().byteLength;
    if (end <= have) return;
    try {
      mem.grow(Math.ceil((end - have) / WASM_PAGE_BYTES));
    } catch (error) {
      throw new RangeError(
        `wasm kernels: cannot grow the shared memory to ${end} bytes (${(error as Error).message}); ` +
          'pass a larger maximumBytes to createWasmMemory',
      );
    }
    refresh();
  }

  function alloc<T extends ArenaArray>(ctor: ArenaArrayConstructor<T>, length: number): T {
    if (!isCount(length)) throw new RangeError(`wasm kernels: alloc length must be a non-negative int, got ${length}`);
    const bytes = length * ctor.BYTES_PER_ELEMENT;
    for (;;) {
      const top = Atomics.load(header, HEADER_TOP);
      const start = Math.ceil(top / ALLOC_ALIGN) * ALLOC_ALIGN;
      const end = start + bytes;
      if (end > maxBytes) throw new RangeError(`wasm kernels: alloc of ${bytes} bytes exceeds the 2 GiB address space`);
      ensure(end);
      if (Atomics.compareExchange(header, HEADER_TOP, top, end) === top) {
        const view = new ctor(current, start, length);
        // Memory below the top may have been used before a release(): hand it out zeroed, like fresh memory.
        view.fill(0);
        return view;
      }
    }
  }

  function view<T extends ArenaArray>(ctor: ArenaArrayConstructor<T>, byteOffset: number, length: number): T {
    const end = byteOffset + length * ctor.BYTES_PER_ELEMENT;
    if (!(isCount(byteOffset) && isCount(length)) || end > refresh().byteLength) {
      throw new RangeError(`wasm kernels: view of ${length} elements at byte ${byteOffset} is outside the memory`);
    }
    return new ctor(current, byteOffset, length);
  }

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
    if (
      (view.buffer === current || owns(view)) &&
      view instanceof Float32Array &&
      (off | 0) === off &&
      off >= 0 &&
      off + len <= view.length
    ) {
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
    memory: mem,
    module,
    raw,
    alloc,
    view,
    owns,
    ptr,
    mark: () => Atomics.load(header, HEADER_TOP),
    release(mark: number): void {
      if (!isCount(mark) || mark < HEAP_START || mark > Atomics.load(header, HEADER_TOP)) {
        throw new RangeError(`wasm kernels: release(${mark}) is not a mark below the heap top`);
      }
      Atomics.store(header, HEADER_TOP, mark);
    },
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
