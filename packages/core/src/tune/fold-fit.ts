/**
 * One job of a search: train one candidate on one split's training rows with the single-thread `fit` (or, where
 * a search has fewer fits than threads, with `fitParallel`, whose weights are the same bits), and score it on the
 * split's validation rows. The tuner's workers run it over the data in shared memory; it runs the same way in any
 * thread, so a job's result depends only on the job and the data, never on the thread count.
 */
import { type Dataset, subset } from '../data/dataset.js';
import { foldRows } from '../data/folds.js';
import type { ClassWeight } from '../data/row-weights.js';
import type { KernelBackend, KernelPreference } from '../kernels/kernels.js';
import { withKernels } from '../kernels/lease.js';
import type { LossName } from '../losses/loss.js';
import { Mlp } from '../model/mlp.js';
import type { ModelSpec } from '../model/spec.js';
import type { ResolvedOptimizerConfig } from '../optim/optimizer.js';
import { fit } from '../train/fit.js';
import { type FitResult, TrainingError } from '../train/loop.js';
import { evaluate, isClassification, type Metrics } from '../train/metrics.js';
import type { FitOptions } from '../train/options.js';
import type { TrainingRules } from './trials.js';

/** What a search ranks by: the validation loss (default), or accuracy, R^2 or mean absolute error. */
export type TuneMetric = 'loss' | 'accuracy' | 'r2' | 'mae';
export const TUNE_METRICS: readonly TuneMetric[] = ['loss', 'accuracy', 'r2', 'mae'];

/** True for metrics where larger is better (accuracy, R^2). */
export function greaterIsBetter(metric: TuneMetric): boolean {
  return metric === 'accuracy' || metric === 'r2';
}

/** Checks that `metric` exists for `loss` (accuracy for classes, R^2 and MAE for regression). */
export function checkMetric(metric: string, loss: LossName): TuneMetric {
  if (!(TUNE_METRICS as readonly string[]).includes(metric)) {
    throw new RangeError(`metric must be one of ${TUNE_METRICS.join(', ')}, got "${metric}"`);
  }
  const classes = isClassification(loss);
  if (metric === 'accuracy' && !classes)
    throw new RangeError(`metric "accuracy" needs a classification loss, not ${loss}`);
  if ((metric === 'r2' || metric === 'mae') && classes) {
    throw new RangeError(`metric "${metric}" is for regression (meanSquaredError), not ${loss}`);
  }
  return metric as TuneMetric;
}

/** The value of `metric` in an evaluation. */
export function metricValue(metrics: Metrics, metric: TuneMetric): number {
  const value = metric === 'loss' ? metrics.loss : metrics[metric];
  if (value === undefined) throw new Error(`internal: the evaluation has no ${metric}`);
  return value;
}

/** One candidate on one split: everything the job needs besides the data. */
export interface FoldFitJob {
  /** Index of the candidate in the search. */
  trial: number;
  /** Split (fold) number: validation rows are those with this fold number. */
  fold: number;
  spec: ModelSpec;
  loss: LossName;
  optimizer: ResolvedOptimizerConfig;
  batchSize: number;
  epochs: number;
  /** Seeds the initial weights and the shuffles, as `train --seed` does. */
  seed: number;
  shuffle: boolean;
  shards?: number;
  /** Early-stopping patience on the split's validation loss; the best epoch's weights are scored. */
  patience?: number;
  /** Class weights of the fit (`'balanced'`: over the split's training rows). */
  classWeight?: ClassWeight;
  kernels: KernelPreference;
  metric: TuneMetric;
  /** Penalties, clipping and schedule (`fit`'s options of the same names). */
  rules?: TrainingRules;
}

export interface FoldFitResult {
  trial: number;
  fold: number;
  /** The metric on the validation rows; NaN when training failed (see `error`). */
  score: number;
  /** Epochs trained (fewer than asked after early stopping). */
  epochsRun: number;
  ms: number;
  kernels: KernelBackend | null;
  /** Why training failed (a non-finite loss: the candidate diverged); the search goes on without it. */
  error?: string;
}

/**
 * The training and validation datasets of each split, built once per thread and kept: a job gathers its rows
 * from the shared data only the first time its split is used in that thread.
 */
export class SplitCache {
  private readonly splits = new Map<number, { train: Dataset; validation: Dataset }>();

  constructor(
    private readonly data: Dataset,
    private readonly folds: Int32Array,
  ) {}

  get(fold: number): { train: Dataset; validation: Dataset } {
    let split = this.splits.get(fold);
    if (!split) {
      const rows = foldRows(this.folds, fold);
      if (rows.train.length === 0 || rows.validation.length === 0) {
        throw new RangeError(
          `split ${fold} has ${rows.train.length} training and ${rows.validation.length} validation rows`,
        );
      }
      split = { train: subset(this.data, rows.train), validation: subset(this.data, rows.validation) };
      this.splits.set(fold, split);
    }
    return split;
  }
}

/**
 * `fit`'s options for a job; `validation` is its split's validation rows (left out, the options still describe
 * the same training steps).
 */
export function foldFitOptions(job: FoldFitJob, validation?: Dataset): FitOptions {
  return {
    loss: job.loss,
    optimizer: job.optimizer,
    batchSize: job.batchSize,
    epochs: job.epochs,
    shuffle: job.shuffle,
    seed: job.seed,
    shards: job.shards,
    kernels: job.kernels,
    ...job.rules,
    ...(job.classWeight !== undefined ? { classWeight: job.classWeight } : {}),
    // Validation during training costs an evaluation per epoch: only early stopping and a plateau need it.
    ...(validation && (job.patience !== undefined || job.rules?.lrSchedule?.name === 'plateau')
      ? { validationData: validation }
      : {}),
    ...(job.patience !== undefined ? { earlyStopping: { patience: job.patience, monitor: 'valLoss' as const } } : {}),
  };
}

/** What trains a job's model: `fit`, or `fitParallel` bound to its threads (the same bits either way). */
export type FoldTrainer = (model: Mlp, data: Dataset, options: FitOptions) => Promise<FitResult>;

/** A job stopped by the search's abort signal before its fit finished: it has no score. */
export class FoldFitAborted extends Error {
  override name = 'FoldFitAborted';
}

/**
 * Trains a fresh model (`Mlp.create(spec, { seed })`) on the split's training rows with `train` (default `fit`),
 * exactly as `fit` on those rows alone would, and scores it on the split's validation rows.
 */
export async function runFoldFit(
  splits: SplitCache,
  job: FoldFitJob,
  train: FoldTrainer = fit,
): Promise<FoldFitResult> {
  const { train: rows, validation } = splits.get(job.fold);
  const started = performance.now();
  const model = Mlp.create(job.spec, { seed: job.seed });
  try {
    const result = await train(model, rows, foldFitOptions(job, validation));
    if (result.aborted) throw new FoldFitAborted(`trial ${job.trial}, split ${job.fold}: stopped before its end`);
    // Scored on kernels of the run's backend (wasm: about 10x the TypeScript ones, which a worker would otherwise
    // also have to compile), like fit's own validation; the same bits whatever thread the job ran on.
    const metrics = await withKernels(result.kernels, (kernels) => evaluate(model, validation, job.loss, kernels));
    const score = metricValue(metrics, job.metric);
    const ms = performance.now() - started;
    return {
      trial: job.trial,
      fold: job.fold,
      score,
      epochsRun: result.epochsRun,
      ms,
      kernels: result.kernels,
    };
  } catch (error) {
    if (!(error instanceof TrainingError)) throw error;
    const ms = performance.now() - started;
    return {
      trial: job.trial,
      fold: job.fold,
      score: Number.NaN,
      epochsRun: error.epoch + 1,
      ms,
      kernels: null,
      error: error.message,
    };
  }
}
