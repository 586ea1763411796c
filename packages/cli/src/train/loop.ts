/**
 * `train`, step 4: the loop. One fit (or fitParallel) call runs every epoch; its onEpochEnd checkpoints the weights
 * and the optimizer state of each epoch boundary. A later call happens only after early stopping or Ctrl-C ended
 * this one. The run's progress (history, next epoch, optimizer state, early-stopping state) lives in one
 * `RunProgress`, which the checkpoints save and `--resume` restores.
 */
import {
  createOptimizer,
  type Dataset,
  type EpochLog,
  type FitOptions,
  type FitResult,
  fit,
  type LrScheduleState,
  type Metrics,
  type Mlp,
  type OptimizerSnapshot,
  type ResolvedOptimizerConfig,
  shardCount,
  TrainingError,
} from '@shardprop/core';
import { fitParallel, type ThreadTrial } from '@shardprop/core/parallel';
import { onInterrupt, type StopSignal, signalName } from '../checkpoint.js';
import { TRAIN_DEFAULTS } from '../config.js';
import { dataError, oneLine, type UserError } from '../errors.js';
import { type LoadedModel, saveModelDir } from '../modeldir.js';
import type { Output } from '../output.js';
import { createProgress, formatInt } from '../progress.js';
import type { EarlyStopState, RunSettings, RunState, RunStatus } from '../run-state.js';
import { lrStateFromJson, lrStateToJson, monitorName } from '../train-schedule.js';
import type { TrainingData } from './data.js';

/** Where the run is; starts from the checkpoint when resuming. */
export interface RunProgress {
  status: RunStatus;
  history: EpochLog[];
  /** The first epoch not yet trained (0-based). */
  nextEpoch: number;
  optState: OptimizerSnapshot | undefined;
  es: EarlyStopState | null;
  /** The learning-rate schedule's state at `nextEpoch` (undefined: the schedule's initial state). */
  lrState: LrScheduleState | undefined;
  bestParams: Float32Array | undefined;
  threadsUsed: number | null;
  threadTrials: ThreadTrial[];
  /**
   * The training rows' metrics with the weights the run ends with, computed on the run's own threads before they
   * stopped (absent when no epoch ran in this process or Ctrl-C ended it).
   */
  trainMetrics?: Metrics;
}

/** A new run's progress, or the resumed checkpoint's. */
export function progressOf(resumed: LoadedModel | undefined): RunProgress {
  const run = resumed?.meta?.run;
  return {
    status: run?.status === 'stopped-early' ? 'stopped-early' : 'running',
    history: run?.history.slice() ?? [],
    nextEpoch: run?.nextEpoch ?? 0,
    optState: resumed?.optimizer,
    es: run?.earlyStopping ?? null,
    lrState:
      run?.lrSchedule && run.settings.lrSchedule ? lrStateFromJson(run.lrSchedule, run.settings.lrSchedule) : undefined,
    bestParams: resumed?.bestParams,
    threadsUsed: null,
    threadTrials: [],
  };
}

/** What the loop trains and where it writes. */
export interface TrainingRun {
  model: Mlp;
  data: TrainingData;
  /** The settings saved with every checkpoint; the loop fills in `kernels` once the first call chose them. */
  runSettings: RunSettings;
  optimizer: ResolvedOptimizerConfig;
  threads: number | 'auto';
  epochs: number;
  outDir: string;
  out: Output;
  /** The directory of the resumed checkpoint, for messages. */
  resumedFrom?: string;
}

/** Saves the model directory with the run's state as `status` (all-or-nothing, see modeldir.ts). */
export type SaveCheckpoint = (status: RunStatus) => Promise<void>;

export function checkpointWriter(run: TrainingRun, p: RunProgress): SaveCheckpoint {
  const { model, data, runSettings, optimizer, threads, outDir } = run;
  const runState = (s: RunStatus): RunState => ({
    status: s,
    nextEpoch: p.nextEpoch,
    settings: runSettings,
    history: p.history,
    earlyStopping: p.es,
    lrSchedule: p.lrState ? lrStateToJson(p.lrState) : null,
    trainRows: data.train.rows,
    validationRows: data.validation?.rows ?? 0,
    updated: new Date().toISOString(),
    threads: { requested: threads, used: p.threadsUsed, trials: p.threadTrials },
  });
  return (s) =>
    saveModelDir(
      outDir,
      model,
      { encoding: data.encoding, loss: data.loss, run: runState(s) },
      {
        optimizer: { config: optimizer, snapshot: p.optState ?? emptyOptimizerState(optimizer, model.paramCount) },
        bestParams: runSettings.earlyStop ? p.bestParams : undefined,
      },
    );
}

/** How the loop ended: `interruptedEpoch` is set when a signal stopped it (`signal` the one received). */
export interface LoopEnd {
  interruptedEpoch?: number;
  signal?: StopSignal;
}

/** Trains epochs `p.nextEpoch .. run.epochs - 1`, checkpointing each; updates `p` as it goes. */
export async function runEpochs(run: TrainingRun, p: RunProgress, save: SaveCheckpoint): Promise<LoopEnd> {
  const { model, data, runSettings, optimizer, threads, epochs, outDir, out } = run;
  const { train, validation, loss } = data;
  const { batchSize, seed } = runSettings;
  const earlyStop = runSettings.earlyStop ?? undefined;
  const monitor = runSettings.monitor ?? (validation ? 'val_loss' : 'loss');
  // Early stopping compares sign * value, so that smaller is better for losses and accuracies alike.
  const esSign = monitor.endsWith('accuracy') ? -1 : 1;
  if (p.status === 'stopped-early') {
    out.note(`the run in ${run.resumedFrom} stopped early at epoch ${p.nextEpoch}; nothing to resume`);
  }
  const bar = process.stderr.isTTY === true;
  const progress = createProgress({ bar, lines: !out.json, totalEpochs: epochs });
  const interrupt = onInterrupt((sig) => {
    progress.stop();
    const again = sig === 'SIGINT' ? 'Ctrl-C again' : 'a second signal';
    process.stderr.write(`\nshardprop: ${signalName(sig)}: stopping after the current step (${again} quits at once)\n`);
  });
  const stepsPerEpoch = Math.ceil(train.rows / batchSize);
  // One fit call runs every epoch; onEpochEnd checkpoints the weights and the optimizer state of each epoch
  // boundary. A later call happens only after early stopping or Ctrl-C ended this one.
  let interruptedEpoch: number | undefined;
  let kernels = runSettings.kernels;
  try {
    while (p.status === 'running' && p.nextEpoch < epochs) {
      if (interrupt.signal.aborted) {
        interruptedEpoch = p.nextEpoch;
        break;
      }
      const first = p.nextEpoch;
      const last = epochs;
      let boundary = { params: model.params.slice(), opt: p.optState };
      const trialsBefore = p.threadTrials.slice();
      const stop = new AbortController();
      const signal = AbortSignal.any([interrupt.signal, stop.signal]);
      const options: FitOptions = {
        loss,
        optimizer,
        batchSize,
        shuffle: runSettings.shuffle,
        seed,
        shards: runSettings.shards ?? undefined,
        validationData: validation,
        ...(data.classWeight === undefined ? {} : { classWeight: data.classWeight }),
        ...(data.sampleWeight === undefined ? {} : { sampleWeight: data.sampleWeight }),
        kernels: kernels ?? 'auto',
        epochs: last - first,
        initialEpoch: first,
        optimizerState: p.optState,
        l1: runSettings.l1 ?? 0,
        l2: runSettings.l2 ?? 0,
        clipNorm: runSettings.clipNorm ?? undefined,
        clipValue: runSettings.clipValue ?? undefined,
        lrSchedule: runSettings.lrSchedule ?? undefined,
        lrScheduleState: p.lrState,
        signal,
        callbacks: {
          onTrainEnd: async (_history, context) => {
            // The end-of-run metrics while the run's threads are still there: the early-stopped run's are those of
            // its best weights, which it keeps.
            if (p.status === 'complete') p.trainMetrics = await context.evaluate();
            else if (p.status === 'stopped-early' && p.bestParams)
              p.trainMetrics = await context.evaluate(p.bestParams);
          },
          onEpochBegin: (epoch) => progress.epochBegin(epoch, stepsPerEpoch),
          onBatchEnd: (log) => progress.batch(log),
          onEpochEnd: async (log, context) => {
            // After an abort, the log is of a partial (or repeated) epoch: the checkpoint keeps the last full one.
            if (signal.aborted) return;
            p.history.push(log);
            p.nextEpoch = log.epoch + 1;
            progress.epochEnd(log, epochs);
            p.lrState = context.lrScheduleState();
            if (earlyStop) {
              if (monitor === 'accuracy' && log.accuracy === undefined) {
                // On the run's kernels and threads, as the end-of-run metrics.
                log.accuracy = (await context.evaluate()).accuracy;
              }
              const value = esSign * (log[monitorName(monitor)] ?? Number.NaN);
              if (!p.es || value < p.es.best) {
                p.es = { best: value, bestEpoch: log.epoch, waited: 0 };
                p.bestParams = model.params.slice();
              } else if (++p.es.waited >= earlyStop) {
                p.status = 'stopped-early';
                stop.abort();
              }
            }
            if (p.status === 'running' && p.nextEpoch >= epochs) p.status = 'complete';
            p.optState = context.optimizerState();
            p.threadsUsed = log.threads ?? 1;
            p.threadTrials.splice(0, p.threadTrials.length, ...trialsBefore, ...context.threadTrials());
            boundary = { params: model.params.slice(), opt: p.optState };
            if (p.status !== 'stopped-early') await save(p.status);
          },
        },
      };
      let result: FitResult;
      try {
        result =
          threads === 1 ? await fit(model, train, options) : await fitParallel(model, train, { ...options, threads });
      } catch (error) {
        progress.stop();
        if (error instanceof TrainingError) throw diverged(error, outDir, p.nextEpoch);
        if (/^wasm kernels: (cannot grow the shared memory|alloc of \d+ bytes exceeds)/.test(oneLine(error)))
          throw outOfMemory(model.paramCount, train, options);
        throw dataError(`training failed: ${oneLine(error)}`);
      }
      kernels ??= result.kernels;
      runSettings.kernels = kernels;
      p.threadsUsed = result.threads ?? 1;
      p.threadTrials.splice(0, p.threadTrials.length, ...trialsBefore, ...(result.threadTrials ?? []));
      // (p.status may have been changed by onEpochEnd.)
      if ((p.status as RunStatus) === 'stopped-early') {
        if (p.bestParams) model.params.set(p.bestParams);
        await save(p.status);
        break;
      }
      if (result.aborted) {
        // Ctrl-C: back to the last epoch boundary; --resume redoes the interrupted epoch from there.
        model.params.set(boundary.params);
        p.optState = boundary.opt;
        interruptedEpoch = p.nextEpoch;
        break;
      }
      if (p.optState && result.optimizerState.step !== p.optState.step) {
        throw new Error(`internal: optimizer step ${result.optimizerState.step}, expected ${p.optState.step}`);
      }
    }
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (p.status === 'running' && p.nextEpoch >= epochs) p.status = 'complete';
  return { interruptedEpoch, signal: interrupt.received };
}

/**
 * Divergence: core left the model at the start of the failed epoch and no checkpoint was written after the last
 * finished one, so the directory still holds finite weights. Epochs are counted from 1 here, as in the progress.
 */
function diverged(error: TrainingError, outDir: string, epochsDone: number): UserError {
  const what = error.quantity === 'loss' ? 'the loss' : 'a weight';
  return dataError(
    `training diverged in epoch ${error.epoch + 1}, step ${error.step}: ${what} became ${error.value}; lower --lr and train again (${outDir} keeps ${epochsDone === 0 ? 'the initialised model' : `the checkpoint after epoch ${epochsDone}`})`,
  );
}

/**
 * The WebAssembly kernels address a bounded shared memory; core's error names its API (maximumBytes), which a CLI
 * user cannot pass. Say what takes the room (the data, one gradient copy per shard) and which flags shrink it.
 */
function outOfMemory(paramCount: number, train: Dataset, options: FitOptions): UserError {
  const batch = Math.min(options.batchSize ?? TRAIN_DEFAULTS.batchSize, train.rows);
  const shards = shardCount(batch, options.shards);
  const mb = (bytes: number) => `${formatInt(Math.ceil(bytes / 2 ** 20))} MB`;
  return dataError(
    `training needs more memory than the WebAssembly kernels can address: the data takes ${mb(train.rows * (train.features + train.outputs) * 4)} and the gradients of ${formatInt(shards)} shard${shards === 1 ? '' : 's'} ${mb(shards * paramCount * 4)}; pass fewer --shards, or --kernels js`,
  );
}

function emptyOptimizerState(config: ResolvedOptimizerConfig, paramCount: number): OptimizerSnapshot {
  const slots = createOptimizer(config).stateSlots;
  return { step: 0, state: new Float32Array(slots * paramCount) };
}
