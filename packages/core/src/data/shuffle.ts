/**
 * Seeded shuffling of row indices. Data never moves: an epoch's order is a permutation of row indices.
 */
import type { Rng } from '../random.js';
import { requireInt } from './check.js';

/**
 * Shuffles `indices` in place with the Fisher-Yates (Durstenfeld) algorithm: for `i` from the last position
 * down to 1, swap position `i` with a uniformly drawn position in `[0, i]`. Every permutation is equally
 * likely, the same `rng` state gives the same result, and nothing is allocated.
 *
 * Draws exactly `indices.length - 1` bounded integers from `rng` (none for length 0 or 1).
 *
 * @returns `indices`, for chaining
 */
export function shuffleInPlace(indices: Int32Array, rng: Rng): Int32Array {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = indices[i];
    indices[i] = indices[j];
    indices[j] = t;
  }
  return indices;
}

/**
 * A uniformly random permutation of `0 .. n - 1`: the identity order shuffled by {@link shuffleInPlace}.
 *
 * @param n length, an integer in `[0, 2^31 - 1]`
 * @throws RangeError when `n` is not such an integer
 */
export function permutation(n: number, rng: Rng): Int32Array {
  requireInt('n', n, 0);
  if (n > 0x7fffffff) throw new RangeError(`n must be at most 2^31 - 1 to index with Int32Array, got ${n}`);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, rng);
}
