/**
 * Inverted dropout (Keras `Dropout`): in training each unit's output is kept with probability `1 - rate` and
 * scaled by `1 / (1 - rate)`, otherwise zeroed; prediction uses the layer's output unchanged.
 *
 * The mask is not drawn from a stream but computed from a counter: unit `u` of layer `l` for dataset row `r` in
 * epoch `e` of a run seeded `s` is dropped when `dropoutBits(s, e, r, l, u) < rate * 2^32`. So whether a unit is
 * dropped depends on nothing but those five numbers: not on the batch, the shard, the thread or the order in
 * which rows are visited, which keeps training bitwise identical for any thread count and across a resume.
 *
 * `dropoutBits` chains a 32-bit integer finaliser (the "lowbias32" mixer: xor-shift 16, multiply by
 * 0x7feb352d, xor-shift 15, multiply by 0x846ca68b, xor-shift 16) over the key's words:
 * `rowKey = mix(mix(mix(mix(s ^ 0x3c6ef372) ^ e) ^ r) ^ l)` and `bits = mix(rowKey ^ imul(u + 1, 0x9e3779b9))`,
 * with every word taken modulo 2^32 (the seed as `seed | 0`).
 */
import type { FloatArray } from '../types.js';

/** The lowbias32 integer finaliser: a bijection on 32-bit words with good avalanche. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key of one (seed, epoch, row, layer): the part of {@link dropoutBits} shared by the row's units. */
export function dropoutRowKey(seed: number, epoch: number, row: number, layer: number): number {
  return mix(mix(mix(mix((seed | 0) ^ 0x3c6ef372) ^ epoch) ^ row) ^ layer);
}

/** The 32 random bits of unit `unit` under a row key from {@link dropoutRowKey}. */
export function dropoutUnitBits(rowKey: number, unit: number): number {
  return mix(rowKey ^ Math.imul(unit + 1, 0x9e3779b9));
}

/** The random word that decides whether unit `unit` of `layer` is dropped for dataset row `row` in `epoch`. */
export function dropoutBits(seed: number, epoch: number, row: number, layer: number, unit: number): number {
  return dropoutUnitBits(dropoutRowKey(seed, epoch, row, layer), unit);
}

/** Units whose bits are below this are dropped: `rate * 2^32`, so the drop probability is `rate` to 2^-32. */
export function dropoutThreshold(rate: number): number {
  return Math.floor(rate * 4_294_967_296);
}

/**
 * Writes the dropout multipliers of `rows` rows of one layer (`cols` units) into `mask` from `maskOff`: 0 for a
 * dropped unit, `1 / (1 - rate)` (rounded to the mask's precision) for a kept one. Row `i` of the block is
 * dataset row `order[orderFrom + i]`.
 */
export function dropoutMask(
  mask: FloatArray,
  maskOff: number,
  rows: number,
  cols: number,
  rate: number,
  seed: number,
  epoch: number,
  layer: number,
  order: Int32Array,
  orderFrom: number,
): void {
  const threshold = dropoutThreshold(rate);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < rows; i++) {
    const key = dropoutRowKey(seed, epoch, order[orderFrom + i], layer);
    const o = maskOff + i * cols;
    for (let j = 0; j < cols; j++) mask[o + j] = dropoutUnitBits(key, j) < threshold ? 0 : scale;
  }
}

/** `out[i] = a[i] * mask[i]` over `n` values from offset 0: a layer's output after dropout. */
export function applyDropout(out: FloatArray, a: FloatArray, mask: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] * mask[i];
}

/**
 * `g[i] *= mask[i]` over `n` values: turns dL/d(dropped output) into dL/d(activation output), before the
 * activation's derivative, which reads the pre-dropout outputs.
 */
export function dropoutBackward(g: FloatArray, mask: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) g[i] *= mask[i];
}
