/**
 * Training settings: the `--config` JSON file (validated with zod), command-line flags (which override the
 * file), and the defaults. The keys of the file are the long flag names in camelCase (`batchSize`,
 * `valSplit`, ...). Paths in the file are relative to the file's folder.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LR_SCHEDULES, type LrScheduleName, OPTIMIZER_NAMES, type OptimizerName } from '@shardprop/core';
import { TASKS, type Task } from '@shardprop/tabular';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { usageError } from './errors.js';
import { TABLE_FORMATS, type TableFormat } from './load.js';

// The names are core's (one list); re-exported for the train command's --optimizer choices.
export { LR_SCHEDULES, OPTIMIZER_NAMES };

/** `--monitor` values: Keras' log names. */
export const MONITOR_FLAGS = ['val_loss', 'val_accuracy', 'loss', 'accuracy'] as const;
export type MonitorFlag = (typeof MONITOR_FLAGS)[number];
export type OptimizerFlag = OptimizerName;

/** Every setting of `train`; undefined means "not given". */
export interface TrainSettings {
  data?: string;
  target?: string[];
  features?: string[];
  ignore?: string[];
  categorical?: string[];
  header?: boolean;
  delimiter?: string;
  /** The data file's format (csv, parquet, arrow); by default from its extension. */
  format?: TableFormat;
  task?: Task;
  layers?: number[];
  activation?: string;
  outputActivation?: string;
  loss?: string;
  optimizer?: OptimizerFlag;
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  rho?: number;
  centered?: boolean;
  batchSize?: number;
  epochs?: number;
  threads?: number | 'auto';
  shards?: number;
  seed?: number;
  shuffle?: boolean;
  valSplit?: number;
  earlyStop?: number;
  /** What early stopping and the plateau schedule watch, in Keras' words (`val_loss`, `val_accuracy`, ...). */
  monitor?: MonitorFlag;
  l1?: number;
  l2?: number;
  clipNorm?: number;
  clipValue?: number;
  lrSchedule?: LrScheduleName;
  lrDecay?: number;
  lrStepEpochs?: number;
  lrMin?: number;
  lrPatience?: number;
  warmupEpochs?: number;
  init?: string;
  resume?: string;
  out?: string;
  dropMissing?: boolean;
  impute?: 'mean';
  unknown?: 'error' | 'zeros';
  kernels?: 'auto' | 'wasm' | 'js';
  /** One dropout rate after every hidden layer, or one per hidden layer. */
  dropout?: number | number[];
  /** `balanced`, or a weight per class label. */
  classWeight?: ClassWeightSetting;
  /** The column holding each row's loss weight (left out of the features). */
  weightColumn?: string;
}

/** `--class-weight`: scikit-learn's `balanced`, or a weight per class label (as it reads in the target column). */
export type ClassWeightSetting = 'balanced' | Record<string, number>;

export const TRAIN_DEFAULTS = {
  hidden: [39, 39, 39],
  activation: 'sigmoid',
  optimizer: 'sgd' as OptimizerFlag,
  /** For sgd and momentum; adam, adamw and rmsprop default to their Keras learning rate, 0.001. */
  lr: 0.1,
  adaptiveLr: 0.001,
  batchSize: 32,
  epochs: 10,
  seed: 1,
  shuffle: true,
  valSplit: 0,
  header: true,
  delimiter: ',',
  out: 'shardprop-model',
  unknown: 'error' as const,
};

const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'expected a column name or a list of column names',
});
const positive = z.number().positive().finite();
const fraction = z.number().min(0).max(1);
const rate = z.number().min(0).lt(1);

/** The `--config` file schema: strict, so a misspelt key is reported rather than ignored. */
export const TrainConfigSchema = z
  .object({
    data: z.string().min(1),
    target: names,
    features: names,
    ignore: names,
    categorical: names,
    header: z.boolean(),
    delimiter: z.string().regex(/^[^"\r\n]$/u, 'expected one character that is not a quote or a line break'),
    format: z.enum(TABLE_FORMATS),
    task: z.enum(TASKS as [Task, ...Task[]]),
    layers: z.array(z.int().positive()).min(1),
    activation: z.string(),
    outputActivation: z.string(),
    loss: z.string(),
    optimizer: z.enum(OPTIMIZER_NAMES),
    lr: positive,
    momentum: z.number().min(0).max(1),
    nesterov: z.boolean(),
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    epsilon: positive,
    weightDecay: z.number().min(0).finite(),
    rho: z.number().min(0).lt(1),
    centered: z.boolean(),
    batchSize: z.int().positive(),
    epochs: z.int().min(0),
    threads: z.union([z.literal('auto'), z.int().positive()]),
    shards: z.int().positive(),
    seed: z.int(),
    shuffle: z.boolean(),
    valSplit: fraction.lt(1),
    earlyStop: z.int().positive(),
    monitor: z.enum(MONITOR_FLAGS),
    l1: z.number().min(0).finite(),
    l2: z.number().min(0).finite(),
    clipNorm: positive,
    clipValue: positive,
    lrSchedule: z.enum(LR_SCHEDULES as [LrScheduleName, ...LrScheduleName[]]),
    lrDecay: positive,
    lrStepEpochs: z.int().positive(),
    lrMin: z.number().min(0).finite(),
    lrPatience: z.int().positive(),
    warmupEpochs: z.int().min(0),
    init: z.string().min(1),
    out: z.string().min(1),
    dropMissing: z.boolean(),
    impute: z.literal('mean'),
    unknown: z.enum(['error', 'zeros']),
    kernels: z.enum(['auto', 'wasm', 'js']),
    dropout: z.union([rate, z.array(rate).min(1)], { error: 'expected a rate in [0, 1) or a list of them' }),
    classWeight: z.union([z.literal('balanced'), z.record(z.string(), z.number().min(0).finite())], {
      error: 'expected "balanced" or an object of class label -> weight >= 0',
    }),
    weightColumn: z.string().min(1),
  })
  .partial()
  .strict();

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '';
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => JSON.stringify(k)).join(', ')}${path ? ` in ${path}` : ''} (keys are the flag names in camelCase, e.g. "batchSize")`;
  }
  return `${path ? `${JSON.stringify(path)}: ` : ''}${issue.message.replace(/^Invalid input: /, '')}`;
}

const list = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** Reads and validates a config file. */
export async function loadConfig(file: string): Promise<TrainSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`--config ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw usageError(`--config ${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = TrainConfigSchema.safeParse(json);
  if (!parsed.success) throw usageError(`--config ${file}: ${describeIssue(parsed.error.issues[0])}`);
  const c = parsed.data;
  const base = dirname(resolve(file));
  const path = (p: string | undefined) => (p === undefined ? undefined : resolve(base, p));
  const out: TrainSettings = {
    ...c,
    target: list(c.target),
    features: list(c.features),
    ignore: list(c.ignore),
    categorical: list(c.categorical),
    data: path(c.data),
    init: path(c.init),
    out: path(c.out),
  };
  for (const key of Object.keys(out) as (keyof TrainSettings)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** Flags override the config file; neither fills in defaults (see TRAIN_DEFAULTS). */
export function mergeSettings(config: TrainSettings, flags: TrainSettings): TrainSettings {
  const merged: TrainSettings = { ...config };
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

// Commander argument parsers: each throws InvalidArgumentError, which commander reports as a usage error.

export function parseIntArg(min: number): (value: string) => number {
  return (value: string) => {
    const v = Number(value.trim());
    if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    }
    return v;
  };
}

/** `--threads`: `auto` or a whole number >= 1. */
export function parseThreads(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  try {
    return parseIntArg(1)(value);
  } catch {
    throw new InvalidArgumentError('expected auto or an integer >= 1');
  }
}

export function parsePositive(value: string): number {
  const v = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(v) || v <= 0)
    throw new InvalidArgumentError('expected a positive number');
  return v;
}

export function parseUnit(value: string): number {
  const v = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v >= 1) {
    throw new InvalidArgumentError('expected a number in [0, 1)');
  }
  return v;
}

export function parseNonNegative(value: string): number {
  const v = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError('expected a number >= 0');
  return v;
}

/** `--momentum`: every optimizer that has one needs it in [0, 1] (core's rule); 1 is allowed, as in tfjs. */
export function parseMomentum(value: string): number {
  const v = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new InvalidArgumentError('expected a number in [0, 1]');
  }
  return v;
}

/** A file or directory flag: an empty value would silently mean the current directory. */
export function parsePath(value: string): string {
  if (value === '') throw new InvalidArgumentError('expected a path, got an empty string');
  return value;
}

/** `--delimiter`: one character that is not a quote or a line break (the CSV reader's own); `\t` or `tab` is a tab. */
export function parseDelimiter(value: string): string {
  if (value === '\\t' || value === 'tab') return '\t';
  if ([...value].length !== 1 || /["\r\n]/.test(value)) {
    throw new InvalidArgumentError('expected one character, e.g. ";" or a tab (not a quote or a line break)');
  }
  return value;
}

export function parseIntList(min: number): (value: string) => number[] {
  return (value: string) => {
    const parts = value.split(',').map((s) => s.trim());
    const out: number[] = [];
    for (const p of parts) {
      const v = Number(p);
      if (!/^\d+$/.test(p) || !Number.isSafeInteger(v) || v < min) {
        throw new InvalidArgumentError(`expected comma-separated integers >= ${min}, e.g. 39,39,39,1`);
      }
      out.push(v);
    }
    return out;
  };
}

export function parseNameList(value: string): string[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new InvalidArgumentError('expected one or more comma-separated column names');
  return parts;
}

export function parseChoice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    }
    return value as T;
  };
}

/** `--dropout`: one rate in [0, 1), or a comma-separated list with one rate per hidden layer. */
export function parseDropout(value: string): number | number[] {
  const parts = value.split(',').map((s) => s.trim());
  const rates = parts.map((p) => {
    const v = Number(p);
    if (p === '' || !Number.isFinite(v) || v < 0 || v >= 1) {
      throw new InvalidArgumentError('expected a rate in [0, 1), or one per hidden layer, e.g. 0.2,0.1');
    }
    return v;
  });
  return rates.length === 1 ? rates[0] : rates;
}

/** `--class-weight`: `balanced`, or a JSON object of class label -> weight >= 0, e.g. '{"yes": 3, "no": 1}'. */
export function parseClassWeight(value: string): ClassWeightSetting {
  if (value.trim() === 'balanced') return 'balanced';
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(
      'expected balanced or a JSON object of class label -> weight, e.g. \'{"yes": 3, "no": 1}\'',
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidArgumentError('expected balanced or a JSON object of class label -> weight');
  }
  for (const [label, weight] of Object.entries(json)) {
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0)) {
      throw new InvalidArgumentError(
        `the weight of class ${JSON.stringify(label)} must be a number >= 0, got ${JSON.stringify(weight)}`,
      );
    }
  }
  return json as Record<string, number>;
}
