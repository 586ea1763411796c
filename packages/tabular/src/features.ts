/**
 * From a typed table to a Dataset, and back from network outputs to labels.
 *
 * - Feature columns: numeric ones are standardised, `(x - mean) / std` with the population std (a constant
 *   column keeps scale 1); categorical (string) ones are one-hot encoded over their sorted vocabulary. The
 *   statistics and vocabularies form the `Encoding`, saved in the model and re-applied at predict time.
 * - The task is inferred from the target: a string column or a numeric one with exactly two values is a
 *   classification (two classes: binary; more: multi-class; a numeric column of 3 to 20 distinct integers is
 *   multi-class too), any other numeric column is a regression. Targets are never transformed.
 * - Missing values stop with an error naming the file, line and column, unless the policy is `drop` (rows with
 *   a missing value in any used column are left out) or `impute` (numeric features take the training mean,
 *   categorical ones the most frequent category; rows whose target is missing are left out).
 * - A category unseen in training is an error naming where it is, or (policy `zeros`) an all-zero encoding.
 *
 * Errors are `TabularError`s: `data` for the table's contents, `usage` for a choice of columns, task or loss that
 * cannot work (those messages name the CLI's flags, the only front end that offers the choices). What a user can
 * do about a missing value or an unseen category depends on the front end, so the caller passes it as `Advice`.
 */

import { type ActivationName, type Dataset, fitStandardizer, type LossName } from '@shardprop/core';
import { releaseBelow } from './blocks.js';
import { dataError, usageError } from './errors.js';
import { type Column, type ColumnKind, listNames, type Table, where } from './table.js';

export type Task = 'regression' | 'binary' | 'multiclass';
export const TASKS: readonly Task[] = ['regression', 'binary', 'multiclass'];

export interface NumericFeature {
  name: string;
  kind: 'numeric';
  mean: number;
  std: number;
}

export interface CategoricalFeature {
  name: string;
  kind: 'categorical';
  /** Sorted distinct values; column k of the one-hot block stands for vocabulary[k]. */
  vocabulary: string[];
  /** The most frequent category (what `impute` fills in). */
  mode: string;
}

export type FeatureEncoding = NumericFeature | CategoricalFeature;

export interface RegressionTarget {
  task: 'regression';
  columns: string[];
}

export interface ClassTarget {
  task: 'binary' | 'multiclass';
  column: string;
  /** Class labels as text, in class-index order. */
  classes: string[];
  /** Whether the target column holds numbers (its labels are then the numbers' text, e.g. "0", "1"). */
  numeric: boolean;
}

export type TargetEncoding = RegressionTarget | ClassTarget;

/** Everything needed to turn a CSV into network inputs and targets the same way again. */
export interface Encoding {
  features: FeatureEncoding[];
  target: TargetEncoding;
}

export type MissingPolicy = 'error' | 'drop' | 'impute';
export type UnknownPolicy = 'error' | 'zeros';

/**
 * What a front end tells the user to do, added after `; ` to the messages it applies to (the CLI names its flags,
 * the page its controls). Without advice, the message ends with the problem.
 */
export interface Advice {
  /** For a missing feature value under the `error` policy, e.g. "pass --drop-missing or --impute mean". */
  missingFeature?: string;
  /** For a missing target value, e.g. "pass --drop-missing to leave such rows out". */
  missingTarget?: string;
  /** For a category not seen in training under the `error` policy, e.g. "pass --unknown zeros ...". */
  unknownCategory?: string;
}

/** Names of the network's input columns: a numeric feature, or `name=category` per one-hot column. */
export function inputNames(features: readonly FeatureEncoding[]): string[] {
  const names: string[] = [];
  for (const f of features) {
    if (f.kind === 'numeric') names.push(f.name);
    else for (const v of f.vocabulary) names.push(`${f.name}=${v}`);
  }
  return names;
}

export function inputWidth(features: readonly FeatureEncoding[]): number {
  let n = 0;
  for (const f of features) n += f.kind === 'numeric' ? 1 : f.vocabulary.length;
  return n;
}

export function targetNames(target: TargetEncoding): string[] {
  return target.task === 'regression' ? target.columns : [target.column];
}

/**
 * The per-input standardisation (one-hot inputs: mean 0, std 1), for the `normalization` field of core's model
 * metadata.
 */
export function normalization(encoding: Encoding): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (const f of encoding.features) {
    if (f.kind === 'numeric') {
      mean.push(f.mean);
      std.push(f.std);
    } else {
      for (const _ of f.vocabulary) {
        mean.push(0);
        std.push(1);
      }
    }
  }
  return { mean, std };
}

/** Column types to enforce when reading data for an existing encoding. */
export function columnTypes(encoding: Encoding, withTarget: boolean): Map<string, ColumnKind> {
  const types = new Map<string, ColumnKind>();
  for (const f of encoding.features) types.set(f.name, f.kind);
  if (withTarget) {
    const t = encoding.target;
    if (t.task === 'regression') for (const c of t.columns) types.set(c, 'numeric');
    else types.set(t.column, t.numeric ? 'numeric' : 'categorical');
  }
  return types;
}

/**
 * Picks the feature and target columns from a header: targets by name; features as listed, or every other
 * column except the ignored ones. Unknown names are usage errors.
 */
export function chooseColumns(
  file: string,
  header: readonly string[],
  targets: readonly string[],
  features?: readonly string[],
  ignore: readonly string[] = [],
): { features: string[]; targets: string[] } {
  const known = new Set(header);
  const check = (name: string, flag: string): void => {
    if (!known.has(name)) {
      throw usageError(`${flag}: ${file} has no column named ${JSON.stringify(name)} (columns: ${listNames(header)})`);
    }
  };
  if (targets.length === 0) throw usageError('--target: name at least one target column');
  for (const t of targets) check(t, '--target');
  for (const i of ignore) check(i, '--ignore');
  let chosen: string[];
  if (features && features.length > 0) {
    for (const f of features) {
      check(f, '--features');
      if (targets.includes(f)) throw usageError(`--features: column ${JSON.stringify(f)} is also the target`);
    }
    chosen = [...features];
  } else {
    chosen = header.filter((h) => !targets.includes(h) && !ignore.includes(h));
  }
  if (chosen.length === 0) throw usageError(`${file}: no feature columns left besides the target`);
  return { features: chosen, targets: [...targets] };
}

function column(table: Table, name: string): Column {
  const c = table.columns.get(name);
  if (!c) throw new Error(`internal: column ${name} was not read`);
  return c;
}

/** Whether any value of the column is missing. */
function hasMissing(c: Column): boolean {
  // includes() compares as SameValueZero, so it finds NaN, and in the runtime's own loop: twice as fast as ours.
  return c.kind === 'categorical' ? c.values.includes(null) : c.values.includes(Number.NaN);
}

function isMissingAt(c: Column, r: number): boolean {
  return c.kind === 'numeric' ? Number.isNaN(c.values[r]) : c.values[r] === null;
}

function missingError(table: Table, c: Column, r: number, advice: string | undefined): never {
  throw dataError(
    `${where(table.file, table.lines[r], c.position)}: missing value in column ${JSON.stringify(c.name)}${advised(advice)}`,
  );
}

function advised(advice: string | undefined): string {
  return advice ? `; ${advice}` : '';
}

/** Numeric targets' distinct values, sorted; strings' by code units. */
function distinctLabels(c: Column, rows: Int32Array): string[] {
  if (c.kind === 'categorical') {
    const seen = new Set<string>();
    for (const r of rows) seen.add(c.values[r] as string);
    return [...seen].sort();
  }
  const seen = new Set<number>();
  for (const r of rows) seen.add(c.values[r]);
  return [...seen].sort((a, b) => a - b).map(String);
}

/** A numeric target with more distinct values than this is inferred as regression. */
const MAX_NUMERIC_CLASSES = 20;

/** Whether the values at `rows` take more than `limit` distinct values (stops at the first one over). */
function moreDistinctThan(values: Float64Array, rows: Int32Array, limit: number): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < rows.length; i++) {
    seen.add(values[rows[i]]);
    if (seen.size > limit) return true;
  }
  return false;
}

/** Describes the inferred or chosen task for the start-of-run line. */
export function describeTarget(target: TargetEncoding): string {
  if (target.task === 'regression') {
    const cols = target.columns.map((c) => JSON.stringify(c)).join(', ');
    return `regression on ${cols}`;
  }
  const shown = target.classes.length > 8 ? `${target.classes.slice(0, 8).join(', ')}, ...` : target.classes.join(', ');
  return `${target.task === 'binary' ? 'binary' : `${target.classes.length}-class`} classification of ${JSON.stringify(target.column)} (${shown})`;
}

/** Infers the task from the target column(s) of the rows that will be trained on; `task` overrides. */
export function inferTarget(table: Table, targets: readonly string[], rows: Int32Array, task?: Task): TargetEncoding {
  const cols = targets.map((t) => column(table, t));
  if (cols.length > 1) {
    if (task && task !== 'regression') {
      throw usageError(`--task ${task}: classification takes one target column, got ${targets.length}`);
    }
    for (const c of cols) {
      if (c.kind !== 'numeric') {
        throw usageError(
          `--target: with several target columns every one must be numeric (regression), but ${JSON.stringify(c.name)} holds text`,
        );
      }
    }
    return { task: 'regression', columns: [...targets] };
  }
  const c = cols[0];
  if (task === 'regression') {
    if (c.kind !== 'numeric') {
      throw usageError(`--task regression: the target ${JSON.stringify(c.name)} holds text, not numbers`);
    }
    return { task: 'regression', columns: [c.name] };
  }
  if (task === undefined && c.kind === 'numeric' && moreDistinctThan(c.values, rows, MAX_NUMERIC_CLASSES)) {
    // More distinct numbers than classes are inferred from: regression, known without collecting them all.
    return { task: 'regression', columns: [c.name] };
  }
  const labels = distinctLabels(c, rows);
  if (task === undefined) {
    if (c.kind === 'numeric') {
      const integers = labels.every((l) => Number.isInteger(Number(l)));
      const classes = labels.length === 2 || (integers && labels.length >= 3 && labels.length <= MAX_NUMERIC_CLASSES);
      if (!classes) return { task: 'regression', columns: [c.name] };
    }
    task = labels.length === 2 ? 'binary' : 'multiclass';
  }
  if (labels.length < 2) {
    throw dataError(
      `${table.file}: the target ${JSON.stringify(c.name)} has a single class (${labels[0]}); classification needs at least two`,
    );
  }
  if (task === 'binary' && labels.length !== 2) {
    throw usageError(
      `--task binary: the target ${JSON.stringify(c.name)} has ${labels.length} classes; use --task multiclass`,
    );
  }
  return { task, column: c.name, classes: labels, numeric: c.kind === 'numeric' };
}

/** Rows to use under a missing-value policy (training: targets too). */
export function usableRows(
  table: Table,
  features: readonly string[],
  targets: readonly string[],
  policy: MissingPolicy,
  advice: Advice = {},
): { rows: Int32Array; dropped: number } {
  const featureCols = features.map((f) => column(table, f));
  const targetCols = targets.map((t) => column(table, t));
  if (![...featureCols, ...targetCols].some(hasMissing)) {
    // The common case, found in one tight pass per column: every row is usable.
    const rows = new Int32Array(table.rows);
    for (let r = 0; r < rows.length; r++) rows[r] = r;
    return { rows, dropped: 0 };
  }
  const keep: number[] = [];
  for (let r = 0; r < table.rows; r++) {
    let ok = true;
    for (const c of targetCols) {
      if (isMissingAt(c, r)) {
        if (policy === 'error') missingError(table, c, r, advice.missingTarget);
        ok = false;
      }
    }
    for (const c of featureCols) {
      if (isMissingAt(c, r)) {
        if (policy === 'error') missingError(table, c, r, advice.missingFeature);
        if (policy === 'drop') ok = false;
      }
    }
    if (ok) keep.push(r);
  }
  if (keep.length === 0) throw dataError(`${table.file}: no rows left after leaving out rows with missing values`);
  return { rows: Int32Array.from(keep), dropped: table.rows - keep.length };
}

/** Fits standardisation statistics and vocabularies on the given rows. */
export function fitFeatures(table: Table, features: readonly string[], rows: Int32Array): FeatureEncoding[] {
  // One buffer for every numeric column's values in turn (fresh ones would cost a page fault per 4 KB each). The
  // copy is also what makes the statistics' two passes fast: a column's own array lies over a resizable buffer,
  // which V8 (Node 20) reads about 2.5x slower in a loop than a plain one.
  let scratch: Float64Array | undefined;
  const consecutive = isConsecutive(rows);
  return features.map((name): FeatureEncoding => {
    const c = column(table, name);
    if (c.kind === 'categorical') {
      const counts = new Map<string, number>();
      for (const r of rows) {
        const v = c.values[r];
        if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const vocabulary = [...counts.keys()].sort();
      if (vocabulary.length === 0) {
        throw dataError(`${table.file}: column ${JSON.stringify(name)} has no values (every row is missing)`);
      }
      let mode = vocabulary[0];
      for (const v of vocabulary) if ((counts.get(v) as number) > (counts.get(mode) as number)) mode = v;
      return { name, kind: 'categorical', vocabulary, mode };
    }
    const values = c.values;
    scratch ??= new Float64Array(rows.length);
    const present = presentValues(values, rows, consecutive, scratch);
    if (present.length === 0) {
      throw dataError(`${table.file}: column ${JSON.stringify(name)} has no values (every row is missing)`);
    }
    // Fitted on the imputed column (missing values take the mean), as an imputer followed by a scaler would.
    // Without missing values that column is `present` itself, so its statistics are the ones already computed.
    let s = fitStandardizer(present, present.length, 1);
    if (present.length < rows.length) {
      const mean0 = s.mean[0];
      const filled = scratch; // present's values are no longer needed
      for (let i = 0; i < rows.length; i++) {
        const v = values[rows[i]];
        filled[i] = Number.isNaN(v) ? mean0 : v;
      }
      s = fitStandardizer(filled, filled.length, 1);
    }
    if (!Number.isFinite(s.mean[0]) || !Number.isFinite(s.std[0])) overflowError(table, c, rows);
    return { name, kind: 'numeric', mean: s.mean[0], std: s.std[0] };
  });
}

/** The column's values at `rows` that are not missing, in row order, in the start of `into`. */
function presentValues(values: Float64Array, rows: Int32Array, consecutive: boolean, into: Float64Array): Float64Array {
  let count = 0;
  if (consecutive) {
    // One block copy, then a pass over plain memory: reading a resizable buffer's array value by value, through
    // `rows`, took twice as long.
    into.set(values.subarray(rows[0], rows[0] + rows.length));
    for (let i = 0; i < rows.length; i++) {
      const v = into[i];
      if (!Number.isNaN(v)) into[count++] = v;
    }
    return into.subarray(0, count);
  }
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]];
    if (!Number.isNaN(v)) into[count++] = v;
  }
  return into.subarray(0, count);
}

/** True when `rows` is a run of consecutive rows, in order (as every row is, when no row was dropped). */
function isConsecutive(rows: Int32Array): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i] !== rows[i - 1] + 1) return false;
  return rows.length > 0;
}

/**
 * Values so large that the column's mean or standard deviation overflows float64 (e.g. 1e308 twice): named with
 * the largest value's place, at load time, rather than as a model that cannot be saved.
 */
function overflowError(table: Table, c: Column & { kind: 'numeric' }, rows: Int32Array): never {
  let at = rows[0];
  for (const r of rows) if (Math.abs(c.values[r]) > Math.abs(c.values[at]) || Number.isNaN(c.values[at])) at = r;
  throw dataError(
    `${where(table.file, table.lines[at], c.position)}: column ${JSON.stringify(c.name)} holds values too large to standardise (its mean or standard deviation overflows; largest ${c.values[at]}); rescale the column`,
  );
}

export interface EncodeOptions {
  /** What to do with a missing feature value; `drop` and `impute` apply to the rows passed in. */
  missing: MissingPolicy;
  unknown: UnknownPolicy;
  advice?: Advice;
  /**
   * Take the numeric feature columns out of the table as they are encoded (default false), for a caller that needs
   * only the encoded matrix afterwards: a column over a resizable buffer of its own (every numeric column a
   * `TableBuilder` makes) gives its memory back a block of rows at a time, so the float64 table and the float32
   * matrix are never whole together; the columns are then deleted from `table.columns`. The values encoded are the
   * same bits either way. Only when `rows` is increasing (as `usableRows` gives); otherwise the columns are deleted
   * after encoding.
   */
  release?: boolean;
  /**
   * Where to write the matrix: a zero-filled array of exactly `rows x inputWidth` values, for a caller that keeps
   * its data somewhere of its own (e.g. the shared memory of core's `sharedDataset`, which parallel training then
   * uses in place). Default: a new array.
   */
  into?: Float32Array;
}

/**
 * Encodes the feature columns of `rows` into a `rows x inputWidth` float32 matrix. Rows with a missing value
 * under the `drop` policy must already have been left out.
 */
export function encodeFeatures(
  table: Table,
  features: readonly FeatureEncoding[],
  rows: Int32Array,
  options: EncodeOptions,
): Float32Array {
  const advice = options.advice ?? {};
  const width = inputWidth(features);
  const x = options.into ?? new Float32Array(rows.length * width);
  if (x.length !== rows.length * width) {
    throw new RangeError(
      `encodeFeatures: into has ${x.length} values, ${rows.length} rows x ${width} need ${rows.length * width}`,
    );
  }
  // Numeric columns first, all together a tile of rows at a time: column by column, each pass would touch every
  // cache line of x again (x is row-major); a tile of x stays in cache while each column fills its place in it.
  const numeric: NumericPlace[] = [];
  let offset = 0;
  for (const f of features) {
    const c = table.columns.get(f.name);
    // A column that is not there or not of its kind is reported in order below, after any problem before it.
    if (!c || c.kind !== f.kind) break;
    if (c.kind === 'numeric' && f.kind === 'numeric') {
      numeric.push({ values: c.values, mean: f.mean, std: f.std, offset, missingAt: -1 });
    }
    offset += f.kind === 'numeric' ? 1 : f.vocabulary.length;
  }
  encodeNumericTiles(numeric, rows, options.missing === 'impute', x, width, options.release === true);
  // Then column by column in order, so that the first problem reported is the one column-by-column order meets.
  let place = 0;
  offset = 0;
  for (const f of features) {
    const c = table.columns.get(f.name);
    if (!c) throw usageError(`${table.file}: no column named ${JSON.stringify(f.name)}, which the model needs`);
    if (f.kind === 'numeric') {
      if (c.kind !== 'numeric') throw new Error(`internal: column ${f.name} was not read as numbers`);
      const { missingAt } = numeric[place++];
      if (missingAt >= 0) missingError(table, c, rows[missingAt], advice.missingFeature);
      offset += 1;
      continue;
    }
    if (c.kind !== 'categorical') throw new Error(`internal: column ${f.name} was not read as text`);
    const values = c.values;
    const index = new Map(f.vocabulary.map((v, k) => [v, k]));
    for (let i = 0; i < rows.length; i++) {
      let v = values[rows[i]];
      if (v === null) {
        if (options.missing !== 'impute') missingError(table, c, rows[i], advice.missingFeature);
        v = f.mode;
      }
      const k = index.get(v);
      if (k === undefined) {
        if (options.unknown === 'zeros') continue;
        throw dataError(
          `${where(table.file, table.lines[rows[i]], c.position)}: category ${JSON.stringify(v)} of column ${JSON.stringify(f.name)} was not seen in training (known: ${listNames(f.vocabulary, 8)})${advised(advice.unknownCategory)}`,
        );
      }
      x[i * width + offset + k] = 1;
    }
    offset += f.vocabulary.length;
  }
  if (options.release) {
    for (const f of features) {
      const c = table.columns.get(f.name);
      if (c?.kind !== 'numeric') continue;
      releaseBelow(c.values, 0);
      table.columns.delete(f.name);
    }
  }
  return x;
}

/** A numeric column's values, statistics and place in a row of x; `missingAt` is filled in by the encoder. */
interface NumericPlace {
  values: Float64Array;
  mean: number;
  std: number;
  offset: number;
  /** The index in `rows` of the column's first missing value met without imputing, else -1. */
  missingAt: number;
}

/** Rows per tile: a tile of a few dozen float32 inputs per row stays within a core's L2 cache. */
const TILE_ROWS = 2048;

/**
 * Tiles between two releases of the columns' memory: 32 x 2048 rows, 512 KB of a float64 column at a time (each
 * release is a system call per column; releasing every 4 tiles measured the encoding 3x slower).
 */
const TILES_PER_RELEASE = 32;

/**
 * Standardised numeric columns into their places in `x` (`rows x width`), a missing value as the column's mean
 * when `impute` (otherwise its first one is noted in `missingAt` and left as NaN). Each value is `(v - mean) /
 * std` rounded once to float32, whatever the order the columns and tiles are filled in.
 *
 * With `release` (and `rows` increasing), the tiles go from the last to the first, and every few tiles each column
 * gives back its memory from the first row encoded so far: the table shrinks from its end as `x` fills from its
 * end, so the two together never hold more than the float64 table did.
 */
function encodeNumericTiles(
  columns: NumericPlace[],
  rows: Int32Array,
  impute: boolean,
  x: Float32Array,
  width: number,
  release: boolean,
): void {
  const tiles = Math.ceil(rows.length / TILE_ROWS);
  const backwards = release && isIncreasing(rows);
  // A tile of a column over consecutive rows is copied in one block into plain memory first: reading a resizable
  // buffer's array value by value through `rows` costs about twice as much.
  const contiguous = isConsecutive(rows);
  const tile = new Float64Array(contiguous ? TILE_ROWS : 0);
  for (let k = 0; k < tiles; k++) {
    const start = (backwards ? tiles - 1 - k : k) * TILE_ROWS;
    const stop = Math.min(rows.length, start + TILE_ROWS);
    for (const c of columns) {
      if (contiguous) tile.set(c.values.subarray(rows[start], rows[start] + stop - start));
      const [values, at] = contiguous ? [tile, null] : [c.values, rows];
      const missingAt = encodeNumeric(values, at, start, stop, c.mean, c.std, impute, x, width, c.offset);
      if (missingAt >= 0 && (c.missingAt < 0 || missingAt < c.missingAt)) c.missingAt = missingAt;
    }
    // Rows before rows[start] are all that later tiles read.
    if (backwards && (k + 1) % TILES_PER_RELEASE === 0) for (const c of columns) releaseBelow(c.values, rows[start]);
  }
}

function isIncreasing(rows: Int32Array): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i] <= rows[i - 1]) return false;
  return true;
}

/**
 * `rows[start, stop)` of one column into x; returns the first index with a missing value not imputed, else -1.
 * `values` is the whole column, read at `rows`, or (`rows` null) the tile's own values, from its first.
 */
function encodeNumeric(
  values: Float64Array,
  rows: Int32Array | null,
  start: number,
  stop: number,
  mean: number,
  std: number,
  impute: boolean,
  x: Float32Array,
  width: number,
  offset: number,
): number {
  let missingAt = -1;
  for (let i = start, at = start * width + offset; i < stop; i++, at += width) {
    let v = rows === null ? values[i - start] : values[rows[i]];
    if (Number.isNaN(v)) {
      if (!impute) {
        if (missingAt < 0) missingAt = i;
        x[at] = v;
        continue;
      }
      v = mean;
    }
    x[at] = (v - mean) / std;
  }
  return missingAt;
}

/** Output units of the network for a target and loss. */
export function outputUnits(target: TargetEncoding, loss: LossName): number {
  if (target.task === 'regression') return target.columns.length;
  if (target.task === 'binary')
    return loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy' ? 2 : 1;
  return target.classes.length;
}

/** The loss for a target when none is chosen: mean squared error, binary or categorical cross-entropy. */
export function defaultLoss(target: TargetEncoding): LossName {
  if (target.task === 'regression') return 'meanSquaredError';
  return target.task === 'binary' ? 'binaryCrossentropy' : 'categoricalCrossentropy';
}

/**
 * The output activation for a target when none is chosen: sigmoid for regression targets that all lie in [0, 1]
 * (as the seed problem's) or a binary cross-entropy loss, linear for other regression targets; sigmoid for one
 * class output, softmax for several.
 */
export function defaultOutputActivation(
  target: TargetEncoding,
  loss: LossName,
  units: number,
  table: Table,
  rows: Int32Array,
): ActivationName {
  if (target.task === 'regression') {
    if (loss === 'binaryCrossentropy') return 'sigmoid';
    for (const name of target.columns) {
      const c = table.columns.get(name);
      if (c?.kind !== 'numeric') return 'linear';
      for (const r of rows) if (!(c.values[r] >= 0 && c.values[r] <= 1)) return 'linear';
    }
    return 'sigmoid';
  }
  if (units === 1 || loss === 'binaryCrossentropy') return 'sigmoid';
  return 'softmax';
}

/** Checks that a loss can train on a target, with a message saying what to change. */
export function checkLoss(target: TargetEncoding, loss: LossName): void {
  if (
    target.task === 'regression' &&
    (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy')
  ) {
    throw usageError(
      `--loss ${loss}: the target ${targetNames(target).join(', ')} is a regression target; pass --task multiclass to treat its values as classes`,
    );
  }
}

/**
 * Encodes the target of `rows` as the loss expects: raw values (regression), the class index (binary with one
 * output, sparse categorical) or one-hot rows.
 */
export function encodeTargets(
  table: Table,
  target: TargetEncoding,
  rows: Int32Array,
  loss: LossName,
  units: number,
  advice: Advice = {},
): Float32Array {
  if (target.task === 'regression') {
    const cols = target.columns.map((t) => column(table, t));
    const y = new Float32Array(rows.length * cols.length);
    cols.forEach((c, j) => {
      if (c.kind !== 'numeric') throw new Error(`internal: target ${c.name} was not read as numbers`);
      for (let i = 0; i < rows.length; i++) {
        const v = c.values[rows[i]];
        if (Number.isNaN(v)) missingError(table, c, rows[i], advice.missingTarget);
        y[i * cols.length + j] = v;
        if (!Number.isFinite(y[i * cols.length + j])) {
          throw dataError(
            `${where(table.file, table.lines[rows[i]], c.position)}: target value ${v} of column ${JSON.stringify(c.name)} is beyond float32's range (about 3.4e38), which training uses; rescale the column`,
          );
        }
      }
    });
    return y;
  }
  const c = column(table, target.column);
  const index = new Map(target.classes.map((v, k) => [v, k]));
  const oneHotTargets = !(units === 1 || loss === 'sparseCategoricalCrossentropy');
  const y = new Float32Array(rows.length * (oneHotTargets ? units : 1));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (isMissingAt(c, r)) missingError(table, c, r, advice.missingTarget);
    const label = c.kind === 'numeric' ? String(c.values[r]) : (c.values[r] as string);
    const k = index.get(label);
    if (k === undefined) {
      throw dataError(
        `${where(table.file, table.lines[r], c.position)}: class ${JSON.stringify(label)} of target ${JSON.stringify(c.name)} is not one the model knows (${listNames(target.classes, 8)})`,
      );
    }
    if (oneHotTargets) y[i * units + k] = 1;
    else y[i] = k;
  }
  return y;
}

/** Builds the dataset for `rows` of a table with a fitted encoding. */
export function encodeDataset(
  table: Table,
  encoding: Encoding,
  rows: Int32Array,
  loss: LossName,
  units: number,
  options: Omit<EncodeOptions, 'into'> & {
    /**
     * The dataset to fill (zero-filled, `rows.length` rows of the encoding's widths), e.g. core's `sharedDataset`;
     * default new arrays. Returned filled.
     */
    into?: Dataset;
  },
): Dataset {
  const { into, ...encode } = options;
  const x = encodeFeatures(table, encoding.features, rows, { ...encode, ...(into ? { into: into.x } : {}) });
  const y = encodeTargets(table, encoding.target, rows, loss, units, options.advice);
  const features = inputWidth(encoding.features);
  if (!into) return { x, y, rows: rows.length, features, outputs: y.length / Math.max(1, rows.length) };
  if (into.y.length !== y.length) {
    throw new RangeError(`encodeDataset: into.y has ${into.y.length} values, the targets need ${y.length}`);
  }
  into.y.set(y);
  return into;
}

export interface Decoded {
  /** Column names of the prediction CSV. */
  columns: string[];
  /** One row of cells per input row. */
  cells: (string | number)[][];
}

/**
 * Turns network outputs (`rows x units`) into prediction columns: the value per regression target; for
 * classification the decoded label then one probability column per class. Without a target encoding (a model
 * saved without one), the raw outputs as `output_1, output_2, ...`.
 */
export function decodeOutputs(
  target: TargetEncoding | undefined,
  out: Float32Array,
  rows: number,
  units: number,
): Decoded {
  if (target === undefined || target.task === 'regression') {
    const columns = target
      ? target.columns.map((c) => `predicted_${c}`)
      : Array.from({ length: units }, (_, k) => `output_${k + 1}`);
    const cells = Array.from({ length: rows }, (_, r) => Array.from(out.subarray(r * units, (r + 1) * units), round));
    return { columns, cells };
  }
  const columns = [`predicted_${target.column}`, ...target.classes.map((c) => `p_${c}`)];
  const cells: (string | number)[][] = [];
  for (let r = 0; r < rows; r++) {
    let probs: number[];
    if (units === 1) {
      const p = out[r];
      probs = [1 - p, p];
    } else {
      probs = Array.from(out.subarray(r * units, (r + 1) * units));
    }
    let best = 0;
    if (units === 1) best = out[r] >= 0.5 ? 1 : 0;
    else for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
    cells.push([target.classes[best], ...probs.map(round)]);
  }
  return { columns, cells };
}

/** Float32 outputs printed with the digits float32 carries. */
export function round(v: number): number {
  return Number(v.toPrecision(7));
}
