/**
 * Training options shared by `fit` and the parallel trainer, and their validation. Every option is checked
 * once, up front, with a message naming it; nothing fails deep inside a step.
 */

import type { Dataset } from '../data/dataset.js';
import { type ClassWeight, checkClassWeight } from '../data/row-weights.js';
import { type KernelPreference, parseKernelPreference } from '../kernels/kernels.js';
import { type LossInput, type LossName, parseLoss } from '../losses/loss.js';
import { createOptimizer, OPTIMIZER_FIELDS } from '../optim/create.js';
import type { Optimizer, OptimizerConfig } from '../optim/optimizer.js';
import type { ThreadTrial } from '../parallel/thread-choice.js';
import {
  type LrScheduleOptions,
  type LrScheduleState,
  MONITORS,
  type MonitorName,
  type ResolvedLrSchedule,
  resolveLrSchedule,
} from './lr-schedule.js';
import { isClassification, type Metrics } from './metrics.js';

/** Passed to `onBatchEnd` after a step (the parallel trainer reports the latest step a few times a second). */
export interface BatchLog {
  /** 0-based epoch. */
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Mean loss of the rows seen so far this epoch. */
  loss: number;
  rowsDone: number;
  rowsPerSec: number;
  /** Threads training now (parallel trainers only; it may change during a run with `threads: 'auto'`). */
  threads?: number;
}

/** Passed to `onEpochEnd` and collected in the history. */
export interface EpochLog {
  /** 0-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's rows (as Keras reports it: with the weight penalty, if any). */
  loss: number;
  /** The learning rate the epoch ran at (the schedule's value). */
  learningRate: number;
  /**
   * Accuracy of the end-of-epoch weights on the training rows; computed only when early stopping or a plateau
   * schedule watches `accuracy` (Keras' running mean over the epoch's batches is not reproduced).
   */
  accuracy?: number;
  /** Validation loss (with the weight penalty, as Keras), when there is validation data. */
  valLoss?: number;
  valAccuracy?: number;
  msPerEpoch: number;
  rowsPerSec: number;
  /** Threads training at the end of the epoch (parallel trainers only). */
  threads?: number;
}

export interface Callbacks {
  onTrainBegin?: () => void | Promise<void>;
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  onBatchEnd?: (log: BatchLog) => void;
  /**
   * After each epoch, with the model's parameters current. `context.optimizerState()` copies the optimizer's
   * state at this epoch boundary, which is what a checkpoint needs to resume exactly.
   */
  onEpochEnd?: (log: EpochLog, context: EpochContext) => void | Promise<void>;
  onTrainEnd?: (history: EpochLog[], context: TrainEndContext) => void | Promise<void>;
}

/** Passed to `onTrainEnd` beside the history (and, with more, to `onEpochEnd`), while the run's threads are there. */
export interface TrainEndContext {
  /**
   * The metrics of the training rows (validation rows excluded) with `params` (default: the model's weights now:
   * after this epoch, or as training leaves them, the best epoch's with `restoreBestWeights`), on the run's
   * kernels and threads: what `evaluate(model, trainingRows, loss, kernels)` gives, bit for bit, in a fraction
   * of its time on many cores.
   */
  evaluate(params?: Float32Array): Promise<Metrics>;
}

/** Passed to `onEpochEnd` beside the log. */
export interface EpochContext extends TrainEndContext {
  /** A copy of the optimizer's update count and state after this epoch. */
  optimizerState(): OptimizerSnapshot;
  /** The learning-rate schedule's state after this epoch (what `lrScheduleState` resumes from). */
  lrScheduleState(): LrScheduleState;
  /** What `threads: 'auto'` has measured so far (parallel trainers only; empty otherwise). */
  threadTrials(): ThreadTrial[];
}

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /**
   * Quantity to watch: `valLoss` (default when there is validation data), `loss`, `valAccuracy` or `accuracy`
   * (classification losses only). Losses must fall, accuracies rise, as Keras' `mode='auto'` infers.
   */
  monitor?: MonitorName;
  /** Put back the best epoch's weights when stopping (default true). */
  restoreBestWeights?: boolean;
}

/** Optimizer state to resume from: the update count and `stateSlots x paramCount` floats. */
export interface OptimizerSnapshot {
  step: number;
  state: Float32Array;
}

export interface FitOptions {
  /** Keras loss name or alias (`mse`, `bce`, `cce`, `scce`; any case). */
  loss: LossInput;
  /** Optimizer config (default `{ name: 'sgd' }`, learning rate 0.01). */
  optimizer?: OptimizerConfig;
  /** Default 1. */
  epochs?: number;
  /** Default 32; the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Shuffle rows each epoch (default true); the order depends only on `seed` and the epoch. */
  shuffle?: boolean;
  /** Seed for the shuffles (default 1). */
  seed?: number;
  /** Most shards per batch (default: one per 16 rows, two from 16 rows on, at most 16). Fixes the arithmetic. */
  shards?: number;
  /** Fraction of rows, taken from the end as in Keras, held out for validation (default 0). */
  validationSplit?: number;
  /** Explicit validation data (takes precedence over `validationSplit`). */
  validationData?: Dataset;
  /**
   * Per-class loss weights (Keras `class_weight`): a map from class index to weight >= 0 naming every class in
   * the training data, or `'balanced'` (scikit-learn: `rows / (classes * count)` over the training rows). A row's
   * class is its label (sparse labels, one binary column) or the arg-max of its one-hot target, as tfjs reads it.
   */
  classWeight?: ClassWeight;
  /**
   * One loss weight >= 0 per row of the data (Keras `sample_weight`), multiplied with the class weight. The
   * batch loss is `sum(weight * loss) / batchRows`, Keras' mean of weighted per-row losses; the training loss
   * reported is that weighted loss, validation losses are unweighted. A `validationSplit` holds out the weights
   * of the rows it holds out.
   */
  sampleWeight?: Float32Array;
  earlyStopping?: EarlyStoppingOptions;
  /** First epoch to run (0-based), for resuming; shuffles depend on the absolute epoch index. */
  initialEpoch?: number;
  /** Optimizer state to continue from, for resuming exactly. */
  optimizerState?: OptimizerSnapshot;
  callbacks?: Callbacks;
  /** Aborting stops training after the current step; `fit` then resolves with `aborted: true`. */
  signal?: AbortSignal;
  /**
   * Kernel backend: `wasm` (WebAssembly SIMD), `js` (plain TypeScript), or `auto` (default: wasm where
   * available, unless the environment variable `SHARDPROP_KERNELS=js`). Fixed for the whole run.
   */
  kernels?: KernelPreference;
  /** L1 penalty on every Dense kernel, not biases (Keras `kernel_regularizer=L1L2(l1=...)`); default 0. */
  l1?: number;
  /** L2 penalty on every Dense kernel, not biases (Keras `L1L2(l2=...)`, loss `l2 * sum w^2`); default 0. */
  l2?: number;
  /** Scale the whole gradient to at most this global L2 norm (Keras `global_clipnorm`); default off. */
  clipNorm?: number;
  /** Clip every gradient element to `[-clipValue, clipValue]` (Keras `clipvalue`); default off. */
  clipValue?: number;
  /** Learning-rate schedule over epochs (see `lr-schedule.ts` for the formulas); default constant. */
  lrSchedule?: LrScheduleOptions;
  /** The schedule's state to resume from (a `plateau` schedule's current rate, best value and wait). */
  lrScheduleState?: LrScheduleState;
}

export interface ResolvedFitOptions {
  loss: LossName;
  optimizer: Optimizer;
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  shards: number | undefined;
  validationSplit: number;
  validationData: Dataset | undefined;
  classWeight: ClassWeight | undefined;
  sampleWeight: Float32Array | undefined;
  earlyStopping: Required<EarlyStoppingOptions> | undefined;
  initialEpoch: number;
  optimizerState: OptimizerSnapshot | undefined;
  callbacks: Callbacks;
  signal: AbortSignal | undefined;
  kernels: KernelPreference;
  l1: number;
  l2: number;
  clipNorm: number;
  clipValue: number;
  /** The resolved schedule (`constant` when none was given). */
  lrSchedule: ResolvedLrSchedule;
  lrScheduleState: LrScheduleState | undefined;
}

/** A positive finite threshold, or 0 (off) when not given. */
function positiveOrOff(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`options.${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, name: string): number {
  const v = value ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`options.${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return v;
}

/**
 * Every key of `FitOptions`, the one list the unknown-key check reads: adding an option is its field in
 * `FitOptions` and one line here (the type makes the two agree).
 */
const FIT_OPTION_KEYS: Readonly<Record<keyof FitOptions, true>> = {
  loss: true,
  optimizer: true,
  epochs: true,
  batchSize: true,
  shuffle: true,
  seed: true,
  shards: true,
  validationSplit: true,
  validationData: true,
  classWeight: true,
  sampleWeight: true,
  earlyStopping: true,
  initialEpoch: true,
  optimizerState: true,
  callbacks: true,
  signal: true,
  kernels: true,
  l1: true,
  l2: true,
  clipNorm: true,
  clipValue: true,
  lrSchedule: true,
  lrScheduleState: true,
};

/**
 * The keys `fitParallel` (`ParallelFitOptions`, parallel/trainer.ts) adds to `FitOptions`; the parallel trainer
 * resolves its options through `resolveFitOptions` too, so they are known here.
 */
export const PARALLEL_OPTION_KEYS = ['threads', 'maxThreads', 'autoThreads', 'barrierTimeoutMs', 'progressIntervalMs'];

/**
 * Throws for a key of `options` that is not one of the `FitOptions` keys nor one of `extra`, so that a
 * misspelt or misplaced option (`learningRate` at the top level) is an error rather than silently ignored.
 * Keys whose value is `undefined` count as absent.
 * @throws RangeError naming the key, and where it belongs when it is an optimizer option.
 */
export function checkOptionKeys(options: object, extra: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || Object.hasOwn(FIT_OPTION_KEYS, key) || extra.includes(key)) continue;
    // An optimizer option at the top level (a common slip): say where it belongs.
    if ((OPTIMIZER_FIELDS as readonly string[]).includes(key)) {
      throw new RangeError(
        `options.${key} is an optimizer option: pass it as options.optimizer.${key} (e.g. { optimizer: { name: 'adam', ${key}: ... } })`,
      );
    }
    if (PARALLEL_OPTION_KEYS.includes(key)) {
      throw new RangeError(`options.${key} is an option of fitParallel; fit trains on the calling thread`);
    }
    const known = [...Object.keys(FIT_OPTION_KEYS), ...extra].join(', ');
    throw new RangeError(`unknown option options.${key}; the options are ${known}`);
  }
}

function positiveInt(value: unknown, name: string, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new RangeError(`options.${name} must be a positive integer, got ${String(value)}`);
  }
  return v;
}

function nonNegativeInt(value: unknown, name: string, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`options.${name} must be a non-negative integer, got ${String(value)}`);
  }
  return v;
}

/** Validates `options` and fills in defaults. */
export function resolveFitOptions(options: FitOptions): ResolvedFitOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (typeof options.loss !== 'string') throw new TypeError('options.loss is required (e.g. "meanSquaredError")');
  checkOptionKeys(options, PARALLEL_OPTION_KEYS);
  const loss = parseLoss(options.loss);
  const optimizer = createOptimizer(options.optimizer ?? { name: 'sgd' });
  const epochs = nonNegativeInt(options.epochs, 'epochs', 1);
  const batchSize = positiveInt(options.batchSize, 'batchSize', 32);
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) throw new RangeError(`options.seed must be a finite number, got ${seed}`);
  const shards = options.shards === undefined ? undefined : positiveInt(options.shards, 'shards', 1);
  const validationSplit = options.validationSplit ?? 0;
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    throw new RangeError(`options.validationSplit must be in [0, 1), got ${validationSplit}`);
  }
  let earlyStopping: Required<EarlyStoppingOptions> | undefined;
  if (options.earlyStopping) {
    const es = options.earlyStopping;
    const hasValidation = options.validationData !== undefined || validationSplit > 0;
    const monitor = es.monitor ?? (hasValidation ? 'valLoss' : 'loss');
    if (!MONITORS.includes(monitor)) {
      throw new RangeError(
        `options.earlyStopping.monitor must be one of ${MONITORS.join(', ')}, got ${JSON.stringify(monitor)}`,
      );
    }
    if (monitor.startsWith('val') && !hasValidation) {
      throw new RangeError(`options.earlyStopping.monitor is "${monitor}" but there is no validation data`);
    }
    if (monitor.endsWith('ccuracy') && !isClassification(loss)) {
      throw new RangeError(`options.earlyStopping.monitor is "${monitor}" but ${loss} is not a classification loss`);
    }
    const minDelta = es.minDelta ?? 0;
    if (!(minDelta >= 0)) throw new RangeError(`options.earlyStopping.minDelta must be >= 0, got ${minDelta}`);
    earlyStopping = {
      patience: positiveInt(es.patience, 'earlyStopping.patience', 1),
      minDelta,
      monitor,
      restoreBestWeights: es.restoreBestWeights ?? true,
    };
  }
  const initialEpoch = nonNegativeInt(options.initialEpoch, 'initialEpoch', 0);
  const snap = options.optimizerState;
  if (snap && !(Number.isInteger(snap.step) && snap.step >= 0)) {
    throw new RangeError(`options.optimizerState.step must be a non-negative integer, got ${snap.step}`);
  }
  const hasValidation = options.validationData !== undefined || validationSplit > 0;
  const lr0 = optimizer.config.learningRate;
  const lrSchedule = resolveLrSchedule(
    options.lrSchedule ?? { name: 'constant' },
    lr0,
    initialEpoch + epochs,
    hasValidation,
  );
  if (lrSchedule.name === 'plateau' && lrSchedule.monitor.endsWith('ccuracy') && !isClassification(loss)) {
    throw new RangeError(
      `options.lrSchedule.monitor is "${lrSchedule.monitor}" but ${loss} is not a classification loss`,
    );
  }
  const lrState = options.lrScheduleState;
  if (
    lrState !== undefined &&
    !(
      typeof lrState === 'object' &&
      lrState.learningRate > 0 &&
      Number.isFinite(lrState.learningRate) &&
      typeof lrState.best === 'number' &&
      !Number.isNaN(lrState.best) &&
      Number.isInteger(lrState.wait) &&
      lrState.wait >= 0
    )
  ) {
    throw new RangeError(
      'options.lrScheduleState must be { learningRate > 0, best: number, wait: non-negative integer }',
    );
  }
  return {
    loss,
    optimizer,
    epochs,
    batchSize,
    shuffle: options.shuffle ?? true,
    seed,
    shards,
    validationSplit,
    validationData: options.validationData,
    classWeight: options.classWeight === undefined ? undefined : checkClassWeight(options.classWeight),
    sampleWeight: options.sampleWeight,
    earlyStopping,
    initialEpoch,
    optimizerState: snap,
    callbacks: options.callbacks ?? {},
    signal: options.signal,
    kernels: parseKernelPreference(options.kernels ?? 'auto'),
    l1: nonNegative(options.l1, 'l1'),
    l2: nonNegative(options.l2, 'l2'),
    clipNorm: positiveOrOff(options.clipNorm, 'clipNorm'),
    clipValue: positiveOrOff(options.clipValue, 'clipValue'),
    lrSchedule,
    lrScheduleState: lrState,
  };
}
