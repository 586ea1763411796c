/**
 * From a typed table to a Dataset and back from network outputs to labels: a browser port of the CLI's
 * features.ts, with the same `Encoding` shape, so a model trained here carries the encoding the CLI reads
 * (`shardprop predict --model <downloaded folder>` works) and vice versa.
 *
 * - Numeric features are standardised, `(x - mean) / std` with the population std (a constant column keeps
 *   scale 1); categorical ones are one-hot encoded over their sorted vocabulary.
 * - The task is inferred from the target: a text column or a numeric one with exactly two values is a
 *   classification (two classes: binary; more: multi-class; a numeric column of 3 to 20 distinct integers is
 *   multi-class too), any other numeric column is a regression. Targets are never transformed.
 */
import { type ActivationName, type Dataset, fitStandardizer, type LossName } from '@shardprop/core';
import { type Column, CsvError, listNames, type Table, where } from './csv.js';

export type Task = 'regression' | 'binary' | 'multiclass';

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
  /** Whether the target column holds numbers. */
  numeric: boolean;
}

export type TargetEncoding = RegressionTarget | ClassTarget;

/** Everything needed to turn a CSV into network inputs and targets the same way again. */
export interface Encoding {
  features: FeatureEncoding[];
  target: TargetEncoding;
}

export type MissingPolicy = 'error' | 'drop' | 'impute';

const MISSING_HINT: Record<'feature' | 'target', string> = {
  feature: 'choose "leave the row out" or "fill in the mean" under Missing values',
  target: 'choose "leave the row out" under Missing values',
};

export function inputWidth(features: readonly FeatureEncoding[]): number {
  let n = 0;
  for (const f of features) n += f.kind === 'numeric' ? 1 : f.vocabulary.length;
  return n;
}

export function targetNames(target: TargetEncoding): string[] {
  return target.task === 'regression' ? target.columns : [target.column];
}

function column(table: Table, name: string): Column {
  const c = table.columns.get(name);
  if (!c)
    throw new CsvError(`${table.file}: no column named ${JSON.stringify(name)} (columns: ${listNames(table.header)})`);
  return c;
}

function isMissingAt(c: Column, r: number): boolean {
  return c.kind === 'numeric' ? Number.isNaN(c.values[r]) : c.values[r] === null;
}

function missingError(table: Table, c: Column, r: number, hint: string): never {
  throw new CsvError(
    `${where(table.file, table.lines[r], c.position)}: missing value in column ${JSON.stringify(c.name)}; ${hint}`,
  );
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

/** Describes the inferred task, e.g. `3-class classification of "species" (setosa, versicolor, virginica)`. */
export function describeTarget(target: TargetEncoding): string {
  if (target.task === 'regression') return `regression on ${target.columns.map((c) => JSON.stringify(c)).join(', ')}`;
  const shown = target.classes.length > 8 ? `${target.classes.slice(0, 8).join(', ')}, ...` : target.classes.join(', ');
  const kind = target.task === 'binary' ? 'binary' : `${target.classes.length}-class`;
  return `${kind} classification of ${JSON.stringify(target.column)} (${shown})`;
}

/** Infers the task from the target column over the rows that will be trained on. */
export function inferTarget(table: Table, targetName: string, rows: Int32Array): TargetEncoding {
  const c = column(table, targetName);
  const labels = distinctLabels(c, rows);
  if (c.kind === 'numeric') {
    const integers = labels.every((l) => Number.isInteger(Number(l)));
    const classes = labels.length === 2 || (integers && labels.length >= 3 && labels.length <= 20);
    if (!classes) return { task: 'regression', columns: [c.name] };
  }
  if (labels.length < 2) {
    throw new CsvError(
      `${table.file}: the target ${JSON.stringify(c.name)} has a single class (${labels[0]}); classification needs at least two`,
    );
  }
  return {
    task: labels.length === 2 ? 'binary' : 'multiclass',
    column: c.name,
    classes: labels,
    numeric: c.kind === 'numeric',
  };
}

/** Rows to use under a missing-value policy (training: the target too). */
export function usableRows(
  table: Table,
  features: readonly string[],
  targets: readonly string[],
  policy: MissingPolicy,
): { rows: Int32Array; dropped: number } {
  const featureCols = features.map((f) => column(table, f));
  const targetCols = targets.map((t) => column(table, t));
  const keep: number[] = [];
  for (let r = 0; r < table.rows; r++) {
    let ok = true;
    for (const c of targetCols) {
      if (isMissingAt(c, r)) {
        if (policy === 'error') missingError(table, c, r, MISSING_HINT.target);
        ok = false;
      }
    }
    for (const c of featureCols) {
      if (isMissingAt(c, r)) {
        if (policy === 'error') missingError(table, c, r, MISSING_HINT.feature);
        if (policy === 'drop') ok = false;
      }
    }
    if (ok) keep.push(r);
  }
  if (keep.length === 0) throw new CsvError(`${table.file}: no rows left after leaving out rows with missing values`);
  return { rows: Int32Array.from(keep), dropped: table.rows - keep.length };
}

/** Fits standardisation statistics and vocabularies on the given rows. */
export function fitFeatures(table: Table, features: readonly string[], rows: Int32Array): FeatureEncoding[] {
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
        throw new CsvError(`${table.file}: column ${JSON.stringify(name)} has no values (every row is missing)`);
      }
      let mode = vocabulary[0];
      for (const v of vocabulary) if ((counts.get(v) as number) > (counts.get(mode) as number)) mode = v;
      return { name, kind: 'categorical', vocabulary, mode };
    }
    const present: number[] = [];
    for (const r of rows) if (!Number.isNaN(c.values[r])) present.push(c.values[r]);
    if (present.length === 0) {
      throw new CsvError(`${table.file}: column ${JSON.stringify(name)} has no values (every row is missing)`);
    }
    // Fitted on the imputed column (missing values take the mean), as an imputer followed by a scaler would.
    const mean0 = fitStandardizer(present, present.length, 1).mean[0];
    const filled = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      filled[i] = Number.isNaN(c.values[r]) ? mean0 : c.values[r];
    });
    const s = fitStandardizer(filled, filled.length, 1);
    return { name, kind: 'numeric', mean: s.mean[0], std: s.std[0] };
  });
}

/** Encodes the feature columns of `rows` into a `rows x inputWidth` float32 matrix. */
export function encodeFeatures(
  table: Table,
  features: readonly FeatureEncoding[],
  rows: Int32Array,
  missing: MissingPolicy,
): Float32Array {
  const width = inputWidth(features);
  const x = new Float32Array(rows.length * width);
  let offset = 0;
  for (const f of features) {
    const c = column(table, f.name);
    if (f.kind === 'numeric') {
      if (c.kind !== 'numeric') throw new CsvError(`${table.file}: column ${JSON.stringify(f.name)} must hold numbers`);
      const { mean, std } = f;
      for (let i = 0; i < rows.length; i++) {
        let v = c.values[rows[i]];
        if (Number.isNaN(v)) {
          if (missing !== 'impute') missingError(table, c, rows[i], MISSING_HINT.feature);
          v = mean;
        }
        x[i * width + offset] = (v - mean) / std;
      }
      offset += 1;
      continue;
    }
    if (c.kind !== 'categorical') throw new CsvError(`${table.file}: column ${JSON.stringify(f.name)} must hold text`);
    const index = new Map(f.vocabulary.map((v, k) => [v, k]));
    for (let i = 0; i < rows.length; i++) {
      let v = c.values[rows[i]];
      if (v === null) {
        if (missing !== 'impute') missingError(table, c, rows[i], MISSING_HINT.feature);
        v = f.mode;
      }
      const k = index.get(v);
      if (k === undefined) {
        throw new CsvError(
          `${where(table.file, table.lines[rows[i]], c.position)}: category ${JSON.stringify(v)} of column ${JSON.stringify(f.name)} was not seen in training (known: ${listNames(f.vocabulary, 8)})`,
        );
      }
      x[i * width + offset + k] = 1;
    }
    offset += f.vocabulary.length;
  }
  return x;
}

/** Output units of the network for a target and loss. */
export function outputUnits(target: TargetEncoding, loss: LossName): number {
  if (target.task === 'regression') return target.columns.length;
  if (target.task === 'binary') return loss === 'categoricalCrossentropy' ? 2 : 1;
  return target.classes.length;
}

/** The loss the CLI would pick for a target. */
export function defaultLoss(target: TargetEncoding): LossName {
  if (target.task === 'regression') return 'meanSquaredError';
  return target.task === 'binary' ? 'binaryCrossentropy' : 'categoricalCrossentropy';
}

/** The output activation the CLI would pick: sigmoid for targets in [0, 1] and binary classes, softmax for more. */
export function defaultOutputActivation(
  table: Table,
  target: TargetEncoding,
  rows: Int32Array,
  units: number,
): ActivationName {
  if (target.task === 'regression') {
    for (const name of target.columns) {
      const c = column(table, name);
      if (c.kind !== 'numeric') return 'linear';
      for (const r of rows) if (!(c.values[r] >= 0 && c.values[r] <= 1)) return 'linear';
    }
    return 'sigmoid';
  }
  return units === 1 ? 'sigmoid' : 'softmax';
}

/** Encodes the target of `rows` as the loss expects: raw values, the class index (one output) or one-hot rows. */
export function encodeTargets(table: Table, target: TargetEncoding, rows: Int32Array, units: number): Float32Array {
  if (target.task === 'regression') {
    const cols = target.columns.map((t) => column(table, t));
    const y = new Float32Array(rows.length * cols.length);
    cols.forEach((c, j) => {
      if (c.kind !== 'numeric') throw new CsvError(`${table.file}: target ${JSON.stringify(c.name)} must hold numbers`);
      for (let i = 0; i < rows.length; i++) {
        const v = c.values[rows[i]];
        if (Number.isNaN(v)) missingError(table, c, rows[i], MISSING_HINT.target);
        y[i * cols.length + j] = v;
      }
    });
    return y;
  }
  const c = column(table, target.column);
  const index = new Map(target.classes.map((v, k) => [v, k]));
  const oneHotTargets = units !== 1;
  const y = new Float32Array(rows.length * (oneHotTargets ? units : 1));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (isMissingAt(c, r)) missingError(table, c, r, MISSING_HINT.target);
    const label = c.kind === 'numeric' ? String(c.values[r]) : (c.values[r] as string);
    const k = index.get(label);
    if (k === undefined) {
      throw new CsvError(
        `${where(table.file, table.lines[r], c.position)}: class ${JSON.stringify(label)} of target ${JSON.stringify(c.name)} is not one the model knows (${listNames(target.classes, 8)})`,
      );
    }
    if (oneHotTargets) y[i * units + k] = 1;
    else y[i] = k;
  }
  return y;
}

/** The per-input standardisation (one-hot inputs: mean 0, std 1), for core's `normalization` field. */
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

/** A prepared training problem: the dataset, its encoding, and the choices the CLI would make for it. */
export interface Problem {
  name: string;
  dataset: Dataset;
  encoding: Encoding;
  loss: LossName;
  outputUnits: number;
  outputActivation: ActivationName;
  /** Rows left out for missing values. */
  dropped: number;
}

/** Encodes `table` for training with `targetName` as the target and every other column as a feature. */
export function prepareProblem(table: Table, targetName: string, missing: MissingPolicy): Problem {
  const featureNames = table.header.filter((h) => h !== targetName);
  if (featureNames.length === 0) throw new CsvError(`${table.file}: no feature columns left besides the target`);
  const { rows, dropped } = usableRows(table, featureNames, [targetName], missing);
  const target = inferTarget(table, targetName, rows);
  const loss = defaultLoss(target);
  const units = outputUnits(target, loss);
  const encoding: Encoding = { features: fitFeatures(table, featureNames, rows), target };
  const x = encodeFeatures(table, encoding.features, rows, missing);
  const y = encodeTargets(table, target, rows, units);
  const features = inputWidth(encoding.features);
  const dataset: Dataset = { x, y, rows: rows.length, features, outputs: y.length / rows.length };
  return {
    name: table.file,
    dataset,
    encoding,
    loss,
    outputUnits: units,
    outputActivation: defaultOutputActivation(table, target, rows, units),
    dropped,
  };
}

export interface Decoded {
  /** Column names of the prediction table. */
  columns: string[];
  /** One row of cells per input row. */
  cells: (string | number)[][];
}

/**
 * Turns network outputs (`rows x units`) into prediction columns: the value per regression target; for
 * classification the decoded label then one probability column per class. Without an encoding, the raw outputs.
 */
export function decodeOutputs(
  target: TargetEncoding | undefined,
  out: Float32Array,
  rows: number,
  units: number,
): Decoded {
  const round = (v: number): number => Number(v.toPrecision(7));
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
    const probs = units === 1 ? [1 - out[r], out[r]] : Array.from(out.subarray(r * units, (r + 1) * units));
    let best = 0;
    if (units === 1) best = out[r] >= 0.5 ? 1 : 0;
    else for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
    cells.push([target.classes[best], ...probs.map(round)]);
  }
  return { columns, cells };
}
