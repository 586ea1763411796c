// The classification report against scikit-learn 1.2's precision_recall_fscore_support and f1_score(average='macro',
// zero_division=0) on the same labels (values computed with Debian's python3-sklearn and written here), and
// properties that hold for any labels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classificationReport, confusionMatrix } from '../src/index.js';

describe('classificationReport', () => {
  it('matches scikit-learn, including a class that never occurs and one that is never right', () => {
    const actual = [0, 0, 1, 1, 2, 2, 2, 0, 1, 2];
    const predicted = [0, 1, 1, 1, 2, 0, 2, 0, 2, 2];
    const m = confusionMatrix(actual, predicted, 4);
    expect(m).toEqual([
      [2, 1, 0, 0],
      [0, 2, 1, 0],
      [1, 0, 3, 0],
      [0, 0, 0, 0],
    ]);
    const r = classificationReport(m);
    const two3 = 2 / 3;
    expect(r.perClass.map((c) => c.precision)).toEqual([two3, two3, 0.75, 0]);
    expect(r.perClass.map((c) => c.recall)).toEqual([two3, two3, 0.75, 0]);
    r.perClass.forEach((c, i) => {
      expect(c.f1).toBeCloseTo([two3, two3, 0.75, 0][i], 12);
    });
    expect(r.perClass.map((c) => c.support)).toEqual([3, 3, 4, 0]);
    expect(r.macroF1).toBeCloseTo(0.5208333333333333, 12);
    expect(r.accuracy).toBe(0.7);
  });

  it('matches scikit-learn where precision and recall differ', () => {
    const r = classificationReport(confusionMatrix([0, 0, 0, 0, 1, 1, 2], [0, 0, 1, 2, 1, 1, 1], 3));
    expect(r.perClass.map((c) => c.precision)).toEqual([1, 0.5, 0]);
    expect(r.perClass.map((c) => c.recall)).toEqual([0.5, 1, 0]);
    r.perClass.forEach((c, i) => {
      expect(c.f1).toBeCloseTo([2 / 3, 2 / 3, 0][i], 12);
    });
    expect(r.macroF1).toBeCloseTo(0.4444444444444444, 12);
  });

  it('supports sum to the rows, F1 lies between 0 and 1, and perfect predictions score 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((k) =>
          fc.tuple(
            fc.constant(k),
            fc.array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.integer({ min: 0, max: k - 1 })), {
              minLength: 1,
              maxLength: 60,
            }),
          ),
        ),
        ([k, pairs]) => {
          const actual = pairs.map((p) => p[0]);
          const r = classificationReport(
            confusionMatrix(
              actual,
              pairs.map((p) => p[1]),
              k,
            ),
          );
          expect(r.perClass.reduce((a, c) => a + c.support, 0)).toBe(pairs.length);
          for (const c of r.perClass) {
            expect(c.f1).toBeGreaterThanOrEqual(0);
            expect(c.f1).toBeLessThanOrEqual(1);
            expect(c.f1).toBeLessThanOrEqual(Math.max(c.precision, c.recall) + 1e-12);
          }
          const perfect = classificationReport(confusionMatrix(actual, actual, k));
          expect(perfect.accuracy).toBe(1);
          for (const c of perfect.perClass) expect(c.f1).toBe(c.support > 0 ? 1 : 0);
        },
      ),
    );
  });

  it('rejects labels outside the classes and matrices that are not square', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow('row 1: class indices 3 (true) and 1 (predicted)');
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow('1 true labels but 2 predictions');
    expect(() => classificationReport([[1, 2]])).toThrow('square');
  });
});
