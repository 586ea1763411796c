/**
 * Shared by `evaluate` and `predict`: load a model directory and encode a CSV the way the model was trained.
 */
import { firstNonFinite } from '@shardprop/core';
import {
  columnTypes,
  type Encoding,
  inputWidth,
  listNames,
  type MissingPolicy,
  type Table,
  targetNames,
  type UnknownPolicy,
  usableRows,
} from '@shardprop/tabular';
import type { Command } from 'commander';
import { parseChoice, parseDelimiter, parsePath } from '../config.js';
import { ADVICE, dataError, usageError } from '../errors.js';
import { loadTable, TABLE_FORMATS, type TableFormat } from '../load.js';
import { type LoadedModel, loadModelDir } from '../modeldir.js';

export interface ApplyFlags {
  model: string;
  data: string;
  header?: boolean;
  delimiter?: string;
  format?: TableFormat;
  dropMissing?: boolean;
  impute?: 'mean';
  unknown?: UnknownPolicy;
  json?: boolean;
}

/** The data flags of evaluate and predict. */
export function addDataFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--model <dir>', 'model directory written by shardprop train', parsePath)
    .requiredOption('--data <file>', 'CSV, Parquet or Arrow file with the columns the model was trained on', parsePath)
    .option(
      '--format <format>',
      'data file format: csv, parquet or arrow (default: by extension: .parquet; .arrow, .feather, .ipc; else csv)',
      parseChoice(TABLE_FORMATS),
    )
    .option('--no-header', 'the CSV has no header row (columns in training order, named c1, c2, ...)')
    .option('--delimiter <char>', 'field delimiter, one character; \\t is a tab (default: ",")', parseDelimiter)
    .option('--drop-missing', 'leave out rows with a missing value')
    .option(
      '--impute <how>',
      '"mean": fill missing features with the training mean (categories: the most frequent)',
      parseChoice(['mean'] as const),
    )
    .option(
      '--unknown <policy>',
      'a category not seen in training is an "error" (default) or encoded as "zeros"',
      parseChoice(['error', 'zeros'] as const),
    )
    .option('--json', 'print one JSON document on stdout');
}

export interface Applied {
  loaded: LoadedModel;
  encoding: Encoding;
  table: Table;
  /** Table rows that can be used (all, or those without missing values under --drop-missing). */
  rows: Int32Array;
  dropped: number;
  missing: MissingPolicy;
  unknown: UnknownPolicy;
}

export function requireEncoding(loaded: LoadedModel): Encoding {
  const encoding = loaded.meta?.encoding;
  if (!encoding) {
    throw dataError(
      `--model ${loaded.dir}: model.json has no shardprop data encoding (feature columns, scaling, classes); only models trained by shardprop train can read CSV files`,
    );
  }
  if (inputWidth(encoding.features) !== loaded.model.inputSize) {
    throw dataError(
      `--model ${loaded.dir}: corrupt metadata: the data encoding gives ${inputWidth(encoding.features)} inputs, the network takes ${loaded.model.inputSize}`,
    );
  }
  return encoding;
}

/** A model whose training diverged would give NaN for every row: refuse it, as `export` does. */
export function requireFiniteWeights(loaded: LoadedModel): void {
  const bad = firstNonFinite(loaded.model.params);
  if (bad >= 0) {
    throw dataError(
      `--model ${loaded.dir}: weight ${bad} is ${loaded.model.params[bad]} (did training diverge?); train it again with a lower --lr`,
    );
  }
}

/** Loads the model and the data; `withTarget` requires the target column(s) too (evaluate). */
export async function loadApplied(flags: ApplyFlags, withTarget: boolean): Promise<Applied> {
  if (flags.dropMissing && flags.impute) throw usageError('--drop-missing and --impute cannot be used together');
  const loaded = await loadModelDir(flags.model, '--model');
  const encoding = requireEncoding(loaded);
  requireFiniteWeights(loaded);
  const features = encoding.features.map((f) => f.name);
  const targets = targetNames(encoding.target);
  const wanted = withTarget ? [...features, ...targets] : features;
  const table = await loadTable(flags.data, {
    header: flags.header ?? true,
    delimiter: flags.delimiter ?? ',',
    format: flags.format,
    types: columnTypes(encoding, withTarget),
    select: (header) => {
      const missing = wanted.filter((c) => !header.includes(c));
      if (missing.length > 0) {
        const what = missing.every((c) => targets.includes(c)) ? 'the target' : 'a column the model reads';
        throw dataError(
          `${flags.data} has no column ${missing.map((c) => JSON.stringify(c)).join(', ')} (${what}; the model reads ${listNames(features)}${withTarget ? ` and predicts ${targets.join(', ')}` : ''})`,
        );
      }
      return wanted;
    },
  });
  const missing: MissingPolicy = flags.dropMissing ? 'drop' : flags.impute ? 'impute' : 'error';
  const { rows, dropped } = usableRows(table, features, withTarget ? targets : [], missing, ADVICE);
  return { loaded, encoding, table, rows, dropped, missing, unknown: flags.unknown ?? 'error' };
}
