/**
 * A classifier's report from its confusion matrix: per-class precision, recall, F1 and support, and the macro
 * average of F1, with scikit-learn's definitions (`classification_report`, `zero_division=0`): a class that is
 * never predicted has precision 0, a class that never occurs has recall 0, and F1 is 0 when both are 0.
 */

/** The scores of one class. */
export interface ClassScores {
  /** Of the rows predicted as this class, the fraction that are: tp / (tp + fp). */
  precision: number;
  /** Of the rows of this class, the fraction predicted as it: tp / (tp + fn). */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

export interface ClassificationReport {
  /** One entry per class, in the matrix's order. */
  perClass: ClassScores[];
  /** Unweighted mean of the classes' F1. */
  macroF1: number;
  /** Fraction of all rows on the diagonal. */
  accuracy: number;
}

/**
 * Counts predictions: `matrix[t][p]` is the number of rows of true class `t` predicted as class `p`.
 *
 * @param actual true class index of each row, in `[0, classes)`
 * @param predicted predicted class index of each row, in `[0, classes)`
 * @throws RangeError for lengths that differ or indices outside the classes
 */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (!Number.isInteger(classes) || classes < 1)
    throw new RangeError(`classes must be a positive integer, got ${classes}`);
  if (actual.length !== predicted.length) {
    throw new RangeError(`${actual.length} true labels but ${predicted.length} predictions`);
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let r = 0; r < actual.length; r++) {
    const t = actual[r];
    const p = predicted[r];
    if (!(Number.isInteger(t) && t >= 0 && t < classes && Number.isInteger(p) && p >= 0 && p < classes)) {
      throw new RangeError(
        `row ${r}: class indices ${t} (true) and ${p} (predicted) must be integers in [0, ${classes})`,
      );
    }
    m[t][p]++;
  }
  return m;
}

/** Precision, recall, F1 and support per class, macro F1 and accuracy from a square confusion matrix. */
export function classificationReport(matrix: readonly (readonly number[])[]): ClassificationReport {
  const k = matrix.length;
  if (k === 0 || matrix.some((row) => row.length !== k)) {
    throw new RangeError('a confusion matrix must be square with at least one class');
  }
  const predictedAs = new Array<number>(k).fill(0);
  let total = 0;
  let diagonal = 0;
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      predictedAs[p] += matrix[t][p];
      total += matrix[t][p];
    }
    diagonal += matrix[t][t];
  }
  const perClass = matrix.map((row, c): ClassScores => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const precision = predictedAs[c] > 0 ? tp / predictedAs[c] : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
  return {
    perClass,
    macroF1: perClass.reduce((a, s) => a + s.f1, 0) / k,
    accuracy: total > 0 ? diagonal / total : 0,
  };
}
