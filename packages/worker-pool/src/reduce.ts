/**
 * Fixed-order reduction of per-shard slots, and the range partitioning that spreads it over threads.
 *
 * Floating-point addition is not associative, so a parallel sum is only reproducible if every element is summed
 * in the same order whatever the number of threads. Here the order is a property of each *element*, never of the
 * partition: element i is always `((s0 + s1) + s2) + ...` over slots 0, 1, 2, ... in that order, and a thread
 * only decides *which* elements it reduces. Any split of [0, length) into ranges therefore writes bit-for-bit
 * the same output as one thread reducing everything. `reduceSlots` sums the slots one after another;
 * `reduceSlotTree` sums them in a fixed pairwise tree, so that threads can pre-sum the slots they wrote
 * (`presumSlotRun`) and the others read one partial sum per thread.
 */

/** A float array that can hold slots or receive a reduction. */
export type FloatArray = Float32Array | Float64Array;

/** A contiguous half-open range of element indices `[from, to)`. */
export interface IndexRange {
  readonly from: number;
  readonly to: number;
}

function isNonNegativeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Sums `slotCount` slots of `slotLength` elements, stored back to back in `slots` (slot s, element i at
 * `slots[s * slotLength + i]`), for the elements `i` in `[from, to)`, and writes the scaled sum to `out[i]`.
 *
 * Exact arithmetic, for each element i independently:
 * 1. `acc = slots[i]` (slot 0);
 * 2. for s = 1, 2, ..., slotCount - 1 in that order: `acc = acc + slots[s * slotLength + i]`, each addition
 *    rounded to the element type of `slots` (float32 slots: every partial sum is rounded to float32, exactly as
 *    float32 hardware or SIMD adds would; float64 slots: ordinary float64 additions);
 * 3. `out[i] = acc * scale`, the product computed in float64 and rounded once to the element type of `out`.
 *
 * Nothing depends on `from`/`to` except which elements are written, so results are bitwise identical however
 * [0, slotLength) is split between threads. `out` is indexed like a slot (element i goes to `out[i]`, not
 * `out[i - from]`); it may be slot 0 itself for an in-place reduction, but must not overlap slots 1 and up.
 * Allocates nothing.
 *
 * @param scale multiplier applied after the sum (e.g. `1 / batchSize` for a mean); default 1.
 * @throws RangeError / TypeError for arguments that would read or write out of bounds.
 */
export function reduceSlots(
  slots: FloatArray,
  slotCount: number,
  slotLength: number,
  out: FloatArray,
  from: number,
  to: number,
  scale = 1,
): void {
  if (!(slots instanceof Float32Array || slots instanceof Float64Array)) {
    throw new TypeError('reduceSlots: slots must be a Float32Array or a Float64Array');
  }
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new TypeError('reduceSlots: out must be a Float32Array or a Float64Array');
  }
  if (!Number.isSafeInteger(slotCount) || slotCount < 1) {
    throw new RangeError(`reduceSlots: slotCount must be a positive integer, got ${String(slotCount)}`);
  }
  if (!isNonNegativeInt(slotLength)) {
    throw new RangeError(`reduceSlots: slotLength must be a non-negative integer, got ${String(slotLength)}`);
  }
  if (slotCount * slotLength > slots.length) {
    throw new RangeError(
      `reduceSlots: ${slotCount} slots of ${slotLength} need ${slotCount * slotLength} elements, slots has ${slots.length}`,
    );
  }
  if (!isNonNegativeInt(from) || !isNonNegativeInt(to) || from > to || to > slotLength) {
    throw new RangeError(
      `reduceSlots: need 0 <= from <= to <= slotLength (${slotLength}), got from=${String(from)} to=${String(to)}`,
    );
  }
  if (to > out.length) throw new RangeError(`reduceSlots: out has ${out.length} elements, needs at least ${to}`);
  if (typeof scale !== 'number') throw new TypeError(`reduceSlots: scale must be a number, got ${typeof scale}`);
  if (slots instanceof Float32Array) reduceF32(slots, slotCount, slotLength, out, from, to, scale);
  else reduceF64(slots, slotCount, slotLength, out, from, to, scale);
}

// Two monomorphic loops instead of one generic one: V8 then keeps each element load and the rounding rule fixed.
function reduceF32(
  slots: Float32Array,
  slotCount: number,
  slotLength: number,
  out: FloatArray,
  from: number,
  to: number,
  scale: number,
): void {
  const fround = Math.fround;
  for (let i = from; i < to; i++) {
    let acc = slots[i];
    for (let s = 1, j = i + slotLength; s < slotCount; s++, j += slotLength) acc = fround(acc + slots[j]);
    out[i] = acc * scale;
  }
}

function reduceF64(
  slots: Float64Array,
  slotCount: number,
  slotLength: number,
  out: FloatArray,
  from: number,
  to: number,
  scale: number,
): void {
  for (let i = from; i < to; i++) {
    let acc = slots[i];
    for (let s = 1, j = i + slotLength; s < slotCount; s++, j += slotLength) acc += slots[j];
    out[i] = acc * scale;
  }
}

/**
 * Floats per chunk of the slot tree's evaluation: each tree node is summed over a chunk at a time, in a scratch
 * level of this many elements.
 */
export const SLOT_TREE_CHUNK = 256;

/**
 * Where node `[lo, hi)` of the slot tree (at least 2 slots) splits: after the largest power of two below its size.
 *
 * The slot tree is the fixed pairwise order of {@link reduceSlotTree}: the root is `[0, slotCount)`, a node of
 * one slot is that slot, and a node of more is its left part plus its right part. The shape depends on
 * `slotCount` alone, so the sum of every element does too, whatever the threads.
 */
export function slotTreeSplit(lo: number, hi: number): number {
  return lo + 2 ** (31 - Math.clz32(hi - lo - 1));
}

/** The end of the run holding slot `lo` when `slotCount` slots are cut into `runs` even runs (see {@link slotRun}). */
function runEnd(lo: number, slotCount: number, runs: number): number {
  const t = Math.ceil(((lo + 1) * runs) / slotCount);
  return Math.floor((t * slotCount) / runs);
}

/**
 * Run `index` of `runs`: the slots `[floor(index * slotCount / runs), floor((index + 1) * slotCount / runs))`, the
 * contiguous share of the slots a thread writes and pre-sums (empty when there are more runs than slots).
 */
export function slotRun(slotCount: number, runs: number, index: number): IndexRange {
  return {
    from: Math.floor((index * slotCount) / runs),
    to: Math.floor(((index + 1) * slotCount) / runs),
  };
}

/** Scratch elements {@link reduceSlotTree} and {@link presumSlotRun} need for `slotCount` slots. */
export function slotTreeScratchLength(slotCount: number): number {
  return Math.max(1, 32 - Math.clz32(Math.max(1, slotCount) - 1)) * SLOT_TREE_CHUNK;
}

/**
 * Sums `slotCount` slots of `slotLength` elements (slot s, element i at `slots[s * slotLength + i]`) in the slot
 * tree's order, for the elements `i` in `[from, to)`, and writes the scaled sum to `out[i]`.
 *
 * Exact arithmetic, for each element i independently: the value of the root `[0, slotCount)`, where a node of one
 * slot is that slot's element and a node of more is `left + right` split by {@link slotTreeSplit} (`[0, 4)` is
 * `(s0 + s1) + (s2 + s3)`, `[0, 5)` is that plus s4), each addition rounded to the element type of `slots`; then
 * `out[i] = value * scale`, computed in float64 and rounded once to the element type of `out`.
 *
 * Why a tree: a thread that writes a contiguous run of the slots can pre-sum its part of the tree locally
 * ({@link presumSlotRun}), and the threads that reduce then read one partial sum per run instead of every slot:
 * far less data crosses between cores, and the bits stay those of one thread summing everything.
 *
 * `runs` says how the slots were pre-summed: a node of two or more slots that lies inside one of the `runs` runs
 * of {@link slotRun} is read from its first slot, where `presumSlotRun` of that run left its sum. Pass
 * `runs = slotCount` (or more) when nothing was pre-summed. Nothing depends on `from`/`to` or `runs` except which
 * elements are written and which memory is read: any split of [0, slotLength) between threads, with the slots
 * pre-summed by any number of runs, writes the same bits. `out` is indexed like a slot and may be a slot itself.
 * `scratch` (at least {@link slotTreeScratchLength} elements, of the same type as `slots`) is overwritten; it must
 * not overlap `slots` or `out`. Allocates nothing.
 *
 * @throws RangeError / TypeError for arguments that would read or write out of bounds.
 */
export function reduceSlotTree(
  slots: FloatArray,
  slotCount: number,
  slotLength: number,
  runs: number,
  out: FloatArray,
  from: number,
  to: number,
  scale: number,
  scratch: FloatArray,
): void {
  checkTree('reduceSlotTree', slots, slotCount, slotLength, scratch);
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new RangeError(`reduceSlotTree: runs must be a positive integer, got ${String(runs)}`);
  }
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new TypeError('reduceSlotTree: out must be a Float32Array or a Float64Array');
  }
  if (!isNonNegativeInt(from) || !isNonNegativeInt(to) || from > to || to > slotLength) {
    throw new RangeError(
      `reduceSlotTree: need 0 <= from <= to <= slotLength (${slotLength}), got from=${String(from)} to=${String(to)}`,
    );
  }
  if (to > out.length) throw new RangeError(`reduceSlotTree: out has ${out.length} elements, needs at least ${to}`);
  if (typeof scale !== 'number') throw new TypeError(`reduceSlotTree: scale must be a number, got ${typeof scale}`);
  sumTree(slots, slotCount, slotLength, 0, slotCount, runs, out, 0, from, to, scale, scratch);
}

/**
 * Pre-sums the slots `[first, last)` that one thread wrote, in place: every largest node of the slot tree inside
 * that run gets its sum (over all `slotLength` elements, in the tree's order) in its first slot; the other slots
 * of the node are left as they were. {@link reduceSlotTree} with the runs of {@link slotRun} then reads those sums.
 * `scratch` as there. Allocates nothing.
 */
export function presumSlotRun(
  slots: FloatArray,
  slotCount: number,
  slotLength: number,
  first: number,
  last: number,
  scratch: FloatArray,
): void {
  checkTree('presumSlotRun', slots, slotCount, slotLength, scratch);
  if (!isNonNegativeInt(first) || !isNonNegativeInt(last) || first > last || last > slotCount) {
    throw new RangeError(
      `presumSlotRun: need 0 <= first <= last <= slotCount (${slotCount}), got ${String(first)}, ${String(last)}`,
    );
  }
  presumNode(slots, slotCount, slotLength, 0, slotCount, first, last, scratch);
}

function checkTree(name: string, slots: FloatArray, slotCount: number, slotLength: number, scratch: FloatArray) {
  if (!(slots instanceof Float32Array || slots instanceof Float64Array)) {
    throw new TypeError(`${name}: slots must be a Float32Array or a Float64Array`);
  }
  if (!Number.isSafeInteger(slotCount) || slotCount < 1) {
    throw new RangeError(`${name}: slotCount must be a positive integer, got ${String(slotCount)}`);
  }
  if (!isNonNegativeInt(slotLength)) {
    throw new RangeError(`${name}: slotLength must be a non-negative integer, got ${String(slotLength)}`);
  }
  if (slotCount * slotLength > slots.length) {
    throw new RangeError(
      `${name}: ${slotCount} slots of ${slotLength} need ${slotCount * slotLength} elements, slots has ${slots.length}`,
    );
  }
  if (scratch.constructor !== slots.constructor || scratch.length < slotTreeScratchLength(slotCount)) {
    throw new RangeError(
      `${name}: scratch must be a ${slots.constructor.name} of at least ${slotTreeScratchLength(slotCount)} elements`,
    );
  }
}

/** The largest nodes of `[lo, hi)` inside `[first, last)`, each summed into its first slot. */
function presumNode(
  slots: FloatArray,
  slotCount: number,
  slotLength: number,
  lo: number,
  hi: number,
  first: number,
  last: number,
  scratch: FloatArray,
): void {
  if (hi <= first || lo >= last) return;
  if (first <= lo && hi <= last) {
    // Summed whole (runs = slotCount: nothing inside is pre-summed yet), into the node's first slot.
    if (hi - lo > 1)
      sumTree(slots, slotCount, slotLength, lo, hi, slotCount, slots, lo * slotLength, 0, slotLength, 1, scratch);
    return;
  }
  const mid = slotTreeSplit(lo, hi);
  presumNode(slots, slotCount, slotLength, lo, mid, first, last, scratch);
  presumNode(slots, slotCount, slotLength, mid, hi, first, last, scratch);
}

/**
 * Node `[lo, hi)`'s value for the elements `[from, to)`, times `scale`, into `out[outOff + i]`: a chunk of
 * elements at a time, each node's chunk summed into a scratch level (the WebAssembly kernel's plan, element for
 * element the same arithmetic).
 */
function sumTree(
  slots: FloatArray,
  slotCount: number,
  slotLength: number,
  lo: number,
  hi: number,
  runs: number,
  out: FloatArray,
  outOff: number,
  from: number,
  to: number,
  scale: number,
  scratch: FloatArray,
): void {
  for (let c = from; c < to; c += SLOT_TREE_CHUNK) {
    const len = Math.min(SLOT_TREE_CHUNK, to - c);
    const at = nodeChunk(slots, slotCount, slotLength, lo, hi, runs, c, len, scratch, 0);
    // `at` indexes `slots` when the node is read whole from a slot, else `scratch`.
    const src = at >= 0 ? slots : scratch;
    const base = at >= 0 ? at : -1 - at;
    for (let i = 0; i < len; i++) out[outOff + c + i] = src[base + i] * scale;
  }
}

/**
 * Where node `[lo, hi)`'s values for the `len` elements from `c` lie: an index into `slots` (>= 0) when the node
 * is one slot or was pre-summed, else `-1 - index` into `scratch`, at level `level` (levels below are in use).
 */
function nodeChunk(
  slots: FloatArray,
  slotCount: number,
  slotLength: number,
  lo: number,
  hi: number,
  runs: number,
  c: number,
  len: number,
  scratch: FloatArray,
  level: number,
): number {
  if (hi - lo === 1 || hi <= runEnd(lo, slotCount, runs)) return lo * slotLength + c;
  const mid = slotTreeSplit(lo, hi);
  const here = level * SLOT_TREE_CHUNK;
  const a = nodeChunk(slots, slotCount, slotLength, lo, mid, runs, c, len, scratch, level);
  // The right part must not overwrite the left's sum when that sits at this level.
  const b = nodeChunk(
    slots,
    slotCount,
    slotLength,
    mid,
    hi,
    runs,
    c,
    len,
    scratch,
    a === -1 - here ? level + 1 : level,
  );
  const aSrc = a >= 0 ? slots : scratch;
  const aAt = a >= 0 ? a : -1 - a;
  const bSrc = b >= 0 ? slots : scratch;
  const bAt = b >= 0 ? b : -1 - b;
  // Stored into the scratch's element type: float32 scratch rounds each sum to float32, as the SIMD adds do.
  for (let i = 0; i < len; i++) scratch[here + i] = aSrc[aAt + i] + bSrc[bAt + i];
  return -1 - here;
}

/**
 * The `index`-th of `parts` contiguous ranges that together cover `[0, length)` exactly, in order, without
 * overlap. Work is split in units of `align` elements so every boundary except `length` itself is a multiple of
 * `align` (e.g. 16 float32 elements = one 64-byte cache line, so two threads never write the same line); the
 * first `units % parts` ranges get one unit more than the rest. Ranges may be empty when there are fewer units
 * than parts. Pure and deterministic: every thread computes its own range from the same arguments.
 * @param align boundary granularity in elements; default 1.
 */
export function partitionRange(length: number, parts: number, index: number, align = 1): IndexRange {
  if (!isNonNegativeInt(length)) {
    throw new RangeError(`partitionRange: length must be a non-negative integer, got ${String(length)}`);
  }
  if (!Number.isSafeInteger(parts) || parts < 1) {
    throw new RangeError(`partitionRange: parts must be a positive integer, got ${String(parts)}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= parts) {
    throw new RangeError(`partitionRange: index must be an integer in [0, ${parts - 1}], got ${String(index)}`);
  }
  if (!Number.isSafeInteger(align) || align < 1) {
    throw new RangeError(`partitionRange: align must be a positive integer, got ${String(align)}`);
  }
  const units = Math.ceil(length / align);
  const base = Math.floor(units / parts);
  const extra = units % parts;
  const startUnit = index * base + Math.min(index, extra);
  const endUnit = startUnit + base + (index < extra ? 1 : 0);
  return { from: Math.min(length, startUnit * align), to: Math.min(length, endUnit * align) };
}
