/**
 * Encodings between labels and float blocks: one-hot class indices and their inverse (row-wise argmax), and a
 * one-hot encoder for string (categorical) columns whose whole state is its vocabulary.
 */
import { requireInt, requireLength, show } from './check.js';

/**
 * One-hot encodes integer class labels: row `i` of the result is all zeros except a 1 at column `labels[i]`.
 *
 * @param labels class indices, each an integer in `[0, classes)`
 * @param classes number of classes (columns), an integer >= 1
 * @param out optional destination of `labels.length x classes` values; it is overwritten entirely
 * @returns `out`, or a new Float32Array
 * @throws RangeError naming the first label that is not an integer or is out of range
 */
export function oneHot(labels: ArrayLike<number>, classes: number, out?: Float32Array): Float32Array {
  requireInt('classes', classes, 1);
  const rows = labels.length;
  if (out) requireLength('out', out, rows, classes, 'labels', 'classes');
  for (let i = 0; i < rows; i++) {
    const label = labels[i];
    if (!Number.isInteger(label)) {
      throw new RangeError(`labels[${i}] = ${show(label)} is not an integer class index`);
    }
    if (label < 0 || label >= classes) {
      throw new RangeError(
        `labels[${i}] = ${label} is out of range for ${classes} classes (expected 0 to ${classes - 1})`,
      );
    }
  }
  const dst = out ?? new Float32Array(rows * classes);
  if (out) dst.fill(0);
  for (let i = 0; i < rows; i++) dst[i * classes + labels[i]] = 1;
  return dst;
}

/**
 * The column of the largest value in each row of `values` (`rows x cols`, row-major): the inverse of
 * {@link oneHot}, and how class predictions are read from probabilities. Ties go to the lowest column (as
 * `tf.argMax` and NumPy); NaN never compares larger, so it is chosen only when it sits in column 0.
 *
 * @param cols an integer >= 1
 * @param out optional destination of `rows` values
 * @returns `out`, or a new Int32Array
 */
export function argmaxRows(values: ArrayLike<number>, rows: number, cols: number, out?: Int32Array): Int32Array {
  requireInt('rows', rows, 0);
  requireInt('cols', cols, 1);
  requireLength('values', values, rows, cols, 'rows', 'cols');
  if (out && out.length !== rows) throw new RangeError(`out has ${out.length} values, expected rows = ${rows}`);
  const dst = out ?? new Int32Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let best = 0;
    let bestValue = values[base];
    for (let c = 1; c < cols; c++) {
      const v = values[base + c];
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    dst[r] = best;
  }
  return dst;
}

/** What {@link encodeCategories} does with a value that is not in the vocabulary. */
export type UnknownCategory = 'error' | 'zeros';

/** Options of {@link encodeCategories}. */
export interface EncodeCategoriesOptions {
  /** `'error'` (default): throw, naming the value. `'zeros'`: encode it as an all-zero row. */
  unknown?: UnknownCategory;
  /** Destination of `values.length x vocabulary.length` values; overwritten entirely. */
  out?: Float32Array;
}

/**
 * Fits a category encoder on a string column: its vocabulary, the distinct values sorted by UTF-16 code units
 * (`Array.prototype.sort`'s default order, independent of locale), so the same values in any order give the
 * same vocabulary. The vocabulary is the encoder's whole state: plain strings, ready for JSON. Column `k` of the
 * encoding stands for `vocabulary[k]`.
 *
 * @throws TypeError naming the first value that is not a string
 */
export function fitCategories(values: readonly string[]): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string') throw new TypeError(`values[${i}] = ${show(v)} is not a string`);
    seen.add(v);
  }
  return [...seen].sort();
}

/**
 * One-hot encodes a string column against a vocabulary from {@link fitCategories}: row `i` has a 1 at column
 * `vocabulary.indexOf(values[i])` and zeros elsewhere.
 *
 * @returns `options.out`, or a new Float32Array of `values.length x vocabulary.length` values
 * @throws Error naming the unseen value and its position when `unknown` is `'error'`
 * @throws RangeError when the vocabulary is empty or has duplicates, or `out` has the wrong length
 */
export function encodeCategories(
  values: readonly string[],
  vocabulary: readonly string[],
  options: EncodeCategoriesOptions = {},
): Float32Array {
  const unknown = options.unknown ?? 'error';
  if (unknown !== 'error' && unknown !== 'zeros') {
    throw new RangeError(`options.unknown must be 'error' or 'zeros', got ${show(unknown)}`);
  }
  const index = vocabularyIndex(vocabulary);
  const cols = vocabulary.length;
  const rows = values.length;
  const out = options.out;
  if (out) requireLength('options.out', out, rows, cols, 'values', 'categories');
  const codes = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const k = index.get(values[i]);
    if (k !== undefined) codes[i] = k;
    else if (unknown === 'zeros') codes[i] = -1;
    else {
      throw new Error(
        `values[${i}] = ${show(values[i])} is not in the vocabulary of ${cols} categories (${listVocabulary(vocabulary)}); ` +
          `pass { unknown: 'zeros' } to encode unseen values as zeros`,
      );
    }
  }
  const dst = out ?? new Float32Array(rows * cols);
  if (out) dst.fill(0);
  for (let i = 0; i < rows; i++) if (codes[i] >= 0) dst[i * cols + codes[i]] = 1;
  return dst;
}

/**
 * Decodes a one-hot (or score) block back to category strings by row-wise argmax: the inverse of
 * {@link encodeCategories} for known values. An all-zero row decodes to `vocabulary[0]`, so decode only rows
 * known to hold a category.
 */
export function decodeCategories(encoded: ArrayLike<number>, vocabulary: readonly string[]): string[] {
  const cols = vocabulary.length;
  if (cols === 0) throw new RangeError('vocabulary must have at least one category, got []');
  if (encoded.length % cols !== 0) {
    throw new RangeError(`encoded has ${encoded.length} values, not a whole number of rows of ${cols} categories`);
  }
  const rows = encoded.length / cols;
  return Array.from(argmaxRows(encoded, rows, cols), (k) => vocabulary[k]);
}

function vocabularyIndex(vocabulary: readonly string[]): Map<string, number> {
  if (vocabulary.length === 0) throw new RangeError('vocabulary must have at least one category, got []');
  const index = new Map<string, number>();
  for (let k = 0; k < vocabulary.length; k++) {
    const v = vocabulary[k];
    if (typeof v !== 'string') throw new TypeError(`vocabulary[${k}] = ${show(v)} is not a string`);
    if (index.has(v)) throw new RangeError(`vocabulary[${k}] = ${show(v)} repeats vocabulary[${index.get(v)}]`);
    index.set(v, k);
  }
  return index;
}

function listVocabulary(vocabulary: readonly string[]): string {
  const shown = vocabulary.slice(0, 8).map((v) => show(v));
  return vocabulary.length > 8 ? `${shown.join(', ')}, ...` : shown.join(', ');
}
