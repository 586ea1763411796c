/**
 * How training settings become a table, a model spec and an optimizer: the steps `train` takes, shared with
 * `tune` (which takes them once for the data and once per candidate), so both read flags the same way.
 */
import {
  type ActivationName,
  dropoutPerHiddenLayer,
  type LossName,
  type ModelSpec,
  mlpSpec,
  type OptimizerConfig,
  parseActivation,
  parseLoss,
} from '@shardprop/core';
import {
  type ColumnKind,
  chooseColumns,
  columnTypes,
  defaultOutputActivation,
  describeTarget,
  type Encoding,
  type MissingPolicy,
  SEED_FILE,
  seedTable,
  type Table,
  type TargetEncoding,
} from '@shardprop/tabular';
import { TRAIN_DEFAULTS, type TrainSettings } from './config.js';
import { oneLine, usageError } from './errors.js';
import { loadTable } from './load.js';

export function activationFlag(name: string, flag: string): ActivationName {
  try {
    return parseActivation(name, flag);
  } catch (error) {
    throw usageError(oneLine(error));
  }
}

export function lossFlag(name: string): LossName {
  try {
    return parseLoss(name);
  } catch (error) {
    throw usageError(`--loss: ${oneLine(error)}`);
  }
}

export function optimizerConfig(s: TrainSettings): OptimizerConfig {
  const name = s.optimizer ?? TRAIN_DEFAULTS.optimizer;
  const adaptive = name === 'adam' || name === 'adamw' || name === 'rmsprop';
  const config: OptimizerConfig = {
    name,
    learningRate: s.lr ?? (adaptive ? TRAIN_DEFAULTS.adaptiveLr : TRAIN_DEFAULTS.lr),
  };
  const extra = ['momentum', 'nesterov', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'rho', 'centered'] as const;
  for (const key of extra) if (s[key] !== undefined) (config as unknown as Record<string, unknown>)[key] = s[key];
  return config;
}

export function missingPolicy(s: TrainSettings): MissingPolicy {
  if (s.dropMissing && s.impute) throw usageError('--drop-missing and --impute cannot be used together');
  return s.dropMissing ? 'drop' : s.impute ? 'impute' : 'error';
}

export function savedTargets(e: Encoding): string[] {
  return e.target.task === 'regression' ? e.target.columns : [e.target.column];
}

/** The training table (the CSV of --data, or the built-in seed problem) and its feature and target columns. */
export async function readTrainingTable(
  settings: TrainSettings,
  savedEncoding: Encoding | undefined,
): Promise<{ table: Table; featureNames: string[]; targetNames: string[] }> {
  const weightColumn = settings.weightColumn;
  if (settings.data === undefined) {
    if (weightColumn !== undefined) {
      throw usageError('--weight-column: the built-in seed problem has no weight column; pass --data with one');
    }
    if (settings.target && !(settings.target.length === 1 && settings.target[0] === 'y')) {
      throw usageError('--target: the built-in seed problem has the target "y"; pass --data to train on your own CSV');
    }
    const table = seedTable();
    const chosen = chooseColumns(SEED_FILE, table.header, ['y'], settings.features, settings.ignore);
    return { table, featureNames: chosen.features, targetNames: chosen.targets };
  }
  const types = new Map<string, ColumnKind>();
  for (const c of settings.categorical ?? []) types.set(c, 'categorical');
  if (savedEncoding) for (const [k, v] of columnTypes(savedEncoding, true)) types.set(k, v);
  // Read as text, so that a value that is not a number is this flag's usage error (with its place), not the reader's.
  if (weightColumn !== undefined) types.set(weightColumn, 'categorical');
  let chosen: { features: string[]; targets: string[] } | undefined;
  const fileName = settings.data;
  const table = await loadTable(fileName, {
    header: settings.header ?? TRAIN_DEFAULTS.header,
    delimiter: settings.delimiter ?? TRAIN_DEFAULTS.delimiter,
    format: settings.format,
    types,
    select: (header) => {
      const targets = settings.target ?? (savedEncoding ? savedTargets(savedEncoding) : [header[header.length - 1]]);
      const features = settings.features ?? (savedEncoding ? savedEncoding.features.map((f) => f.name) : undefined);
      for (const c of settings.categorical ?? []) {
        if (!header.includes(c))
          throw usageError(`--categorical: ${fileName} has no column named ${JSON.stringify(c)}`);
      }
      if (weightColumn !== undefined) {
        if (!header.includes(weightColumn)) {
          throw usageError(`--weight-column: ${fileName} has no column named ${JSON.stringify(weightColumn)}`);
        }
        if (targets.includes(weightColumn) || features?.includes(weightColumn)) {
          throw usageError(
            `--weight-column: ${JSON.stringify(weightColumn)} is also ${targets.includes(weightColumn) ? 'the target' : 'a feature'}; the weights must be a column of their own`,
          );
        }
      }
      // The weight column is never a feature: it is left out as an ignored column is.
      const ignore = weightColumn === undefined ? settings.ignore : [...(settings.ignore ?? []), weightColumn];
      chosen = chooseColumns(fileName, header, targets, features, ignore);
      return [...chosen.features, ...chosen.targets, ...(weightColumn === undefined ? [] : [weightColumn])];
    },
  });
  if (!chosen) throw new Error('internal: no columns chosen');
  return { table, featureNames: chosen.features, targetNames: chosen.targets };
}

/** The spec of a new model from the architecture flags, checked against the data's inputs and outputs. */
export function newModelSpec(
  settings: TrainSettings,
  width: number,
  units: number,
  target: TargetEncoding,
  loss: LossName,
  table: Table,
  rows: Int32Array,
): ModelSpec {
  const activation = activationFlag(settings.activation ?? TRAIN_DEFAULTS.activation, '--activation');
  const outputActivation =
    settings.outputActivation !== undefined
      ? activationFlag(settings.outputActivation, '--output-activation')
      : defaultOutputActivation(target, loss, units, table, rows);
  const layers = settings.layers ?? [...TRAIN_DEFAULTS.hidden, units];
  if (layers[layers.length - 1] !== units) {
    throw usageError(
      `--layers ${layers.join(',')}: the last entry is the output layer and must be ${units} for ${describeTarget(target)} with ${loss} (list every layer after the input, output last)`,
    );
  }
  try {
    return mlpSpec(width, layers, activation, outputActivation, dropoutFlag(settings.dropout, layers.length - 1));
  } catch (error) {
    throw usageError(oneLine(error));
  }
}

/**
 * `--dropout` as one rate per hidden layer (none: zeros); a list of the wrong length is a usage error naming the
 * flag and the hidden layer count.
 */
export function dropoutFlag(dropout: number | readonly number[] | undefined, hiddenLayers: number): number[] {
  try {
    return dropoutPerHiddenLayer(dropout ?? 0, hiddenLayers);
  } catch (error) {
    throw usageError(`--dropout ${[dropout].flat().join(',')}: ${oneLine(error)}`);
  }
}
