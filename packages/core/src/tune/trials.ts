/**
 * A search's bookkeeping, apart from how its fits run: candidates resolved into what a fit needs, the fold
 * scores of a trial summarised, trials ranked, and the epoch budgets of successive halving.
 */
import { type ActivationName, type ModelSpec, mlpSpec, parseActivation } from '../model/spec.js';
import { createOptimizer } from '../optim/create.js';
import type { OptimizerConfig, OptimizerName, ResolvedOptimizerConfig } from '../optim/optimizer.js';
import type { LrScheduleOptions } from '../train/lr-schedule.js';
import { type FitOptions, resolveFitOptions } from '../train/options.js';
import { greaterIsBetter, type TuneMetric } from './fold-fit.js';

/** What a candidate may set; anything it leaves out comes from the search's base options. */
export interface TuneSettings {
  /** Every layer after the input, output last. */
  layers?: readonly number[];
  /** Hidden activation. */
  activation?: ActivationName | string;
  outputActivation?: ActivationName | string;
  /** Dropout after every hidden layer, or one rate per hidden layer. */
  dropout?: number | readonly number[];
  /** An optimizer name (its other settings from the base optimizer) or a whole config. */
  optimizer?: OptimizerName | OptimizerConfig;
  /** Overrides the optimizer's learning rate. */
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  /** Seeds the initial weights and the shuffles. */
  seed?: number;
  shuffle?: boolean;
  shards?: number;
  /** Penalties, clipping and schedule, as `fit`'s options of the same names (each replaces the base's). */
  l1?: number;
  l2?: number;
  clipNorm?: number;
  clipValue?: number;
  lrSchedule?: LrScheduleOptions;
}

/** The penalties, clipping and schedule of a candidate: `fit`'s options of the same names. */
export type TrainingRules = Pick<FitOptions, 'l1' | 'l2' | 'clipNorm' | 'clipValue' | 'lrSchedule'>;

const RULE_KEYS = ['l1', 'l2', 'clipNorm', 'clipValue', 'lrSchedule'] as const;

/** The base every candidate starts from. */
export interface TuneBase {
  layers: readonly number[];
  activation?: ActivationName | string;
  outputActivation?: ActivationName | string;
  dropout?: number | readonly number[];
  optimizer?: OptimizerConfig;
  batchSize?: number;
  epochs?: number;
  seed?: number;
  shuffle?: boolean;
  shards?: number;
  l1?: number;
  l2?: number;
  clipNorm?: number;
  clipValue?: number;
  lrSchedule?: LrScheduleOptions;
}

/** A candidate with every setting a fit needs. */
export interface ResolvedCandidate {
  spec: ModelSpec;
  optimizer: ResolvedOptimizerConfig;
  batchSize: number;
  epochs: number;
  seed: number;
  shuffle: boolean;
  shards: number | undefined;
  /** Only the rules that are set. */
  rules: TrainingRules;
}

/** One finished trial: a candidate's metric on every split. */
export interface TrialResult {
  /** Index of the candidate in the search. */
  index: number;
  settings: TuneSettings;
  /** The metric on each split's validation rows, in split order. */
  folds: number[];
  /** Mean and population standard deviation over the splits (as scikit-learn's `mean_test_score`, `std_test_score`). */
  mean: number;
  std: number;
  /** Milliseconds of training and scoring, summed over the splits. */
  ms: number;
  /** Epochs the trial was given (successive halving gives fewer than the candidate's in early rungs). */
  epochs: number;
  /** Successive halving: the last rung the trial ran in (0 = the first). */
  rung?: number;
  /**
   * Threads each of its fits had, when more than one: a rung with fewer fits than threads gives each fit that
   * would gain from it an equal share of them, to train data-parallel (threads 'auto' up to the share; the same
   * bits as on one thread).
   */
  threads?: number;
  /** Why a split failed (training diverged); such a trial ranks last. */
  error?: string;
}

/** Fills in a candidate from the base and checks it, naming the candidate in any error. */
export function resolveCandidate(
  base: TuneBase,
  candidate: TuneSettings,
  inputSize: number,
  index: number,
): ResolvedCandidate {
  try {
    const layers = candidate.layers ?? base.layers;
    const activation = parseActivation(candidate.activation ?? base.activation ?? 'sigmoid');
    const outputName = candidate.outputActivation ?? base.outputActivation;
    const outputActivation = outputName === undefined ? activation : parseActivation(outputName, 'outputActivation');
    const spec = mlpSpec(inputSize, layers, activation, outputActivation, candidate.dropout ?? base.dropout ?? 0);
    let config: OptimizerConfig = base.optimizer ?? { name: 'sgd' };
    if (typeof candidate.optimizer === 'string') config = { ...config, name: candidate.optimizer };
    else if (candidate.optimizer) config = candidate.optimizer;
    if (candidate.learningRate !== undefined) config = { ...config, learningRate: candidate.learningRate };
    const optimizer = createOptimizer(config).config;
    const batchSize = candidate.batchSize ?? base.batchSize ?? 32;
    const epochs = candidate.epochs ?? base.epochs ?? 1;
    if (!(Number.isInteger(batchSize) && batchSize >= 1))
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    if (!(Number.isInteger(epochs) && epochs >= 1))
      throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
    const shards = candidate.shards ?? base.shards;
    const rules: Record<string, unknown> = {};
    for (const key of RULE_KEYS) {
      const value = candidate[key] ?? base[key];
      if (value !== undefined) rules[key] = value;
    }
    // Checked here, once, as fit checks them (every split has validation rows, so a plateau may watch valLoss).
    resolveFitOptions({ loss: 'mse', optimizer, epochs, validationSplit: 0.5, ...rules });
    return {
      rules,
      spec,
      optimizer,
      batchSize,
      epochs,
      seed: candidate.seed ?? base.seed ?? 1,
      shuffle: candidate.shuffle ?? base.shuffle ?? true,
      shards,
    };
  } catch (error) {
    throw new RangeError(`candidate ${index} (${JSON.stringify(candidate)}): ${(error as Error).message}`);
  }
}

/** Mean and population standard deviation; NaN when any score is NaN. */
export function summarise(scores: readonly number[]): { mean: number; std: number } {
  const n = scores.length;
  let sum = 0;
  for (const s of scores) sum += s;
  const mean = sum / n;
  let sq = 0;
  for (const s of scores) sq += (s - mean) * (s - mean);
  return { mean, std: Math.sqrt(sq / n) };
}

/**
 * Trials best first: later halving rungs first, then by mean score (ascending for loss and MAE, descending for
 * accuracy and R^2), failed trials last, ties by candidate index.
 */
export function rankTrials(trials: readonly TrialResult[], metric: TuneMetric): TrialResult[] {
  const sign = greaterIsBetter(metric) ? -1 : 1;
  return [...trials].sort((a, b) => {
    const rung = (b.rung ?? 0) - (a.rung ?? 0);
    if (rung !== 0) return rung;
    const aBad = Number.isNaN(a.mean);
    const bBad = Number.isNaN(b.mean);
    if (aBad !== bBad) return aBad ? 1 : -1;
    if (!aBad && a.mean !== b.mean) return sign * (a.mean - b.mean);
    return a.index - b.index;
  });
}

/**
 * Successive halving with factor 3 (scikit-learn's `HalvingGridSearchCV`): every rung keeps the best third
 * (rounded up) of the previous one, until a rung has at most 3 trials; that last rung trains the full epochs and
 * each earlier one a third of the next. Returns the number of rungs for `candidates` trials.
 */
export function halvingRungs(candidates: number): number {
  let rungs = 1;
  for (let n = candidates; n > 3; n = Math.ceil(n / 3)) rungs++;
  return rungs;
}

/** Epochs of a candidate with `epochs` full epochs in rung `rung` of `rungs` (at least 1). */
export function rungEpochs(epochs: number, rung: number, rungs: number): number {
  return Math.max(1, Math.round(epochs / 3 ** (rungs - 1 - rung)));
}

/** How many trials of a rung of `n` go on to the next. */
export function survivors(n: number): number {
  return Math.ceil(n / 3);
}
