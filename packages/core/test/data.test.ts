// Example-based tests of the data utilities: validation messages, Keras split counts, encoders, batching and
// the synthetic datasets; and the random stream's bounded integers, against their definition.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { batchBounds, batchCount, batchEnd, batchStart, forEachBatch, gatherBatch } from '../src/data/batches.js';
import { createDataset, type Dataset, sliceRows, subset } from '../src/data/dataset.js';
import { permutation, shuffleInPlace } from '../src/data/shuffle.js';
import { randomSplit, trainValidationSplit, validationSplitAt } from '../src/data/split.js';
import { fitStandardizer } from '../src/data/standardize.js';
import { SEED_TARGET_MAX, SEED_TARGET_MIN, seedProblem, wideProblem } from '../src/data/synthetic.js';
import { Rng } from '../src/random.js';

/** A dataset whose x row r is [r*10, r*10+1, ...] and y row r is [r], so rows are easy to follow. */
function labelled(rows: number, features = 3): Dataset {
  const x = new Float32Array(rows * features).map((_, i) => Math.floor(i / features) * 10 + (i % features));
  const y = new Float32Array(rows).map((_, i) => i);
  return createDataset(x, y, rows, features, 1);
}

/**
 * A self-contained student network (features-hidden-1, tanh then sigmoid, float64, Adam on per-row gradients
 * averaged over mini-batches of 32) trained on the first `trainRows` rows; returns the MSE on the rest.
 */
function studentHeldOutMse(ds: Dataset, trainRows: number, hidden: number, epochs: number): number {
  const f = ds.features;
  const rng = new Rng(99);
  const n = f * hidden + hidden + hidden + 1;
  const p = new Float64Array(n).map(() => rng.normal() * 0.3);
  const g = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const w2 = f * hidden + hidden;
  const b2 = w2 + hidden;
  const h = new Float64Array(hidden);
  const forward = (r: number): number => {
    let z = p[b2];
    for (let j = 0; j < hidden; j++) {
      let a = p[f * hidden + j];
      for (let k = 0; k < f; k++) a += ds.x[r * f + k] * p[k * hidden + j];
      h[j] = Math.tanh(a);
      z += h[j] * p[w2 + j];
    }
    return 1 / (1 + Math.exp(-z));
  };
  let t = 0;
  const order = new Int32Array(trainRows).map((_, i) => i);
  for (let e = 0; e < epochs; e++) {
    shuffleInPlace(order, rng);
    forEachBatch(trainRows, 32, (start, end) => {
      g.fill(0);
      for (let q = start; q < end; q++) {
        const r = order[q];
        const out = forward(r);
        const dz = 2 * (out - ds.y[r]) * out * (1 - out);
        g[b2] += dz;
        for (let j = 0; j < hidden; j++) {
          g[w2 + j] += dz * h[j];
          const da = dz * p[w2 + j] * (1 - h[j] * h[j]);
          g[f * hidden + j] += da;
          for (let k = 0; k < f; k++) g[k * hidden + j] += da * ds.x[r * f + k];
        }
      }
      t++;
      for (let i = 0; i < n; i++) {
        const gi = g[i] / (end - start);
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        p[i] -= (0.01 * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-7);
      }
    });
  }
  let sse = 0;
  for (let r = trainRows; r < ds.rows; r++) sse += (forward(r) - ds.y[r]) ** 2;
  return sse / (ds.rows - trainRows);
}

describe('createDataset', () => {
  it('accepts consistent shapes and keeps the arrays', () => {
    const x = new Float32Array(80);
    const y = new Float32Array(20);
    const ds = createDataset(x, y, 10, 8, 2);
    expect(ds).toEqual({ x, y, rows: 10, features: 8, outputs: 2 });
    expect(ds.x).toBe(x);
  });

  it('names the array and both factors when a length is wrong', () => {
    expect(() => createDataset(new Float32Array(77), new Float32Array(10), 10, 8, 1)).toThrow(
      'x has 77 values, expected rows x features = 10 x 8 = 80',
    );
    expect(() => createDataset(new Float32Array(80), new Float32Array(9), 10, 8, 1)).toThrow(
      'y has 9 values, expected rows x outputs = 10 x 1 = 10',
    );
  });

  it('rejects bad counts and non-Float32Array data', () => {
    expect(() => createDataset(new Float32Array(0), new Float32Array(0), -1, 8, 1)).toThrow(
      'rows must be an integer >= 0, got -1',
    );
    expect(() => createDataset(new Float32Array(0), new Float32Array(0), 0, 0, 1)).toThrow(
      'features must be an integer >= 1, got 0',
    );
    expect(() => createDataset(new Float32Array(4), new Float32Array(2), 2, 2, 1.5)).toThrow(
      'outputs must be an integer >= 0, got 1.5',
    );
    expect(() => createDataset([1, 2] as unknown as Float32Array, new Float32Array(1), 1, 2, 1)).toThrow(
      'x must be a Float32Array, got Array',
    );
    expect(() => createDataset(new Float32Array(2), new Float64Array(1) as unknown as Float32Array, 1, 2, 1)).toThrow(
      'y must be a Float32Array, got Float64Array',
    );
  });

  it('allows an empty dataset and unlabelled inputs', () => {
    expect(createDataset(new Float32Array(0), new Float32Array(0), 0, 4, 1).rows).toBe(0);
    expect(createDataset(new Float32Array(4), new Float32Array(0), 2, 2, 0).outputs).toBe(0);
  });
});

describe('subset and sliceRows', () => {
  it('gathers rows in the given order, repeats allowed, into new arrays', () => {
    const ds = labelled(5);
    const s = subset(ds, [4, 0, 4]);
    expect(Array.from(s.y)).toEqual([4, 0, 4]);
    expect(Array.from(s.x)).toEqual([40, 41, 42, 0, 1, 2, 40, 41, 42]);
    expect(s.rows).toBe(3);
    s.x[0] = -1;
    expect(ds.x[12]).toBe(40);
    expect(subset(ds, new Int32Array(0)).rows).toBe(0);
  });

  it('names the bad index', () => {
    const ds = labelled(5);
    expect(() => subset(ds, [0, 5])).toThrow('indices[1] = 5 is out of range for a dataset of 5 rows');
    expect(() => subset(ds, [-1])).toThrow('indices[0] = -1 is out of range for a dataset of 5 rows');
    expect(() => subset(ds, [1.5])).toThrow('indices[0] = 1.5 is out of range');
  });

  it('sliceRows copies a contiguous range and checks it', () => {
    const ds = labelled(5);
    expect(Array.from(sliceRows(ds, 1, 3).y)).toEqual([1, 2]);
    expect(() => sliceRows(ds, 3, 6)).toThrow('row range [3, 6) must satisfy 0 <= start <= end <= rows = 5');
  });
});

describe('Rng.int', () => {
  it('draws the stream it always drew (the values of the first implementation, by seed)', () => {
    expect(Array.from(permutation(12, new Rng(123)))).toEqual([10, 6, 5, 8, 1, 0, 11, 2, 9, 3, 4, 7]);
    const rng = new Rng(7);
    expect([3, 1000, 2 ** 31 - 1, 2 ** 31 + 1, 3e9, 2 ** 32].map((n) => rng.int(n))).toEqual([
      1, 871, 471683428, 345982375, 259122964, 191436853,
    ]);
  });

  it('draws the same stream for a seed given as a uint32 or as its int32 twin', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const asUint = new Rng(seed >>> 0);
        const asInt = new Rng(seed | 0);
        for (let i = 0; i < 8; i++) expect(asInt.nextUint32()).toBe(asUint.nextUint32());
      }),
    );
  });

  it('equals rejection sampling with a remainder, draw for draw, for any bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 2 ** 32 })), { minLength: 1 }),
        (seed, bounds) => {
          const fast = new Rng(seed);
          const plain = new Rng(seed);
          for (const n of bounds) {
            const limit = 4294967296 - (4294967296 % n);
            let x = plain.nextUint32();
            while (x >= limit) x = plain.nextUint32();
            expect(fast.int(n)).toBe(x % n);
          }
        },
      ),
    );
  });
});

describe('shuffle', () => {
  it('permutation(0) and (1) are trivial and draw nothing that matters', () => {
    expect(Array.from(permutation(0, new Rng(1)))).toEqual([]);
    expect(Array.from(permutation(1, new Rng(1)))).toEqual([0]);
  });

  it('rejects a bad length', () => {
    expect(() => permutation(-1, new Rng(1))).toThrow('n must be an integer >= 0, got -1');
    expect(() => permutation(2.5, new Rng(1))).toThrow('n must be an integer >= 0, got 2.5');
  });

  it('is reasonably uniform: each of the 6 orders of 3 elements about 1/6 of the time', () => {
    const rng = new Rng(123);
    const counts = new Map<string, number>();
    const order = new Int32Array(3);
    const trials = 60000;
    for (let t = 0; t < trials; t++) {
      order.set([0, 1, 2]);
      const key = shuffleInPlace(order, rng).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c / trials - 1 / 6)).toBeLessThan(0.01);
  });
});

describe('trainValidationSplit (Keras validation_split)', () => {
  it('matches tfjs model.fit: splitAt = floor(rows * (1 - fraction)), validation = the last rows', () => {
    // rows, fraction, training rows as tfjs computes them
    const cases: Array<[number, number, number]> = [
      [10, 0.2, 8],
      [10, 0.25, 7],
      [10, 0.1, 9],
      [100, 0.3, 70],
      [7, 0.5, 3],
      [3, 0.1, 2],
      [10000, 0.2, 8000],
    ];
    for (const [rows, fraction, trainRows] of cases) {
      expect(validationSplitAt(rows, fraction)).toBe(trainRows);
      const { train, validation } = trainValidationSplit(labelled(rows), fraction);
      expect(train.rows).toBe(trainRows);
      expect(validation.rows).toBe(rows - trainRows);
      expect(validation.y[0]).toBe(trainRows);
    }
  });

  it('fraction 0 keeps every row for training', () => {
    const { train, validation } = trainValidationSplit(labelled(4), 0);
    expect(train.rows).toBe(4);
    expect(validation.rows).toBe(0);
    expect(validation.features).toBe(3);
  });

  it('rejects fractions outside [0, 1) and empty parts', () => {
    const ds = labelled(10);
    for (const f of [-0.1, 1, 1.5, Number.NaN]) {
      expect(() => trainValidationSplit(ds, f)).toThrow(`validationFraction must be a number in [0, 1), got ${f}`);
    }
    expect(() => trainValidationSplit(labelled(1), 0.5)).toThrow(
      'validationFraction 0.5 of 1 rows leaves no training rows',
    );
    expect(() => trainValidationSplit(ds, 1e-17)).toThrow(
      'validationFraction 1e-17 of 10 rows leaves no validation rows',
    );
  });
});

describe('randomSplit', () => {
  it('has the Keras part sizes and reports where each row came from', () => {
    const ds = labelled(10);
    const s = randomSplit(ds, 0.25, new Rng(5));
    expect(s.train.rows).toBe(7);
    expect(s.validation.rows).toBe(3);
    expect(Array.from(s.train.y)).toEqual(Array.from(s.trainIndices));
    expect(Array.from(s.validation.y)).toEqual(Array.from(s.validationIndices));
    expect([...s.trainIndices, ...s.validationIndices].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects a bad fraction', () => {
    expect(() => randomSplit(labelled(10), 1, new Rng(1))).toThrow(
      'validationFraction must be a number in [0, 1), got 1',
    );
  });
});

describe('standardize', () => {
  it('matches scikit-learn StandardScaler on a small example (population std)', () => {
    // sklearn: StandardScaler().fit([[1, 10], [2, 10], [3, 10], [6, 10]]) -> mean_ [3, 10], scale_ [1.8708.., 1]
    const x = new Float32Array([1, 10, 2, 10, 3, 10, 6, 10]);
    const s = fitStandardizer(x, 4, 2);
    expect(Array.from(s.mean)).toEqual([3, 10]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(3.5), 12);
    expect(s.std[1]).toBe(1);
  });

  it('a constant column of an inexact value gets its exact value as mean and scale 1', () => {
    const rows = 1000;
    const x = new Float32Array(rows).fill(0.1);
    const s = fitStandardizer(x, rows, 1);
    expect(s.mean[0]).toBe(Math.fround(0.1));
    expect(s.std[0]).toBe(1);
  });

  it('names bad shapes and non-finite values', () => {
    expect(() => fitStandardizer(new Float32Array(5), 2, 3)).toThrow(
      'x has 5 values, expected rows x features = 2 x 3 = 6',
    );
    expect(() => fitStandardizer(new Float32Array(0), 0, 3)).toThrow('rows must be an integer >= 1, got 0');
    expect(() => fitStandardizer(new Float32Array([1, 2, Number.NaN, 4]), 2, 2)).toThrow(
      'x[row 1, column 0] is NaN; standardisation needs finite values',
    );
    // The first in row order is named, whichever column holds it.
    expect(() => fitStandardizer(new Float32Array([1, Number.POSITIVE_INFINITY, Number.NaN, 4]), 2, 2)).toThrow(
      'x[row 0, column 1] is Infinity; standardisation needs finite values',
    );
    expect(() => fitStandardizer(new Float32Array([1, 2, 3, Number.NEGATIVE_INFINITY]), 4, 1)).toThrow(
      'x[row 3, column 0] is -Infinity; standardisation needs finite values',
    );
  });
});

describe('batches', () => {
  it('counts and bounds match Keras: full batches, last one partial', () => {
    expect(batchCount(0, 32)).toBe(0);
    expect(batchCount(100, 32)).toBe(4);
    expect(batchCount(96, 32)).toBe(3);
    expect(batchCount(5, 100)).toBe(1);
    expect(batchBounds(3, 100, 32)).toEqual([96, 100]);
    expect(batchBounds(0, 5, 100)).toEqual([0, 5]);
    expect(batchStart(2, 32)).toBe(64);
    expect(batchEnd(2, 100, 32)).toBe(96);
  });

  it('reuses the caller pair', () => {
    const pair: [number, number] = [0, 0];
    expect(batchBounds(1, 10, 4, pair)).toBe(pair);
    expect(pair).toEqual([4, 8]);
  });

  it('forEachBatch visits every position once, in order', () => {
    const seen: number[] = [];
    forEachBatch(10, 3, (start, end, i) => {
      expect(start).toBe(i * 3);
      for (let k = start; k < end; k++) seen.push(k);
    });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gatherBatch copies the ordered rows into reused buffers', () => {
    const ds = labelled(6, 2);
    const order = new Int32Array([5, 3, 1, 0, 2, 4]);
    const xb = new Float32Array(4 * 2).fill(-1);
    const yb = new Float32Array(4).fill(-1);
    gatherBatch(ds, order, 4, 6, xb, yb);
    expect(Array.from(yb)).toEqual([2, 4, -1, -1]);
    expect(Array.from(xb.subarray(0, 4))).toEqual([20, 21, 40, 41]);
    expect(() => gatherBatch(ds, order, 0, 6, xb, yb)).toThrow('out has 8 values, too few for 6 rows of 2');
  });

  it('names bad arguments', () => {
    expect(() => batchCount(10, 0)).toThrow('batchSize must be an integer >= 1, got 0');
    expect(() => batchCount(-1, 4)).toThrow('rows must be an integer >= 0, got -1');
    expect(() => batchBounds(3, 10, 4)).toThrow(
      'batch index i must be an integer in [0, 3) for 10 rows in batches of 4, got 3',
    );
  });
});

describe('synthetic data', () => {
  it('seedProblem: shape, ranges, determinism and prefix property', () => {
    const a = seedProblem({ rows: 500 });
    expect(a.rows).toBe(500);
    expect(a.features).toBe(39);
    expect(a.outputs).toBe(1);
    expect(a.x).toHaveLength(500 * 39);
    for (const v of a.y) {
      expect(v).toBeGreaterThanOrEqual(SEED_TARGET_MIN);
      expect(v).toBeLessThanOrEqual(SEED_TARGET_MAX);
      expect(v > 0 && v < 1).toBe(true);
    }
    const b = seedProblem({ rows: 500 });
    expect(bits(a.x).equals(bits(b.x)) && bits(a.y).equals(bits(b.y))).toBe(true);
    const c = seedProblem({ rows: 300 });
    expect(bits(c.x).equals(bits(a.x.subarray(0, 300 * 39)))).toBe(true);
    expect(bits(c.y).equals(bits(a.y.subarray(0, 300)))).toBe(true);
    const d = seedProblem({ rows: 500, seed: 2 });
    expect(bits(d.y).equals(bits(a.y))).toBe(false);
  });

  it('seedProblem: inputs look standard normal and the target is spread out', () => {
    const ds = seedProblem({ rows: 4000 });
    const s = fitStandardizer(ds.x, ds.rows, ds.features);
    for (let f = 0; f < ds.features; f++) {
      expect(Math.abs(s.mean[f])).toBeLessThan(0.1);
      expect(Math.abs(s.std[f] - 1)).toBeLessThan(0.1);
    }
    const ys = fitStandardizer(ds.y, ds.rows, 1);
    expect(ys.std[0]).toBeGreaterThan(0.1);
    expect(ys.mean[0]).toBeGreaterThan(0.2);
    expect(ys.mean[0]).toBeLessThan(0.8);
  });

  it('seedProblem is learnable: a small MLP gets the held-out MSE well below the variance of y', () => {
    const ds = seedProblem({ rows: 3000 });
    const heldOut = fitStandardizer(ds.y.subarray(2000), 1000, 1);
    const variance = heldOut.std[0] ** 2;
    const mse = studentHeldOutMse(ds, 2000, 16, 15);
    expect(variance).toBeGreaterThan(0.03);
    expect(mse).toBeLessThan(0.25 * variance);
  });

  it('seedProblem default is 10000 rows of 39 features', () => {
    const ds = seedProblem();
    expect([ds.rows, ds.features, ds.outputs]).toEqual([10000, 39, 1]);
  });

  it('wideProblem: one-hot targets, every class present, deterministic', () => {
    const a = wideProblem({ rows: 2000, features: 64, classes: 10 });
    expect([a.rows, a.features, a.outputs]).toEqual([2000, 64, 10]);
    const counts = new Array(10).fill(0);
    for (let r = 0; r < a.rows; r++) {
      const row = a.y.subarray(r * 10, r * 10 + 10);
      expect(row.reduce((p, v) => p + v, 0)).toBe(1);
      expect(row.every((v) => v === 0 || v === 1)).toBe(true);
      counts[row.indexOf(1)]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(100);
    const b = wideProblem({ rows: 2000, features: 64, classes: 10 });
    expect(bits(a.x).equals(bits(b.x)) && bits(a.y).equals(bits(b.y))).toBe(true);
  });

  it('wideProblem defaults: 784 features, 10 classes', () => {
    const ds = wideProblem({ rows: 20 });
    expect([ds.rows, ds.features, ds.outputs]).toEqual([20, 784, 10]);
  });

  it('names bad options', () => {
    expect(() => seedProblem({ rows: 0 })).toThrow('rows must be an integer >= 1, got 0');
    expect(() => seedProblem({ noise: -1 })).toThrow('noise must be a finite number >= 0, got -1');
    expect(() => wideProblem({ classes: 1 })).toThrow('classes must be an integer >= 2, got 1');
    expect(() => wideProblem({ seed: Number.NaN })).toThrow('seed must be a finite number, got NaN');
  });
});
