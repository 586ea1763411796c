// Property tests (fast-check) of the data utilities: shuffles are seeded permutations, splits preserve rows
// with Keras counts, standardisation matches a float64 reference, and the encoders round-trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchBounds, batchCount } from '../src/data/batches.js';
import { createDataset, type Dataset, subset } from '../src/data/dataset.js';
import { permutation, shuffleInPlace } from '../src/data/shuffle.js';
import { randomSplit, trainValidationSplit } from '../src/data/split.js';
import { fitStandardizer } from '../src/data/standardize.js';
import { seedProblem, wideProblem } from '../src/data/synthetic.js';
import { Rng } from '../src/random.js';

const seed = fc.integer({ min: 0, max: 0x7fffffff });

/** A dataset whose y holds each row's own index and whose x row r starts with r, so rows can be traced. */
const tracedDataset = (maxRows: number) =>
  fc
    .record({ rows: fc.integer({ min: 0, max: maxRows }), features: fc.integer({ min: 1, max: 5 }) })
    .map(({ rows, features }): Dataset => {
      const x = new Float32Array(rows * features);
      for (let r = 0; r < rows; r++) for (let f = 0; f < features; f++) x[r * features + f] = r + f / 10;
      return createDataset(
        x,
        new Float32Array(rows).map((_, i) => i),
        rows,
        features,
        1,
      );
    });

/** Checks that every row of `part` is the source row named by its y. */
function rowsIntact(part: Dataset, source: Dataset): void {
  const f = source.features;
  for (let k = 0; k < part.rows; k++) {
    const r = part.y[k];
    expect(Array.from(part.x.subarray(k * f, k * f + f))).toEqual(Array.from(source.x.subarray(r * f, r * f + f)));
  }
}

const sorted = (a: ArrayLike<number>) => Array.from(a).sort((p, q) => p - q);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('shuffle properties', () => {
  it('permutation(n) is a permutation of 0..n-1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), seed, (n, s) => {
        expect(sorted(permutation(n, new Rng(s)))).toEqual(range(n));
      }),
    );
  });

  it('shuffleInPlace keeps the multiset of arbitrary values and returns the same array', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 100 }), seed, (values, s) => {
        const a = Int32Array.from(values);
        expect(shuffleInPlace(a, new Rng(s))).toBe(a);
        expect(sorted(a)).toEqual(sorted(values));
      }),
    );
  });

  it('same seed, same order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), seed, (n, s) => {
        expect(Array.from(permutation(n, new Rng(s)))).toEqual(Array.from(permutation(n, new Rng(s))));
      }),
    );
  });

  it('different seeds usually give different orders', () => {
    // For n = 20 two independent uniform shuffles agree with probability 1 / 20! (about 4e-19).
    fc.assert(
      fc.property(seed, seed, (s1, s2) => {
        fc.pre(s1 !== s2);
        expect(Array.from(permutation(20, new Rng(s1)))).not.toEqual(Array.from(permutation(20, new Rng(s2))));
      }),
    );
  });
});

describe('split properties', () => {
  it('trainValidationSplit: Keras counts, sizes add up, rows intact and in source order', () => {
    fc.assert(
      fc.property(tracedDataset(200), fc.double({ min: 0, max: 0.99, noNaN: true }), (ds, fraction) => {
        const splitAt = Math.floor(ds.rows * (1 - fraction));
        const mustThrow = fraction > 0 && (splitAt === 0 || splitAt === ds.rows);
        if (mustThrow) {
          expect(() => trainValidationSplit(ds, fraction)).toThrow(RangeError);
          return;
        }
        const { train, validation } = trainValidationSplit(ds, fraction);
        expect(train.rows).toBe(splitAt);
        expect(train.rows + validation.rows).toBe(ds.rows);
        expect(Array.from(train.y)).toEqual(range(splitAt));
        expect(Array.from(validation.y)).toEqual(range(ds.rows).slice(splitAt));
        rowsIntact(train, ds);
        rowsIntact(validation, ds);
      }),
    );
  });

  it('randomSplit: same sizes as Keras, every row exactly once, seeded', () => {
    fc.assert(
      fc.property(tracedDataset(200), fc.double({ min: 0.01, max: 0.99, noNaN: true }), seed, (ds, fraction, s) => {
        const splitAt = Math.floor(ds.rows * (1 - fraction));
        fc.pre(splitAt > 0 && splitAt < ds.rows);
        const a = randomSplit(ds, fraction, new Rng(s));
        expect(a.train.rows).toBe(splitAt);
        expect(a.validation.rows).toBe(ds.rows - splitAt);
        expect(sorted([...a.train.y, ...a.validation.y])).toEqual(range(ds.rows));
        rowsIntact(a.train, ds);
        rowsIntact(a.validation, ds);
        const b = randomSplit(ds, fraction, new Rng(s));
        expect(Array.from(b.trainIndices)).toEqual(Array.from(a.trainIndices));
      }),
    );
  });

  it('subset of a permutation then its inverse gives the original rows back', () => {
    fc.assert(
      fc.property(tracedDataset(100), seed, (ds, s) => {
        const order = permutation(ds.rows, new Rng(s));
        const shuffled = subset(ds, order);
        const inverse = new Int32Array(ds.rows);
        for (let k = 0; k < ds.rows; k++) inverse[order[k]] = k;
        const back = subset(shuffled, inverse);
        expect(Array.from(back.x)).toEqual(Array.from(ds.x));
        expect(Array.from(back.y)).toEqual(Array.from(ds.y));
      }),
    );
  });
});

/** A straightforward float64 reference: naive mean, population variance, constant column -> scale 1. */
function reference(x: Float32Array, rows: number, features: number) {
  const mean = new Array<number>(features).fill(0);
  const std = new Array<number>(features).fill(0);
  for (let c = 0; c < features; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * features + c];
    mean[c] = s / rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += (x[r * features + c] - mean[c]) ** 2;
    const sd = Math.sqrt(v / rows);
    const constant = x.every((_, i) => i % features !== c || x[i] === x[c]);
    std[c] = constant ? 1 : sd;
  }
  return { mean, std };
}

/** A matrix with some constant columns, different offsets and scales per column. */
const matrix = fc
  .record({
    rows: fc.integer({ min: 2, max: 60 }),
    features: fc.integer({ min: 1, max: 6 }),
    constant: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    offset: fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 6, maxLength: 6 }),
    scale: fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 6, maxLength: 6 }),
    s: seed,
  })
  .map(({ rows, features, constant, offset, scale, s }) => {
    const rng = new Rng(s);
    const x = new Float32Array(rows * features);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < features; c++) {
        x[r * features + c] = constant[c] ? offset[c] : offset[c] + scale[c] * rng.normal();
      }
    }
    return { x, rows, features, constant: constant.slice(0, features) };
  });

describe('standardize properties', () => {
  it('matches the float64 reference', () => {
    fc.assert(
      fc.property(matrix, ({ x, rows, features }) => {
        const s = fitStandardizer(x, rows, features);
        const ref = reference(x, rows, features);
        for (let c = 0; c < features; c++) {
          expect(Math.abs(s.mean[c] - ref.mean[c])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(ref.mean[c])));
          expect(Math.abs(s.std[c] - ref.std[c])).toBeLessThanOrEqual(1e-9 * ref.std[c]);
        }
      }),
    );
  });

  it('gives the bits of the corrected two-pass sums taken in row order (as encodings saved before were fitted)', () => {
    // The algorithm as first written: per-column accumulators, rows outer, columns inner.
    const rowOrder = (x: Float32Array, rows: number, features: number) => {
      const sum = new Float64Array(features);
      const min = new Float64Array(features).fill(Number.POSITIVE_INFINITY);
      const max = new Float64Array(features).fill(Number.NEGATIVE_INFINITY);
      for (let i = 0; i < rows * features; i++) {
        const c = i % features;
        sum[c] += x[i];
        if (x[i] < min[c]) min[c] = x[i];
        if (x[i] > max[c]) max[c] = x[i];
      }
      const mean = sum.map((v) => v / rows);
      const dev = new Float64Array(features);
      const sq = new Float64Array(features);
      for (let i = 0; i < rows * features; i++) {
        const d = x[i] - mean[i % features];
        dev[i % features] += d;
        sq[i % features] += d * d;
      }
      const std = new Float64Array(features);
      for (let c = 0; c < features; c++) {
        if (min[c] === max[c]) {
          mean[c] = min[c] === 0 ? 0 : min[c];
          std[c] = 1;
          continue;
        }
        const s = Math.sqrt(Math.max((sq[c] - (dev[c] * dev[c]) / rows) / rows, 0));
        std[c] = s > 0 ? s : 1;
      }
      return { mean, std };
    };
    fc.assert(
      fc.property(matrix, ({ x, rows, features }) => {
        const s = fitStandardizer(x, rows, features);
        const ref = rowOrder(x, rows, features);
        expect([...s.mean].map((v, c) => Object.is(v, ref.mean[c]))).not.toContain(false);
        expect([...s.std].map((v, c) => Object.is(v, ref.std[c]))).not.toContain(false);
      }),
    );
  });

  it('standardised columns have mean ~0 and population std ~1; constant columns become x - mean = 0', () => {
    fc.assert(
      fc.property(matrix, ({ x, rows, features }) => {
        const s = fitStandardizer(x, rows, features);
        const z = Float64Array.from(x, (v, i) => (v - s.mean[i % features]) / s.std[i % features]);
        for (let c = 0; c < features; c++) {
          let m = 0;
          for (let r = 0; r < rows; r++) m += z[r * features + c];
          m /= rows;
          let v = 0;
          for (let r = 0; r < rows; r++) v += (z[r * features + c] - m) ** 2;
          const sd = Math.sqrt(v / rows);
          // Constant in the data as stored: a column drawn with a tiny scale can round to one float32 value.
          let constant = true;
          for (let r = 1; r < rows; r++) constant &&= x[r * features + c] === x[c];
          if (constant) {
            expect(s.std[c]).toBe(1);
            for (let r = 0; r < rows; r++) expect(z[r * features + c]).toBe(x[r * features + c] - s.mean[c]);
            expect(m).toBe(0);
          } else {
            // Rounding in (x - mean) / std grows with the column's condition number |mean| / std.
            const tol = 1e-12 + 256 * Number.EPSILON * (1 + Math.abs(s.mean[c]) / s.std[c]);
            expect(Math.abs(m)).toBeLessThan(tol);
            expect(Math.abs(sd - 1)).toBeLessThan(tol);
          }
        }
      }),
    );
  });
});

describe('batch properties', () => {
  it('batches tile [0, rows) in order, all full but possibly the last', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 300 }), (rows, batchSize) => {
        const n = batchCount(rows, batchSize);
        const pair: [number, number] = [0, 0];
        let next = 0;
        for (let i = 0; i < n; i++) {
          const [start, end] = batchBounds(i, rows, batchSize, pair);
          expect(start).toBe(next);
          expect(end).toBeGreaterThan(start);
          if (i < n - 1) expect(end - start).toBe(batchSize);
          else expect(end - start).toBeLessThanOrEqual(batchSize);
          next = end;
        }
        expect(next).toBe(rows);
      }),
    );
  });
});

describe('synthetic properties', () => {
  it('seedProblem is deterministic per seed and its targets lie in (0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 12 }), seed, (rows, features, s) => {
        const a = seedProblem({ rows, features, seed: s });
        const b = seedProblem({ rows, features, seed: s });
        expect(Array.from(a.x)).toEqual(Array.from(b.x));
        expect(Array.from(a.y)).toEqual(Array.from(b.y));
        for (const v of a.y) expect(v > 0 && v < 1).toBe(true);
        expect(a.x.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('wideProblem is deterministic per seed and each target row is one-hot', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 2, max: 6 }), seed, (rows, classes, s) => {
        const a = wideProblem({ rows, features: 16, classes, seed: s });
        const b = wideProblem({ rows, features: 16, classes, seed: s });
        expect(Array.from(a.x)).toEqual(Array.from(b.x));
        expect(Array.from(a.y)).toEqual(Array.from(b.y));
        for (let r = 0; r < rows; r++) {
          const row = Array.from(a.y.subarray(r * classes, r * classes + classes));
          expect(row.filter((v) => v === 1)).toHaveLength(1);
          expect(row.filter((v) => v === 0)).toHaveLength(classes - 1);
        }
      }),
      { numRuns: 50 },
    );
  });
});
