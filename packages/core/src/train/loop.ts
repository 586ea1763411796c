/**
 * The epoch loop shared by every trainer: per-epoch shuffles, validation, early stopping, callbacks and
 * history. What happens inside an epoch is the engine's business (one thread, or many).
 */
import type { Dataset } from '../data/dataset.js';
import { firstNonFinite } from '../data/finite.js';
import { shuffleInPlace } from '../data/shuffle.js';
import type { KernelBackend, Kernels } from '../kernels/kernels.js';
import { withKernels } from '../kernels/lease.js';
import type { Mlp } from '../model/mlp.js';
import type { ThreadTrial } from '../parallel/thread-choice.js';
import { Rng } from '../random.js';
import {
  advanceLrSchedule,
  initialLrScheduleState,
  type LrScheduleState,
  type MonitorName,
  monitorMode,
  scheduledLearningRate,
} from './lr-schedule.js';
import { evaluate, type Metrics } from './metrics.js';
import type { BatchLog, EpochLog, OptimizerSnapshot, ResolvedFitOptions } from './options.js';
import { kernelPenalty } from './penalty.js';

/**
 * Raised when training cannot continue: a batch's loss or, after an epoch, a weight is NaN or +-Infinity.
 *
 * Every trainer (`fit` on either kernel backend, `fitParallel`) leaves the model with the weights it had at the
 * start of the failed epoch, the last epoch boundary: never a non-finite weight, never a half-trained epoch.
 */
export class TrainingError extends Error {
  override name = 'TrainingError';
  constructor(
    message: string,
    /** The failed epoch, counted from 0 like `EpochLog.epoch` and `initialEpoch`; the message uses the same number. */
    readonly epoch: number,
    /** The step within that epoch, counted from 1 like `BatchLog.step`. */
    readonly step: number,
    /** What turned non-finite: a batch's loss, or a weight (found after the epoch's last step). */
    readonly quantity: 'loss' | 'weight',
    /** The non-finite value: NaN, Infinity or -Infinity. */
    readonly value: number,
  ) {
    super(message);
  }
}

/** The error for a batch whose loss is not finite, worded the same by every trainer. */
export function nonFiniteLoss(loss: number, epoch: number, step: number): TrainingError {
  return new TrainingError(
    `loss became ${loss} at epoch ${epoch} (counted from 0), step ${step}: lower the learning rate or check the data for extreme values`,
    epoch,
    step,
    'loss',
    loss,
  );
}

/** The error for weights that turned non-finite during an epoch (found after its last step). */
export function nonFiniteWeights(value: number, index: number, epoch: number, step: number): TrainingError {
  return new TrainingError(
    `weight ${index} became ${value} at epoch ${epoch} (counted from 0), by step ${step}: lower the learning rate`,
    epoch,
    step,
    'weight',
    value,
  );
}

export interface EpochResult {
  /** Sum of per-row losses over the rows trained. */
  lossSum: number;
  rowsDone: number;
  /** True when the abort signal stopped the epoch early. */
  aborted: boolean;
}

/** Runs the steps of one epoch. Implemented by the single-thread and the parallel trainers. */
export interface EpochEngine {
  /** The kernel backend the engine runs. */
  readonly backend: KernelBackend;
  /**
   * Trains over the rows `order` (one permutation of the training rows) in batches at `learningRate`, leaving
   * the model's parameters up to date on return. `report` may be called after steps with the running totals.
   */
  runEpoch(
    order: Int32Array,
    epoch: number,
    learningRate: number,
    report: (step: number, lossSum: number, rowsDone: number) => void,
  ): Promise<EpochResult>;
  /** The optimizer's update count and state, for checkpoints. */
  optimizerSnapshot(): OptimizerSnapshot;
  /** The training rows' metrics with `params` (see `TrainEndContext.evaluate`). */
  evaluate(params: Float32Array): Promise<Metrics>;
  /** Threads taking part now (1 for `fit`). */
  readonly threads?: number;
  /** What a parallel engine measured to choose its thread count (empty when the count was given). */
  readonly threadTrials?: readonly ThreadTrial[];
}

export interface FitResult {
  history: EpochLog[];
  /** Epochs actually run. */
  epochsRun: number;
  /** Index of the next epoch to run when resuming (initialEpoch + epochs completed). */
  nextEpoch: number;
  stoppedEarly: boolean;
  /** True when the abort signal stopped training (the last epoch may be partial). */
  aborted: boolean;
  /** Epoch with the best monitored value, when early stopping is on. */
  bestEpoch?: number;
  /** The learning-rate schedule's state at the start of `nextEpoch` (resume with `lrScheduleState`). */
  lrScheduleState: LrScheduleState;
  /**
   * Optimizer state at the start of `nextEpoch`, for exact resumption: after a run that ended mid-epoch (an
   * abort) it is the state of the epoch boundary, not of the last step.
   */
  optimizerState: OptimizerSnapshot;
  /**
   * The weights at the start of `nextEpoch` (a copy): with `optimizerState` and `initialEpoch: nextEpoch` they
   * resume exactly. Equal to the model's weights unless an abort stopped an epoch part way (the model keeps the
   * partly trained weights) or early stopping restored the best epoch's.
   */
  resumeParams: Float32Array;
  /** The thread count the run settled on: the one at its end, outside a recheck of the counts (1 for `fit`). */
  threads?: number;
  /** What `threads: 'auto'` measured to choose (empty for `fit` and for a given count). */
  threadTrials?: ThreadTrial[];
  /** The kernel backend that ran the steps (record it with the model: results are reproducible per backend). */
  kernels: KernelBackend;
}

/**
 * The row order of one epoch: identity, or a permutation drawn from a stream seeded by (seed, epoch) alone so
 * that a resumed run sees the same orders as an uninterrupted one.
 */
export function epochOrder(rows: number, seed: number, epoch: number, shuffle: boolean, out?: Int32Array): Int32Array {
  const order = out ?? new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  if (shuffle)
    // The seed as an int32 (Rng takes it >>> 0, so the state is the same): a uint32 above 2^31 here made V8
    // deoptimise the inlined constructor ("lost precision") on every other epoch.
    shuffleInPlace(order, new Rng(Math.imul(seed | 0, 0x2c1b3c6d) ^ Math.imul(epoch + 1, 0x9e3779b1)));
  return order;
}

/**
 * Runs epochs `initialEpoch .. initialEpoch + epochs - 1` with `engine` and the shared bookkeeping.
 *
 * @throws TrainingError when a batch's loss or, at the end of an epoch, a weight is not finite; the model is then
 *   back at the weights of the start of that epoch (see {@link TrainingError}).
 */
export async function trainLoop(
  model: Mlp,
  train: Dataset,
  validation: Dataset | undefined,
  opts: ResolvedFitOptions,
  engine: EpochEngine,
): Promise<FitResult> {
  // Validation on this thread but on the run's kernels (wasm: about 10x the TypeScript ones on large sets).
  if (!validation) return runEpochs(model, train, validation, opts, engine, undefined);
  return withKernels(engine.backend, (kernels) => runEpochs(model, train, validation, opts, engine, kernels));
}

/** `trainLoop`'s epochs, validating with `validationKernels`. */
async function runEpochs(
  model: Mlp,
  train: Dataset,
  validation: Dataset | undefined,
  opts: ResolvedFitOptions,
  engine: EpochEngine,
  validationKernels: Kernels | undefined,
): Promise<FitResult> {
  const { callbacks, earlyStopping: es } = opts;
  const history: EpochLog[] = [];
  const order = new Int32Array(train.rows);
  const stepsPerEpoch = Math.ceil(train.rows / opts.batchSize);
  const esSign = es && monitorMode(es.monitor) === 'max' ? -1 : 1;
  // Early stopping compares sign * value, so that smaller is better for every monitor.
  let best = Number.POSITIVE_INFINITY;
  const lr0 = opts.optimizer.config.learningRate;
  const schedule = opts.lrSchedule;
  let lrState = opts.lrScheduleState ?? initialLrScheduleState(schedule, lr0);
  let resumeLrState = lrState;
  const watched = new Set<MonitorName>();
  if (es) watched.add(es.monitor);
  if (schedule.name === 'plateau') watched.add(schedule.monitor);
  const penalized = opts.l1 !== 0 || opts.l2 !== 0;
  let bestEpoch: number | undefined;
  let bestParams: Float32Array | undefined;
  let waited = 0;
  let stoppedEarly = false;
  let aborted = false;
  let epoch = opts.initialEpoch;
  const lastEpoch = opts.initialEpoch + opts.epochs;
  // The weights at the start of the running epoch: where a TrainingError leaves the model, on every backend.

  // The state at the last epoch boundary: what a resume starts from.
  let resumeParams = model.params.slice();
  let resumeState = engine.optimizerSnapshot();
  let completed = 0;

  await callbacks.onTrainBegin?.();
  for (; epoch < lastEpoch && !aborted && !stoppedEarly; epoch++) {
    await callbacks.onEpochBegin?.(epoch);
    epochOrder(train.rows, opts.seed, epoch, opts.shuffle, order);
    const learningRate = scheduledLearningRate(schedule, lr0, epoch, lrState);
    const started = performance.now();
    const onBatchEnd = callbacks.onBatchEnd;
    const report = (step: number, lossSum: number, rowsDone: number): void => {
      if (!onBatchEnd) return;
      const seconds = (performance.now() - started) / 1000;
      const log: BatchLog = {
        epoch,
        step,
        stepsPerEpoch,
        loss: lossSum / rowsDone,
        rowsDone,
        rowsPerSec: rowsDone / seconds,
      };
      if (engine.threads !== undefined) log.threads = engine.threads;
      onBatchEnd(log);
    };
    let result: EpochResult;
    try {
      result = await engine.runEpoch(order, epoch, learningRate, report);
    } catch (error) {
      // One behaviour for every engine and backend: a failed epoch leaves the weights of its start.
      if (error instanceof TrainingError) model.params.set(resumeParams);
      throw error;
    }
    // The loss of each step is checked before its update; this catches the update of the last step, and weights
    // that overflowed while the loss stayed finite (a saturated sigmoid, a relu that zeroes a NaN).
    const bad = firstNonFinite(model.params);
    if (bad >= 0) {
      const value = model.params[bad];
      model.params.set(resumeParams);
      throw nonFiniteWeights(value, bad, epoch, Math.ceil(result.rowsDone / opts.batchSize));
    }
    const msPerEpoch = performance.now() - started;
    if (result.aborted) {
      aborted = true;
      if (result.rowsDone === 0) break;
    } else {
      completed++;
      resumeParams = model.params.slice();
      resumeState = engine.optimizerSnapshot();
    }
    const log: EpochLog = {
      epoch,
      loss: result.lossSum / Math.max(1, result.rowsDone),
      learningRate,
      msPerEpoch,
      rowsPerSec: result.rowsDone / (msPerEpoch / 1000),
    };
    if (engine.threads !== undefined) log.threads = engine.threads;
    if (validation) {
      const m = evaluate(model, validation, opts.loss, validationKernels);
      // Keras adds the regularization losses to the validation loss too.
      log.valLoss = penalized ? m.loss + kernelPenalty(model.layout, model.params, opts.l1, opts.l2) : m.loss;
      if (m.accuracy !== undefined) log.valAccuracy = m.accuracy;
    }
    if (watched.has('accuracy')) {
      // The training rows' accuracy on the run's kernels and threads.
      const m = await engine.evaluate(model.params);
      if (m.accuracy !== undefined) log.accuracy = m.accuracy;
    }
    if (!result.aborted) {
      lrState = advanceLrSchedule(schedule, epoch, monitored(log, schedule.monitor), lrState);
      resumeLrState = lrState;
    }
    history.push(log);
    await callbacks.onEpochEnd?.(log, {
      evaluate: (params = model.params) => engine.evaluate(params),
      optimizerState: () => engine.optimizerSnapshot(),
      lrScheduleState: () => ({ ...lrState }),
      threadTrials: () => [...(engine.threadTrials ?? [])],
    });
    if (es && !result.aborted) {
      const value = esSign * monitored(log, es.monitor);
      if (value < best - es.minDelta) {
        best = value;
        bestEpoch = epoch;
        waited = 0;
        if (es.restoreBestWeights) bestParams = model.params.slice();
      } else if (++waited >= es.patience) {
        stoppedEarly = true;
      }
    }
  }
  if (stoppedEarly && bestParams) model.params.set(bestParams);
  await callbacks.onTrainEnd?.(history, { evaluate: (params = model.params) => engine.evaluate(params) });
  return {
    history,
    epochsRun: history.length,
    // An aborted epoch is incomplete: resuming starts it again.
    nextEpoch: opts.initialEpoch + completed,
    stoppedEarly,
    aborted,
    bestEpoch,
    lrScheduleState: resumeLrState,
    optimizerState: resumeState,
    resumeParams: resumeParams,
    kernels: engine.backend,
    ...(engine.threads !== undefined
      ? { threads: engine.threads, threadTrials: [...(engine.threadTrials ?? [])] }
      : {}),
  };
}

/** The value of `monitor` in an epoch's log (NaN when the log lacks it, which never counts as improving). */
function monitored(log: EpochLog, monitor: MonitorName): number {
  return log[monitor] ?? Number.NaN;
}
