/**
 * The page's training problem: a table and a chosen target encoded with @shardprop/tabular, the code the CLI
 * runs, so a model trained here carries the encoding the CLI reads (`shardprop predict --model <downloaded
 * folder>` works) and vice versa, and the loss and output layer are the ones `shardprop train` would pick.
 * What is the page's own: every column besides the target is a feature, and messages advise the page's controls
 * instead of the CLI's flags.
 */
import type { ActivationName, Dataset, LossName } from '@shardprop/core';
import {
  type Advice,
  defaultLoss,
  defaultOutputActivation,
  type Encoding,
  encodeFeatures,
  encodeTargets,
  fitFeatures,
  inferTarget,
  inputWidth,
  listNames,
  type MissingPolicy,
  outputUnits,
  type Table,
  usableRows,
  usageError,
} from '@shardprop/tabular';

/** What the page advises about a missing value in the training data: its "Missing values" choices. */
export const PAGE_ADVICE: Advice = {
  missingFeature: 'choose "leave the row out" or "fill in the mean" under Missing values',
  missingTarget: 'choose "leave the row out" under Missing values',
};

/** What the page advises about the rows to predict, which the visitor types in section 4. */
export const PREDICT_ADVICE: Advice = {
  missingFeature: 'fill it in, or choose "leave the row out" or "fill in the mean" under Missing values (section 1)',
  unknownCategory: 'use one of the known categories',
};

/** What the page advises about a text cell in a column of numbers (the file must change: say how). */
export function numericAdvice(): string {
  return 'correct the cell, or empty it to mark it missing, and choose the file again';
}

/** A prepared training problem: the dataset, its encoding, and the choices the CLI would make for it. */
export interface Problem {
  name: string;
  dataset: Dataset;
  encoding: Encoding;
  loss: LossName;
  outputUnits: number;
  outputActivation: ActivationName;
  /** The table's rows in the dataset, in order (rows left out for missing values are not among them). */
  rows: Int32Array;
  /** Rows left out for missing values. */
  dropped: number;
}

/** Encodes `table` for training with `targetName` as the target and every other column as a feature. */
export function prepareProblem(table: Table, targetName: string, missing: MissingPolicy): Problem {
  if (!table.columns.has(targetName)) {
    throw usageError(
      `${table.file}: no column named ${JSON.stringify(targetName)} (columns: ${listNames(table.header)})`,
    );
  }
  const featureNames = table.header.filter((h) => h !== targetName);
  if (featureNames.length === 0) throw usageError(`${table.file}: no feature columns left besides the target`);
  const { rows, dropped } = usableRows(table, featureNames, [targetName], missing, PAGE_ADVICE);
  const target = inferTarget(table, [targetName], rows);
  const loss = defaultLoss(target);
  const units = outputUnits(target, loss);
  const encoding: Encoding = { features: fitFeatures(table, featureNames, rows), target };
  const x = encodeFeatures(table, encoding.features, rows, { missing, unknown: 'error', advice: PAGE_ADVICE });
  const y = encodeTargets(table, target, rows, loss, units, PAGE_ADVICE);
  const features = inputWidth(encoding.features);
  const dataset: Dataset = { x, y, rows: rows.length, features, outputs: y.length / rows.length };
  return {
    name: table.file,
    dataset,
    encoding,
    loss,
    outputUnits: units,
    outputActivation: defaultOutputActivation(target, loss, units, table, rows),
    rows,
    dropped,
  };
}
