/**
 * Fixed-order reduction of per-shard slots, and the range partitioning that spreads it over threads.
 *
 * Floating-point addition is not associative, so a parallel sum is only reproducible if every element is summed
 * in the same order whatever the number of threads. Here the order is a property of each *element*, never of the
 * partition: element i is always `((s0 + s1) + s2) + ...` over slots 0, 1, 2, ... in that order, and a thread
 * only decides *which* elements it reduces. Any split of [0, length) into ranges therefore writes bit-for-bit
 * the same output as one thread reducing everything.
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
