import { V } from './simd';

// Slot reduction in the slot tree's order: the float32 path of reduceSlotTree and presumSlotRun in
// @shardprop/worker-pool, bit for bit (see there for the tree and why).

/** Floats per chunk: each tree node is summed a chunk at a time into one scratch level (SLOT_TREE_CHUNK). */
const CHUNK: i32 = 256;
const CHUNK_BYTES: usize = 1024;

/** The tree's shape and the small nodes' sums, inlined. */
// biome-ignore lint/complexity/noStaticOnlyClass: AssemblyScript's @inline is only TypeScript-valid on methods.
class T {
  /** Where node [lo, hi) (two slots or more) splits: after the largest power of two below its size. */
  @inline static split(lo: i32, hi: i32): i32 {
    return lo + (1 << (31 - clz<i32>(hi - lo - 1)));
  }

  /** The end of the run holding slot `lo` when `slotCount` slots are cut into `runs` even runs. */
  @inline static runEnd(lo: i32, slotCount: i32, runs: i32): i32 {
    const t = (<i64>(lo + 1) * <i64>runs + <i64>slotCount - 1) / <i64>slotCount;
    return <i32>((t * <i64>slotCount) / <i64>runs);
  }

  /**
   * Node [lo, lo + n)'s value for one vector at `p` (slot lo's floats) when none of its nodes was pre-summed and n <= 4:
   * a, a + b, (a + b) + c or (a + b) + (c + d), the tree's shapes of 1 to 4 slots.
   */
  @inline static leaves4(p: usize, stride: usize, n: i32): v128 {
    let a = v128.load(p);
    if (n === 1) return a;
    a = f32x4.add(a, v128.load(p + stride));
    if (n === 2) return a;
    let c = v128.load(p + 2 * stride);
    if (n === 4) c = f32x4.add(c, v128.load(p + 3 * stride));
    return f32x4.add(a, c);
  }

  /** As leaves4 for n <= 8: a node of 5 to 8 slots is its first 4 plus the rest. */
  @inline static leaves8(p: usize, stride: usize, n: i32): v128 {
    return n <= 4
      ? T.leaves4(p, stride, n)
      : f32x4.add(T.leaves4(p, stride, 4), T.leaves4(p + 4 * stride, stride, n - 4));
  }

  /** leaves4 for one float. */
  @inline static leaves4s(p: usize, stride: usize, n: i32): f32 {
    let a = load<f32>(p);
    if (n === 1) return a;
    a += load<f32>(p + stride);
    if (n === 2) return a;
    let c = load<f32>(p + 2 * stride);
    if (n === 4) c += load<f32>(p + 3 * stride);
    return a + c;
  }

  /** leaves8 for one float. */
  @inline static leaves8s(p: usize, stride: usize, n: i32): f32 {
    return n <= 4 ? T.leaves4s(p, stride, n) : T.leaves4s(p, stride, 4) + T.leaves4s(p + 4 * stride, stride, n - 4);
  }
}

/**
 * `dst[i]` = the value of a node of n <= 8 slots from `p` (none pre-summed) times `scale` (not applied when unit),
 * for `len` floats: the slots read once and the node's adds kept in registers, not stored level by level.
 */
function leavesInto(dst: usize, p: usize, stride: usize, n: i32, len: i32, sv: v128, scale: f64, unit: bool): void {
  const end = (<usize>len) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    const x = T.leaves8(p + i, stride, n);
    v128.store(dst + i, unit ? x : V.scaleF64(x, sv));
  }
  for (; i < end; i += 4) {
    const x = T.leaves8s(p + i, stride, n);
    store<f32>(dst + i, unit ? x : <f32>(<f64>x * scale));
  }
}

/** `dst[i] = (a[i] + b[i]) * scale` (not scaled when unit) for `len` floats; dst may be a or b. */
function addInto(dst: usize, a: usize, b: usize, len: i32, sv: v128, scale: f64, unit: bool): void {
  const end = (<usize>len) << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) {
    const x = f32x4.add(v128.load(a + i), v128.load(b + i));
    v128.store(dst + i, unit ? x : V.scaleF64(x, sv));
  }
  for (; i < end; i += 4) {
    const x = load<f32>(a + i) + load<f32>(b + i);
    store<f32>(dst + i, unit ? x : <f32>(<f64>x * scale));
  }
}

/**
 * The address of node [lo, hi)'s values for the chunk at byte `off` of a slot (`len` floats): the slot itself when
 * the node is one slot or lies inside one run (pre-summed there), else scratch level `level` (lower levels are in
 * use), where the node is summed. With nothing pre-summed (runs >= slotCount), a node of up to 8 slots is summed in
 * one pass over its slots.
 */
function nodeChunk(
  slots: usize,
  stride: usize,
  lo: i32,
  hi: i32,
  slotCount: i32,
  runs: i32,
  off: usize,
  len: i32,
  scratch: usize,
  level: i32,
): usize {
  const p = slots + <usize>lo * stride + off;
  if (hi - lo === 1 || hi <= T.runEnd(lo, slotCount, runs)) return p;
  const here = scratch + <usize>level * CHUNK_BYTES;
  const unit = f64x2.splat(1.0);
  if (runs >= slotCount && hi - lo <= 8) {
    leavesInto(here, p, stride, hi - lo, len, unit, 1.0, true);
    return here;
  }
  const mid = T.split(lo, hi);
  const a = nodeChunk(slots, stride, lo, mid, slotCount, runs, off, len, scratch, level);
  // The right part must not overwrite the left's sum when that sits at this level.
  const b = nodeChunk(slots, stride, mid, hi, slotCount, runs, off, len, scratch, a === here ? level + 1 : level);
  addInto(here, a, b, len, unit, 1.0, true);
  return here;
}

/**
 * For i in [from, to): `out[i]` = node [lo, hi)'s sum in the slot tree's order, in float32, times `scale` in
 * float64 rounded once to float32 (skipped when scale is 1). Slot s starts at `slots + s * slotLength * 4`; a node
 * inside one of `runs` even runs is read from its first slot (pass runs = slotCount when nothing was pre-summed).
 * `out` is indexed like a slot and may be a slot; `scratch` holds ceil(log2(hi - lo)) chunks. The arithmetic of
 * each element is independent of from/to and runs: the node's last add is fused with the scaling and the store.
 */
export function sumSlotTree(
  slots: usize,
  slotCount: i32,
  slotLength: i32,
  lo: i32,
  hi: i32,
  runs: i32,
  out: usize,
  from: i32,
  to: i32,
  scale: f64,
  scratch: usize,
): void {
  if (to <= from || hi <= lo) return;
  const stride = (<usize>slotLength) << 2;
  const sv = f64x2.splat(scale);
  const unit = scale === 1.0;
  const whole = hi - lo === 1 || hi <= T.runEnd(lo, slotCount, runs);
  const small = runs >= slotCount && hi - lo <= 8;
  const mid = whole || small ? lo : T.split(lo, hi);
  for (let c = from; c < to; c += CHUNK) {
    const len = min(CHUNK, to - c);
    const off = (<usize>c) << 2;
    const dst = out + off;
    const p = slots + <usize>lo * stride + off;
    if (whole) {
      // Read from its slot: scaled into out (nothing to do in place at scale 1).
      if (!(unit && p === dst)) leavesInto(dst, p, stride, 1, len, sv, scale, unit);
    } else if (small) {
      leavesInto(dst, p, stride, hi - lo, len, sv, scale, unit);
    } else {
      const a = nodeChunk(slots, stride, lo, mid, slotCount, runs, off, len, scratch, 0);
      const b = nodeChunk(slots, stride, mid, hi, slotCount, runs, off, len, scratch, a === scratch ? 1 : 0);
      addInto(dst, a, b, len, sv, scale, unit);
    }
  }
}

/** The largest nodes of [lo, hi) inside [first, last), each summed whole into its first slot over every element. */
function presumNode(
  slots: usize,
  slotCount: i32,
  slotLength: i32,
  lo: i32,
  hi: i32,
  first: i32,
  last: i32,
  scratch: usize,
): void {
  if (hi <= first || lo >= last) return;
  if (first <= lo && hi <= last) {
    if (hi - lo > 1) {
      const at = slots + <usize>lo * ((<usize>slotLength) << 2);
      sumSlotTree(slots, slotCount, slotLength, lo, hi, slotCount, at, 0, slotLength, 1.0, scratch);
    }
    return;
  }
  const mid = T.split(lo, hi);
  presumNode(slots, slotCount, slotLength, lo, mid, first, last, scratch);
  presumNode(slots, slotCount, slotLength, mid, hi, first, last, scratch);
}

/**
 * Pre-sums the run of slots [first, last) in place: every largest node of the slot tree inside it gets its sum in
 * its first slot (presumSlotRun in @shardprop/worker-pool). `scratch` as for sumSlotTree over all the slots.
 */
export function presumSlotRun(
  slots: usize,
  slotCount: i32,
  slotLength: i32,
  first: i32,
  last: i32,
  scratch: usize,
): void {
  if (last <= first) return;
  presumNode(slots, slotCount, slotLength, 0, slotCount, first, last, scratch);
}
