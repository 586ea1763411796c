/**
 * `train`, step 1: the settings of a run. Flags over the config file; with `--resume`, every setting comes from the
 * checkpoint (only epochs, threads, out and data may change); with `--init`, the architecture flags must agree with
 * the starting model.
 */
import { resolve } from 'node:path';
import {
  createOptimizer,
  type ModelSpec,
  parseActivation,
  parseLoss,
  type ResolvedOptimizerConfig,
} from '@shardprop/core';
import { loadConfig, mergeSettings, type TrainSettings } from '../config.js';
import { dataError, oneLine, usageError } from '../errors.js';
import { type LoadedModel, loadModelDir } from '../modeldir.js';
import type { RunSettings } from '../run-state.js';
import { activationFlag, dropoutFlag, optimizerConfig } from '../train-setup.js';

/** The flags of `train` (only those given on the command line). */
export interface TrainFlags extends TrainSettings {
  config?: string;
  json?: boolean;
}

/** Settings a resumed run may change: everything else must agree with the checkpoint. */
const RESUMABLE = new Set(['epochs', 'threads', 'out', 'data', 'format', 'resume', 'config', 'json']);

/** Where a run starts: a checkpoint to resume, a model to start from, or neither (a new model). */
export interface RunStart {
  /** The settings as given (config file, then flags). */
  given: TrainSettings;
  /** The settings of this run: `given`, or the checkpoint's with the resumable ones from `given`. */
  settings: TrainSettings;
  /** The checkpoint of `--resume`. */
  resumed?: LoadedModel;
  /** The model of `--init`. */
  initial?: LoadedModel;
  /** The resumed run's saved settings. */
  saved?: RunSettings;
}

/** Reads the config file and the start model or checkpoint, and checks the flags against them. */
export async function resolveRun(flags: TrainFlags): Promise<RunStart> {
  const config = flags.config ? await loadConfig(flags.config) : {};
  const { config: _c, json: _j, ...flagSettings } = flags;
  const given = mergeSettings(config, flagSettings);
  if (given.resume && given.init) throw usageError('--resume and --init cannot be used together');

  if (given.resume) {
    const resumed = await loadModelDir(given.resume, '--resume');
    const run = resumed.meta?.run;
    if (!run || !resumed.meta?.encoding) {
      throw dataError(
        `--resume ${given.resume}: not a shardprop training checkpoint (model.json has no training run state)`,
      );
    }
    const saved = run.settings;
    checkResumeFlags(given, saved, given.resume);
    if (given.epochs !== undefined && given.epochs < run.nextEpoch) {
      throw usageError(
        `--epochs ${given.epochs}: the run in ${given.resume} has already trained ${run.nextEpoch} epochs`,
      );
    }
    if (!resumed.optimizer && saved.optimizer.name !== 'sgd') {
      throw dataError(
        `--resume ${given.resume}: optimizer.bin is missing, so the ${saved.optimizer.name} state cannot be restored`,
      );
    }
    return { given, settings: resumedSettings(given, saved, given.resume), resumed, saved };
  }
  if (given.init) {
    const initial = await loadModelDir(given.init, '--init');
    checkArchitecture(given, initial.model.spec, '--init', given.init);
    return { given, settings: given, initial };
  }
  return { given, settings: given };
}

/** A resumed run's settings: the checkpoint's, with the epochs, threads, data path and output from `given`. */
function resumedSettings(given: TrainSettings, saved: RunSettings, dir: string): TrainSettings {
  return {
    ...given,
    data: given.data !== undefined ? resolve(given.data) : saved.data,
    header: saved.header,
    delimiter: saved.delimiter,
    // A new --data comes with its own format (flag or extension); the checkpoint's data with the saved one.
    format: given.data !== undefined ? given.format : (given.format ?? saved.format),
    target: saved.target,
    features: saved.features,
    categorical: saved.categorical,
    task: saved.task,
    layers: saved.layers,
    activation: saved.activation,
    outputActivation: saved.outputActivation,
    loss: saved.loss,
    batchSize: saved.batchSize,
    epochs: given.epochs ?? saved.epochs,
    seed: saved.seed,
    shuffle: saved.shuffle,
    shards: saved.shards ?? undefined,
    valSplit: saved.valSplit,
    earlyStop: saved.earlyStop ?? undefined,
    monitor: saved.monitor,
    l1: saved.l1 ?? undefined,
    l2: saved.l2 ?? undefined,
    clipNorm: saved.clipNorm ?? undefined,
    clipValue: saved.clipValue ?? undefined,
    lrSchedule: undefined,
    dropMissing: saved.missing === 'drop',
    impute: saved.missing === 'impute' ? 'mean' : undefined,
    unknown: saved.unknown,
    kernels: saved.kernels ?? undefined,
    dropout: saved.dropout,
    classWeight: saved.classWeight ?? undefined,
    weightColumn: saved.weightColumn ?? undefined,
    out: given.out ?? dir,
  };
}

export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The value of a given setting in a saved run, in the flag's terms. */
function savedValue(s: RunSettings, key: keyof TrainSettings): unknown {
  switch (key) {
    case 'lr':
      return s.optimizer.learningRate;
    case 'optimizer':
      return s.optimizer.name;
    case 'momentum':
    case 'nesterov':
    case 'beta1':
    case 'beta2':
    case 'epsilon':
    case 'weightDecay':
    case 'rho':
    case 'centered':
      return s.optimizer[key];
    case 'dropMissing':
      return s.missing === 'drop';
    case 'impute':
      return s.missing === 'impute' ? 'mean' : undefined;
    case 'activation':
    case 'outputActivation':
      return s[key];
    case 'ignore':
      return undefined;
    case 'lrSchedule':
      return s.lrSchedule?.name ?? 'constant';
    case 'lrDecay':
      return s.lrSchedule?.decay;
    case 'lrStepEpochs':
      return s.lrSchedule?.stepEpochs;
    case 'lrMin':
      return s.lrSchedule?.minLearningRate;
    case 'lrPatience':
      return s.lrSchedule?.patience;
    case 'warmupEpochs':
      return s.lrSchedule?.warmupEpochs ?? 0;
    case 'l1':
    case 'l2':
    case 'clipNorm':
    case 'clipValue':
    case 'classWeight':
    case 'weightColumn':
      return s[key] ?? undefined;
    default:
      return (s as unknown as Record<string, unknown>)[key];
  }
}

function normalise(key: keyof TrainSettings, value: unknown): unknown {
  if ((key === 'activation' || key === 'outputActivation') && typeof value === 'string') return parseActivation(value);
  if (key === 'loss' && typeof value === 'string') return parseLoss(value);
  return value;
}

/** With --resume, every given setting other than epochs/threads/out/data must agree with the checkpoint. */
function checkResumeFlags(given: TrainSettings, saved: RunSettings, dir: string): void {
  for (const [key, value] of Object.entries(given) as [keyof TrainSettings, unknown][]) {
    if (RESUMABLE.has(key) || value === undefined) continue;
    if (key === 'ignore') continue; // folded into the saved feature list
    if (key === 'kernels' && value === 'auto') continue;
    const have = savedValue(saved, key);
    let want: unknown;
    try {
      want = normalise(key, value);
    } catch (error) {
      throw usageError(`${flagName(key)}: ${oneLine(error)}`);
    }
    if (key === 'dropout') {
      const hidden = saved.layers.length - 1;
      const had = saved.dropout ?? new Array<number>(hidden).fill(0);
      if (!same(dropoutFlag(value as number | number[], hidden), had)) {
        throw usageError(
          `--dropout ${String(value)} contradicts the run in ${dir} (${had.join(',')}); drop the flag to resume, or start a new run`,
        );
      }
      continue;
    }
    if (key === 'layers' || key === 'features' || key === 'target' || key === 'categorical') {
      if (!same(want, have)) {
        throw usageError(
          `${flagName(key)} ${String(value)} contradicts the run in ${dir} (${String(have)}); drop the flag to resume, or start a new run`,
        );
      }
      continue;
    }
    if (!same(want, have ?? (typeof want === 'boolean' ? false : undefined))) {
      throw usageError(
        `${flagName(key)} ${show(value)} contradicts the run in ${dir} (${have === undefined ? 'not set' : show(have)}); drop the flag to resume, or start a new run`,
      );
    }
  }
}

/** A setting as a message shows it: a class-weight map as JSON, anything else as text. */
function show(value: unknown): string {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? JSON.stringify(value) : String(value);
}

/** Architecture flags given with --init must agree with the model's. */
function checkArchitecture(given: TrainSettings, spec: ModelSpec, flag: string, dir: string): void {
  const units = spec.layers.map((l) => l.units);
  if (given.layers && !same(given.layers, units)) {
    throw usageError(
      `--layers ${given.layers.join(',')} contradicts the model in ${dir} (${flag}), which has layers ${units.join(',')}`,
    );
  }
  const hidden = spec.layers.slice(0, -1).map((l) => l.activation);
  const output = spec.layers[spec.layers.length - 1].activation;
  if (given.activation !== undefined) {
    const a = activationFlag(given.activation, '--activation');
    if (hidden.some((h) => h !== a)) {
      throw usageError(
        `--activation ${given.activation} contradicts the model in ${dir} (${flag}), whose hidden layers use ${[...new Set(hidden)].join(', ')}`,
      );
    }
  }
  if (given.outputActivation !== undefined) {
    const a = activationFlag(given.outputActivation, '--output-activation');
    if (a !== output) {
      throw usageError(
        `--output-activation ${given.outputActivation} contradicts the model in ${dir} (${flag}), whose output uses ${output}`,
      );
    }
  }
}

/** The optimizer the flags ask for; a value core refuses is a usage error naming the flag. */
export function optimizerFlags(s: TrainSettings): ResolvedOptimizerConfig {
  try {
    return createOptimizer(optimizerConfig(s)).config;
  } catch (error) {
    // core names the option (optimizer.momentum, optimizer.learningRate, ...): say the flag instead.
    const message = oneLine(error).replace(/^optimizer\.(\w+)/, (_m, key: string) =>
      flagName(key === 'learningRate' ? 'lr' : key),
    );
    throw usageError(message);
  }
}
