// Property tests (fast-check) of model selection's bookkeeping: k folds are disjoint and cover every row,
// stratified folds keep each class's proportion, holdouts take the last rows, and grids and their samples
// list every point once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldCount, foldRows, holdoutFolds, kFolds } from '../src/data/folds.js';
import { validationSplitAt } from '../src/data/split.js';
import { expandGrid, gridPoint, gridSize, sampleGrid } from '../src/tune/space.js';
import { halvingRungs, rungEpochs, survivors } from '../src/tune/trials.js';

const seed = fc.integer({ min: 0, max: 0x7fffffff });

describe('kFolds', () => {
  it('gives disjoint validation parts that cover every row, each fold within one row of rows / k', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 300 }), seed, (k, extra, s) => {
        const rows = k + extra;
        const folds = kFolds(rows, k, s);
        expect(foldCount(folds)).toBe(k);
        const seen = new Int32Array(rows);
        for (let f = 0; f < k; f++) {
          const { train, validation } = foldRows(folds, f);
          expect(train.length + validation.length).toBe(rows);
          expect(validation.length).toBeGreaterThanOrEqual(Math.floor(rows / k));
          expect(validation.length).toBeLessThanOrEqual(Math.ceil(rows / k));
          for (const r of validation) seen[r]++;
          // The training part is every other row, ascending (the source order).
          const inValidation = new Set(validation);
          expect([...train]).toEqual([...Array(rows).keys()].filter((r) => !inValidation.has(r)));
        }
        expect([...seen].every((n) => n === 1)).toBe(true);
      }),
    );
  });

  it('keeps every class within one row of its count / k in each fold when stratified', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 8, maxLength: 400 }),
        seed,
        (k, labelList, s) => {
          fc.pre(labelList.length >= k);
          const labels = Int32Array.from(labelList);
          const folds = kFolds(labels.length, k, s, labels);
          const classes = Math.max(...labelList) + 1;
          for (let c = 0; c < classes; c++) {
            const count = labelList.filter((l) => l === c).length;
            for (let f = 0; f < k; f++) {
              const inFold = foldRows(folds, f).validation.filter((r) => labels[r] === c).length;
              expect(inFold).toBeGreaterThanOrEqual(Math.floor(count / k));
              expect(inFold).toBeLessThanOrEqual(Math.ceil(count / k));
            }
          }
        },
      ),
    );
  });

  it('depends only on the seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 100 }), seed, (rows, s) => {
        expect(kFolds(rows, 2, s)).toEqual(kFolds(rows, 2, s));
      }),
    );
  });

  it('refuses fewer rows than folds and bad labels', () => {
    expect(() => kFolds(3, 5, 1)).toThrow(/5 folds need at least 5 rows/);
    expect(() => kFolds(3, 1, 1)).toThrow(/k must be an integer >= 2/);
    expect(() => kFolds(3, 2, 1, Int32Array.of(0, 1))).toThrow(/labels has 2 entries/);
  });
});

describe('holdoutFolds', () => {
  it('validates on the last rows, with the Keras counts of train --val-split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 500 }), fc.double({ min: 0.01, max: 0.9, noNaN: true }), (rows, f) => {
        const at = validationSplitAt(rows, f);
        fc.pre(at > 0 && at < rows);
        const { train, validation } = foldRows(holdoutFolds(rows, f), 0);
        expect([...train]).toEqual([...Array(at).keys()]);
        expect(validation[0]).toBe(at);
        expect(validation.length).toBe(rows - at);
      }),
    );
  });
});

describe('search spaces', () => {
  const space = fc.dictionary(
    fc.constantFrom('a', 'b', 'c', 'd'),
    fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
  );

  it('expand to the product of the alternatives, every point once, the last key fastest', () => {
    fc.assert(
      fc.property(space, (s) => {
        const grid = expandGrid(s);
        const product = Object.values(s).reduce((n, v) => n * v.length, 1);
        expect(grid.length).toBe(product);
        expect(new Set(grid.map((p) => JSON.stringify(p))).size).toBe(product);
        for (const [i, p] of grid.entries()) expect(gridPoint(s, i)).toEqual(p);
      }),
    );
    expect(expandGrid({ lr: [0.1, 0.5], layers: ['16', '39,39'] })).toEqual([
      { lr: 0.1, layers: '16' },
      { lr: 0.1, layers: '39,39' },
      { lr: 0.5, layers: '16' },
      { lr: 0.5, layers: '39,39' },
    ]);
  });

  it('samples distinct points, ascending, the same for the same seed', () => {
    fc.assert(
      fc.property(space, fc.integer({ min: 1, max: 70 }), seed, (s, n, sd) => {
        const picked = sampleGrid(s, n, sd);
        expect(picked.length).toBe(Math.min(n, gridSize(s)));
        expect(new Set(picked).size).toBe(picked.length);
        expect(picked).toEqual([...picked].sort((a, b) => a - b));
        expect(picked.every((i) => i >= 0 && i < gridSize(s))).toBe(true);
        expect(sampleGrid(s, n, sd)).toEqual(picked);
      }),
    );
  });

  it('refuses an empty list of alternatives', () => {
    expect(() => expandGrid({ lr: [] })).toThrow(/"lr" must be a non-empty array/);
  });
});

describe('successive halving', () => {
  it('keeps a third each rung until at most 3 remain, the last rung on the full epochs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 200 }), (n, epochs) => {
        const rungs = halvingRungs(n);
        let alive = n;
        for (let r = 0; r < rungs - 1; r++) alive = survivors(alive);
        expect(alive).toBeLessThanOrEqual(3);
        expect(rungs === 1 || n > 3).toBe(true);
        expect(rungEpochs(epochs, rungs - 1, rungs)).toBe(epochs);
        for (let r = 1; r < rungs; r++) {
          expect(rungEpochs(epochs, r - 1, rungs)).toBeLessThanOrEqual(rungEpochs(epochs, r, rungs));
        }
      }),
    );
    expect(halvingRungs(4)).toBe(2);
    expect(halvingRungs(27)).toBe(3);
    expect(rungEpochs(20, 0, 2)).toBe(7);
  });
});
