/**
 * `train`, step 2: the data. Reads the table, chooses the rows, the target encoding and the loss, encodes the
 * dataset (with the saved encoding when resuming or starting from a model), refuses a resumed run whose data
 * changed, splits off the validation rows, and turns `--class-weight` and `--weight-column` into the loss
 * weights of the training rows.
 */
import { type ClassWeight, type Dataset, type LossName, targetWidth } from '@shardprop/core';
import { sharedDataset } from '@shardprop/core/parallel';
import {
  checkLoss,
  defaultLoss,
  type Encoding,
  encodeDataset,
  fitFeatures,
  inferTarget,
  inputWidth,
  type MissingPolicy,
  outputUnits,
  type Table,
  type TargetEncoding,
  usableRows,
} from '@shardprop/tabular';
import { TRAIN_DEFAULTS } from '../config.js';
import { ADVICE, dataError, usageError } from '../errors.js';
import { type DataFingerprint, describeChange, fingerprintOf } from '../fingerprint.js';
import { formatInt } from '../progress.js';
import { classWeightFor, weightColumnValues } from '../row-weights.js';
import { lossFlag, missingPolicy, readTrainingTable, savedTargets } from '../train-setup.js';
import { validationSplit } from '../validation-split.js';
import { type RunStart, same } from './settings.js';

/** The data of a run, encoded and split. */
export interface TrainingData {
  table: Table;
  /** The table rows used (after --drop-missing). */
  rows: Int32Array;
  /** Rows left out for missing values. */
  dropped: number;
  featureNames: string[];
  targetNames: string[];
  target: TargetEncoding;
  loss: LossName;
  /** Output units the loss needs for the target. */
  units: number;
  encoding: Encoding;
  /** Whether the encoding is the checkpoint's or the --init model's (so the target was not chosen by default). */
  encodingSaved: boolean;
  /** Model inputs the encoded features make. */
  width: number;
  missing: MissingPolicy;
  unknown: 'error' | 'zeros';
  /** Every encoded row, before the validation split. */
  dataset: Dataset;
  dataFingerprint: DataFingerprint;
  train: Dataset;
  validation?: Dataset;
  valSplit: number;
  /** `--class-weight` in class indices (core's `classWeight`). */
  classWeight?: ClassWeight;
  /** `--weight-column`'s weight of each training row (core's `sampleWeight`). */
  sampleWeight?: Float32Array;
}

export async function loadTrainingData(start: RunStart): Promise<TrainingData> {
  const { given, settings, resumed, initial, saved } = start;
  const missing = saved ? saved.missing : missingPolicy(settings);
  const unknown = settings.unknown ?? TRAIN_DEFAULTS.unknown;
  const savedEncoding = resumed?.meta?.encoding ?? initial?.meta?.encoding ?? undefined;

  const { table, featureNames, targetNames } = await readTrainingTable(settings, savedEncoding);
  if (
    savedEncoding &&
    initial &&
    !same(
      featureNames,
      savedEncoding.features.map((f) => f.name),
    )
  ) {
    throw usageError(
      `--features contradicts the model in ${given.init} (--init), which reads ${savedEncoding.features.map((f) => f.name).join(', ')}`,
    );
  }

  const { rows, dropped } = usableRows(table, featureNames, targetNames, missing, ADVICE);
  const target =
    savedEncoding && (resumed || same(savedTargets(savedEncoding), targetNames))
      ? savedEncoding.target
      : inferTarget(table, targetNames, rows, settings.task);
  const loss =
    settings.loss !== undefined
      ? lossFlag(settings.loss)
      : ((initial?.meta?.loss as LossName | undefined) ?? defaultLoss(target));
  checkLoss(target, loss);
  const units = outputUnits(target, loss);
  const encoding: Encoding = { features: savedEncoding?.features ?? fitFeatures(table, featureNames, rows), target };
  const width = inputWidth(encoding.features);

  const rowWeights =
    settings.weightColumn === undefined ? undefined : weightColumnValues(table, settings.weightColumn, rows);
  // The feature columns give their memory back as they are encoded: the float64 table and the float32 inputs are
  // never whole together (nothing after this reads a feature column of the table). The inputs go straight into
  // shared memory, where parallel training uses them without a copy.
  const dataset = encodeDataset(table, encoding, rows, loss, units, {
    missing,
    unknown,
    advice: ADVICE,
    release: true,
    into: sharedDataset(rows.length, width, targetWidth(loss, units), { kernels: settings.kernels ?? 'auto' }),
  });
  const dataFingerprint = fingerprintOf(dataset, rowWeights);
  const changed = saved?.dataFingerprint && describeChange(saved.dataFingerprint, dataFingerprint);
  if (changed) {
    throw dataError(
      `--resume ${given.resume}: the training data changed since the checkpoint (${settings.data ?? 'the built-in seed problem'}: ${changed}); resume needs the same data: restore it, or start a new run from these weights with --init ${given.resume}`,
    );
  }
  const valSplit = settings.valSplit ?? TRAIN_DEFAULTS.valSplit;
  const { train, validation } = validationSplit(dataset, valSplit);
  if (train.rows === 0 || validation?.rows === 0) {
    throw usageError(
      `--val-split ${valSplit}: ${formatInt(dataset.rows)} rows leave nothing to ${train.rows === 0 ? 'train on' : 'validate on'}`,
    );
  }
  const classWeight = settings.classWeight === undefined ? undefined : classWeightFor(settings.classWeight, target);
  // The held-out rows are the last ones: their weights go with them (validation losses are unweighted).
  const sampleWeight = rowWeights?.subarray(0, train.rows);
  return {
    table,
    rows,
    dropped,
    featureNames,
    targetNames,
    target,
    loss,
    units,
    encoding,
    encodingSaved: savedEncoding !== undefined,
    width,
    missing,
    unknown,
    dataset,
    dataFingerprint,
    train,
    validation,
    valSplit,
    ...(classWeight === undefined ? {} : { classWeight }),
    ...(sampleWeight === undefined ? {} : { sampleWeight }),
  };
}
