/**
 * Search spaces: named lists of alternatives whose product is the grid (scikit-learn's `ParameterGrid`), and a
 * seeded random sample of it (`ParameterSampler` over a grid). Points are addressed by their mixed-radix index,
 * so a sample of a huge grid never builds the grid.
 */
import { Rng } from '../random.js';

/** Alternatives per setting: `{ lr: [0.1, 0.5], layers: [[16, 1], [39, 39, 1]] }`. */
export type SearchSpace = Readonly<Record<string, readonly unknown[]>>;

/** One point of a space: one alternative per setting. */
export type SpacePoint<S extends SearchSpace> = { -readonly [K in keyof S]: S[K][number] };

/** Grids larger than this are refused by {@link expandGrid} (sample them with {@link sampleGrid}). */
export const MAX_GRID_POINTS = 1_000_000;

function checkSpace(space: SearchSpace): string[] {
  if (space === null || typeof space !== 'object') throw new TypeError('the search space must be an object');
  const keys = Object.keys(space);
  for (const key of keys) {
    const values = space[key];
    if (!Array.isArray(values) || values.length === 0) {
      throw new RangeError(`search space "${key}" must be a non-empty array of alternatives`);
    }
  }
  return keys;
}

/** Number of points of the grid (1 for an empty space). */
export function gridSize(space: SearchSpace): number {
  let size = 1;
  for (const key of checkSpace(space)) size *= space[key].length;
  return size;
}

/** Point `index` of the grid, in the order of {@link expandGrid}: the last setting varies fastest. */
export function gridPoint<S extends SearchSpace>(space: S, index: number): SpacePoint<S> {
  const keys = checkSpace(space);
  const size = gridSize(space);
  if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) {
    throw new RangeError(`grid index ${index} is out of range for a grid of ${size} points`);
  }
  const point: Record<string, unknown> = {};
  let rest = index;
  for (let i = keys.length - 1; i >= 0; i--) {
    const values = space[keys[i]];
    point[keys[i]] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  }
  // Keep the space's key order in the point.
  const ordered: Record<string, unknown> = {};
  for (const key of keys) ordered[key] = point[key];
  return ordered as SpacePoint<S>;
}

/** Every point of the grid, the last setting varying fastest. */
export function expandGrid<S extends SearchSpace>(space: S): SpacePoint<S>[] {
  const size = gridSize(space);
  if (size > MAX_GRID_POINTS) {
    throw new RangeError(`the grid has ${size} points, more than ${MAX_GRID_POINTS}: sample it instead`);
  }
  return Array.from({ length: size }, (_, i) => gridPoint(space, i));
}

/**
 * `n` distinct grid indices drawn at random with `seed`, ascending (so a sample lists its points in grid order).
 * All of them when `n >= gridSize(space)`.
 */
export function sampleGrid(space: SearchSpace, n: number, seed: number): number[] {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError(`the sample size must be an integer >= 1, got ${n}`);
  const size = gridSize(space);
  if (n >= size) return Array.from({ length: size }, (_, i) => i);
  const rng = new Rng(seed);
  const chosen = new Set<number>();
  // Rejection sampling: n < size, and n is small next to any grid worth sampling.
  while (chosen.size < n) chosen.add(Math.floor(rng.next() * size));
  return [...chosen].sort((a, b) => a - b);
}
