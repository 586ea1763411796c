/**
 * What the CLI keeps in a model directory besides the weights: the data encoding, the task, and the training
 * run (its resolved settings, history and progress), so that `evaluate` and `predict` encode data the same way
 * and `train --resume` can continue exactly.
 */
import type { EpochLog, KernelBackend, LossName, ResolvedLrSchedule, ResolvedOptimizerConfig } from '@shardprop/core';
import type { ThreadTrial } from '@shardprop/core/parallel';
import type { Encoding, Task } from '@shardprop/tabular';
import type { MonitorFlag } from './config.js';
import type { DataFingerprint } from './fingerprint.js';
import type { TableFormat } from './load.js';
import type { LrStateJson } from './train-schedule.js';

/** The resolved settings of a training run, as saved in its checkpoints. */
export interface RunSettings {
  /** Absolute path of the training CSV; absent for the built-in seed problem. */
  data?: string;
  header: boolean;
  delimiter: string;
  /** The data file's format when --format named it (else it follows the file's extension). */
  format?: TableFormat;
  target: string[];
  features: string[];
  categorical: string[];
  task: Task;
  layers: number[];
  activation: string;
  outputActivation: string;
  loss: LossName;
  optimizer: ResolvedOptimizerConfig;
  batchSize: number;
  epochs: number;
  seed: number;
  shuffle: boolean;
  shards: number | null;
  valSplit: number;
  earlyStop: number | null;
  /** What early stopping and a plateau schedule watch (absent in checkpoints of older versions: val_loss or loss). */
  monitor?: MonitorFlag;
  /** Kernel penalties (Keras L1L2 kernel regularizer) and gradient clipping; absent or null means off. */
  l1?: number | null;
  l2?: number | null;
  clipNorm?: number | null;
  clipValue?: number | null;
  /** The resolved learning-rate schedule; absent or null means the optimizer's constant rate. */
  lrSchedule?: ResolvedLrSchedule | null;
  missing: 'error' | 'drop' | 'impute';
  unknown: 'error' | 'zeros';
  /** Directory of the model training started from (--init), if any. */
  init: string | null;
  /** The kernel backend that ran the steps (results are reproducible per backend); null until the first epoch. */
  kernels: KernelBackend | null;
  /** What the run trains on, for `--resume` to refuse changed data; absent in checkpoints of older versions. */
  dataFingerprint?: DataFingerprint;
}

export type RunStatus = 'running' | 'interrupted' | 'complete' | 'stopped-early';

export interface EarlyStopState {
  best: number;
  bestEpoch: number;
  waited: number;
}

export interface RunState {
  status: RunStatus;
  /** Epochs completed: the next epoch to run (0-based). */
  nextEpoch: number;
  settings: RunSettings;
  history: EpochLog[];
  earlyStopping: EarlyStopState | null;
  /** The learning-rate schedule's state at `nextEpoch` (a plateau schedule's rate, best and wait). */
  lrSchedule?: LrStateJson | null;
  /** Rows trained on and held out. */
  trainRows: number;
  validationRows: number;
  updated: string;
  /**
   * The thread count asked for (`auto` or a number), the count that trained last, and what `auto` measured to
   * choose it (absent in directories written before threads were recorded).
   */
  threads?: { requested: number | 'auto'; used: number | null; trials: ThreadTrial[] };
}

/** The CLI's metadata in the model directory. */
export interface CliMeta {
  encoding: Encoding | null;
  loss: LossName;
  run: RunState | null;
}
