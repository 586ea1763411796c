/**
 * The kernels' shared memory and the bump allocator that places typed arrays inside it. The allocator's state (a
 * magic word and the heap top) lives in the memory's first bytes, so every thread that instantiates the kernels over
 * one memory allocates from one heap, safely, with compare-and-swap on the top.
 */

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
const HEADER_HIGH = 2; // Uint32 index of the highest top so far: bytes above it were never handed out

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

export function isCount(x: number): boolean {
  return (x | 0) === x && x >= 0;
}

/** The allocator over one shared memory, as `WasmKernels` exposes it (see there for each method's contract). */
export interface Arena {
  alloc<T extends ArenaArray>(ctor: ArenaArrayConstructor<T>, length: number): T;
  view<T extends ArenaArray>(ctor: ArenaArrayConstructor<T>, byteOffset: number, length: number): T;
  owns(view: ArrayBufferView): boolean;
  mark(): number;
  release(mark: number): void;
}

/**
 * The allocator over `mem`, writing the header the first time any thread opens this memory. The first 64 bytes of
 * the memory hold the header: place data in it only through `alloc`.
 */
export function openArena(mem: WebAssembly.Memory): Arena {
  // Every SharedArrayBuffer object this thread has seen for the memory. Growing a shared memory keeps old
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
        // Memory below the highest top may have been used before a release(): hand it out zeroed, like fresh
        // memory. Above it the memory is still as the runtime made it, zeros, and left untouched: writing zeros
        // there would fault in every page at once (a large dataset's pages before its rows even exist).
        const used = Math.min(end, raiseHigh(end)) - start;
        if (used > 0) new Uint8Array(current, start, used).fill(0);
        return view;
      }
    }
  }

  /** Raises the highest top to at least `end`; returns the highest top before. */
  function raiseHigh(end: number): number {
    for (;;) {
      const high = Atomics.load(header, HEADER_HIGH);
      if (high >= end || Atomics.compareExchange(header, HEADER_HIGH, high, end) === high) return high;
    }
  }

  function view<T extends ArenaArray>(ctor: ArenaArrayConstructor<T>, byteOffset: number, length: number): T {
    const end = byteOffset + length * ctor.BYTES_PER_ELEMENT;
    if (!(isCount(byteOffset) && isCount(length)) || end > refresh().byteLength) {
      throw new RangeError(`wasm kernels: view of ${length} elements at byte ${byteOffset} is outside the memory`);
    }
    return new ctor(current, byteOffset, length);
  }

  return {
    alloc,
    view,
    owns,
    mark: () => Atomics.load(header, HEADER_TOP),
    release(mark: number): void {
      if (!isCount(mark) || mark < HEAP_START || mark > Atomics.load(header, HEADER_TOP)) {
        throw new RangeError(`wasm kernels: release(${mark}) is not a mark below the heap top`);
      }
      Atomics.store(header, HEADER_TOP, mark);
    },
  };
}
