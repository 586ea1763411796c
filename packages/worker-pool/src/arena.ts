/**
 * One block of shared memory carved into named typed-array views. The main thread creates the arena once, hands
 * its plain `describe()` object to every worker, and each worker rebuilds identical views over the same bytes, so
 * nothing hot is ever copied between threads. Views start on 64-byte boundaries so that two views never share a
 * cache line (no false sharing between data written by different threads) and so that SIMD kernels addressing
 * the same bytes through a shared `WebAssembly.Memory` see aligned pointers.
 */

/** Element type of an arena view: 32-bit float, 64-bit float or 32-bit signed integer. */
export type ArenaViewType = 'f32' | 'f64' | 'i32';

/** The typed array class that backs each {@link ArenaViewType}. */
export interface ArenaArrayTypes {
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
}

/** Any array an arena view can be. */
export type ArenaArray = ArenaArrayTypes[ArenaViewType];

/** One requested view: its element type and its length in elements. */
export interface ArenaViewSpec {
  readonly type: ArenaViewType;
  readonly length: number;
}

/** The requested views by name. Views are laid out in the object's key order. */
export type ArenaLayout = Readonly<Record<string, ArenaViewSpec>>;

/** Where one view lives: its element type, absolute byte offset into the buffer, and length in elements. */
export interface ArenaViewPlacement {
  readonly type: ArenaViewType;
  readonly byteOffset: number;
  readonly length: number;
}

/**
 * Everything a worker needs to rebuild an arena: a plain object that survives `postMessage` / piscina task
 * payloads (the SharedArrayBuffer is shared, not copied). `memory` is present when the arena lives in a shared
 * `WebAssembly.Memory`, so workers can instantiate kernels over the very same memory.
 */
export interface ArenaDescription<L extends ArenaLayout = ArenaLayout> {
  readonly buffer: SharedArrayBuffer;
  readonly memory?: WebAssembly.Memory;
  /** First byte of the arena inside `buffer`. */
  readonly byteOffset: number;
  /** Bytes from `byteOffset` to the end of the last view (aligned up to 64). */
  readonly byteLength: number;
  readonly views: { readonly [K in keyof L]: ArenaViewPlacement };
}

/** The typed views of an arena, by name, each typed after its layout entry. */
export type ArenaViews<L extends ArenaLayout> = { readonly [K in keyof L]: ArenaArrayTypes[L[K]['type']] };

/** Options of {@link SharedArena.create}. */
export interface SharedArenaOptions {
  /**
   * Existing shared memory to carve the views from: a SharedArrayBuffer or a shared `WebAssembly.Memory`.
   * When omitted, a new SharedArrayBuffer of exactly the needed size is allocated.
   */
  buffer?: SharedArrayBuffer | WebAssembly.Memory;
  /** Byte offset inside `buffer` where the arena may start (rounded up to 64); default 0. */
  byteOffset?: number;
}

/** Alignment of every view, in bytes: one cache line on current x86 and ARM cores. */
export const ARENA_ALIGNMENT = 64;

const BYTES_PER_ELEMENT: Readonly<Record<ArenaViewType, number>> = { f32: 4, f64: 8, i32: 4 };
const VIEW_TYPES: readonly ArenaViewType[] = ['f32', 'f64', 'i32'];

function alignUp(n: number): number {
  return Math.ceil(n / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;
}

function isNonNegativeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function show(x: unknown): string {
  return typeof x === 'string' ? JSON.stringify(x) : String(x);
}

function checkType(name: string, type: unknown): ArenaViewType {
  if (!VIEW_TYPES.includes(type as ArenaViewType)) {
    throw new TypeError(`arena view "${name}": type must be one of "f32", "f64", "i32", got ${show(type)}`);
  }
  return type as ArenaViewType;
}

function checkLength(name: string, length: unknown): number {
  if (!isNonNegativeInt(length)) {
    throw new RangeError(`arena view "${name}": length must be a non-negative integer, got ${show(length)}`);
  }
  return length;
}

function makeArray(buffer: SharedArrayBuffer, p: ArenaViewPlacement): ArenaArray {
  switch (p.type) {
    case 'f32':
      return new Float32Array(buffer, p.byteOffset, p.length);
    case 'f64':
      return new Float64Array(buffer, p.byteOffset, p.length);
    case 'i32':
      return new Int32Array(buffer, p.byteOffset, p.length);
  }
}

function isSharedArrayBuffer(x: unknown): x is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer;
}

function resolveBuffer(source: SharedArrayBuffer | WebAssembly.Memory): {
  buffer: SharedArrayBuffer;
  memory: WebAssembly.Memory | undefined;
} {
  if (isSharedArrayBuffer(source)) return { buffer: source, memory: undefined };
  if (typeof WebAssembly !== 'undefined' && source instanceof WebAssembly.Memory) {
    // Only a memory created with `shared: true` has a SharedArrayBuffer; anything else cannot cross threads.
    if (!isSharedArrayBuffer(source.buffer)) {
      throw new TypeError(
        'arena: options.buffer is a WebAssembly.Memory that is not shared (create it with shared: true)',
      );
    }
    return { buffer: source.buffer, memory: source };
  }
  throw new TypeError('arena: options.buffer must be a SharedArrayBuffer or a shared WebAssembly.Memory');
}

/**
 * Computes where each view of `layout` goes when the arena starts at `byteOffset`, without allocating anything.
 * @returns the placements and the arena's end (exclusive, absolute, aligned up to 64 bytes).
 */
function place(
  layout: ArenaLayout,
  byteOffset: number,
): { views: Record<string, ArenaViewPlacement>; start: number; end: number } {
  if (layout === null || typeof layout !== 'object' || Array.isArray(layout)) {
    throw new TypeError('arena: layout must be an object of { name: { type, length } }');
  }
  if (!isNonNegativeInt(byteOffset)) {
    throw new RangeError(`arena: byteOffset must be a non-negative integer, got ${show(byteOffset)}`);
  }
  const start = alignUp(byteOffset);
  let cursor = start;
  const views: Record<string, ArenaViewPlacement> = {};
  for (const name of Object.keys(layout)) {
    const spec = layout[name];
    if (spec === null || typeof spec !== 'object') {
      throw new TypeError(`arena view "${name}": expected { type, length }, got ${show(spec)}`);
    }
    const type = checkType(name, spec.type);
    const length = checkLength(name, spec.length);
    views[name] = { type, byteOffset: cursor, length };
    cursor = alignUp(cursor + length * BYTES_PER_ELEMENT[type]);
    if (!Number.isSafeInteger(cursor)) throw new RangeError(`arena view "${name}": arena size overflows`);
  }
  return { views, start, end: cursor };
}

/**
 * Named, 64-byte aligned typed-array views over one SharedArrayBuffer (or a shared `WebAssembly.Memory`).
 *
 * @example
 * ```ts
 * const arena = SharedArena.create({ params: { type: 'f32', length: 4720 }, control: { type: 'i32', length: 16 } });
 * arena.view('params'); // Float32Array
 * worker.postMessage(arena.describe()); // in the worker: SharedArena.fromDescription(msg)
 * ```
 */
export class SharedArena<L extends ArenaLayout = ArenaLayout> {
  /** The shared bytes every view points into. */
  readonly buffer: SharedArrayBuffer;
  /** The shared WebAssembly memory the arena lives in, when it was created from one. */
  readonly memory: WebAssembly.Memory | undefined;
  /** First byte of the arena inside {@link buffer} (64-byte aligned). */
  readonly byteOffset: number;
  /** Bytes the arena spans from {@link byteOffset}. */
  readonly byteLength: number;
  /** All views by name; the same objects {@link view} returns. */
  readonly views: ArenaViews<L>;
  readonly #placements: Readonly<Record<string, ArenaViewPlacement>>;

  private constructor(
    buffer: SharedArrayBuffer,
    memory: WebAssembly.Memory | undefined,
    byteOffset: number,
    byteLength: number,
    placements: Record<string, ArenaViewPlacement>,
  ) {
    this.buffer = buffer;
    this.memory = memory;
    this.byteOffset = byteOffset;
    this.byteLength = byteLength;
    this.#placements = placements;
    // Views are built once so that view() is a property read on hot paths, never an allocation.
    const views: Record<string, ArenaArray> = {};
    for (const name of Object.keys(placements)) views[name] = makeArray(buffer, placements[name]);
    this.views = Object.freeze(views) as unknown as ArenaViews<L>;
  }

  /**
   * Bytes an arena with this layout needs when it starts at `byteOffset` in an existing buffer (the end offset
   * minus `byteOffset`, alignment padding included). Use it to size a buffer or a `WebAssembly.Memory`.
   */
  static byteLengthOf(layout: ArenaLayout, byteOffset = 0): number {
    const { end } = place(layout, byteOffset);
    return end - byteOffset;
  }

  /**
   * Lays out `layout` in key order, each view 64-byte aligned, in a new SharedArrayBuffer or in `options.buffer`.
   * New memory is zero-filled; existing memory is left as it is.
   * @throws TypeError / RangeError naming the offending view, or when the given buffer is too small.
   */
  static create<const L extends ArenaLayout>(layout: L, options: SharedArenaOptions = {}): SharedArena<L> {
    if (options === null || typeof options !== 'object') throw new TypeError('arena: options must be an object');
    const byteOffset = options.byteOffset ?? 0;
    const { views, start, end } = place(layout, byteOffset);
    if (options.buffer === undefined) {
      if (byteOffset !== 0) throw new RangeError('arena: options.byteOffset needs options.buffer');
      return new SharedArena<L>(new SharedArrayBuffer(end), undefined, 0, end, views);
    }
    const { buffer, memory } = resolveBuffer(options.buffer);
    if (end > buffer.byteLength) {
      throw new RangeError(
        `arena: needs bytes [${start}, ${end}) but options.buffer has only ${buffer.byteLength} bytes`,
      );
    }
    return new SharedArena<L>(buffer, memory, start, end - start, views);
  }

  /**
   * Rebuilds the arena described by {@link describe} (typically in a worker), validating every placement so that
   * a corrupted description fails loudly instead of aliasing memory.
   */
  static fromDescription<L extends ArenaLayout = ArenaLayout>(desc: ArenaDescription<L>): SharedArena<L> {
    if (desc === null || typeof desc !== 'object') throw new TypeError('arena description must be an object');
    const { buffer, memory } = resolveBuffer(desc.memory ?? desc.buffer);
    if (!isNonNegativeInt(desc.byteOffset) || !isNonNegativeInt(desc.byteLength)) {
      throw new RangeError('arena description: byteOffset and byteLength must be non-negative integers');
    }
    const limit = desc.byteOffset + desc.byteLength;
    if (limit > buffer.byteLength) {
      throw new RangeError(`arena description: spans ${limit} bytes but the buffer has ${buffer.byteLength}`);
    }
    if (desc.views === null || typeof desc.views !== 'object') {
      throw new TypeError('arena description: views must be an object');
    }
    const placements: Record<string, ArenaViewPlacement> = {};
    for (const name of Object.keys(desc.views)) {
      const p = (desc.views as Record<string, ArenaViewPlacement>)[name];
      const type = checkType(name, p?.type);
      const length = checkLength(name, p.length);
      const off = p.byteOffset;
      if (!isNonNegativeInt(off) || off % ARENA_ALIGNMENT !== 0) {
        throw new RangeError(`arena view "${name}": byteOffset must be a multiple of 64, got ${show(off)}`);
      }
      if (off < desc.byteOffset || off + length * BYTES_PER_ELEMENT[type] > limit) {
        throw new RangeError(
          `arena view "${name}": bytes [${off}, ${off + length * BYTES_PER_ELEMENT[type]}) lie outside the arena`,
        );
      }
      placements[name] = { type, byteOffset: off, length };
    }
    return new SharedArena<L>(buffer, memory, desc.byteOffset, desc.byteLength, placements);
  }

  /**
   * The view called `name`. Always the same object, so callers may cache it or call this in a loop.
   * @throws RangeError when there is no such view.
   */
  view<K extends keyof L & string>(name: K): ArenaArrayTypes[L[K]['type']] {
    const v = this.views[name];
    if (v === undefined) throw new RangeError(`arena has no view "${name}" (views: ${this.names().join(', ')})`);
    return v;
  }

  /** Whether a view called `name` exists. */
  has(name: string): boolean {
    return Object.hasOwn(this.#placements, name);
  }

  /** View names in layout order. */
  names(): (keyof L & string)[] {
    return Object.keys(this.#placements) as (keyof L & string)[];
  }

  /** The placement (type, absolute byte offset, length) of one view; the byte offset is also a wasm pointer. */
  placement(name: keyof L & string): ArenaViewPlacement {
    const p = this.#placements[name];
    if (p === undefined) throw new RangeError(`arena has no view "${name}" (views: ${this.names().join(', ')})`);
    return p;
  }

  /**
   * A structured-cloneable description of this arena: pass it to workers (postMessage, piscina task, workerData)
   * and rebuild with {@link SharedArena.fromDescription}.
   */
  describe(): ArenaDescription<L> {
    const views: Record<string, ArenaViewPlacement> = {};
    for (const name of Object.keys(this.#placements)) views[name] = { ...this.#placements[name] };
    const desc: {
      buffer: SharedArrayBuffer;
      memory?: WebAssembly.Memory;
      byteOffset: number;
      byteLength: number;
      views: Record<string, ArenaViewPlacement>;
    } = { buffer: this.buffer, byteOffset: this.byteOffset, byteLength: this.byteLength, views };
    if (this.memory !== undefined) desc.memory = this.memory;
    return desc as ArenaDescription<L>;
  }
}
