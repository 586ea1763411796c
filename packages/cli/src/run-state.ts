/**
 * What the CLI keeps in a model directory besides the weights: the data encoding, the task, and the training
 * run (its resolved settings, history and progress), so that `evaluate` and `predict` encode data the same way
 * and `train --resume` can continue exactly.
 */

import type { EpochLog, KernelBackend, LossName, OptimizerConfig } from '@shardprop/core';
import type { ThreadTrial } from '@shardprop/core/parallel';
import type { Encoding, Task } from '@shardprop/tabular';
import type { ClassWeightSetting } from './config.js';
import type { DataFingerprint } from './fingerprint.js';

/** The resolved settings of a training run, as saved in its checkpoints. */
export interface RunSettings {
  /** Absolute path of the training CSV; absent for the built-in seed problem. */
  data?: string;
  header: boolean;
  delimiter: string;
  target: string[];
  features: string[];
  categorical: string[];
  task: Task;
  layers: number[];
  activation: string;
  outputActivation: string;
  loss: LossName;
  optimizer: Required<OptimizerConfig>;
  batchSize: number;
  epochs: number;
  seed: number;
  shuffle: boolean;
  shards: number | null;
  valSplit: number;
  earlyStop: number | null;
  missing: 'error' | 'drop' | 'impute';
  unknown: 'error' | 'zeros';
  /** Directory of the model training started from (--init), if any. */
  init: string | null;
  /** The kernel backend that ran the steps (results are reproducible per backend); null until the first epoch. */
  kernels: KernelBackend | null;
  /** What the run trains on, for `--resume` to refuse changed data; absent in checkpoints of older versions. */
  dataFingerprint?: DataFingerprint;
  /** Dropout rate after each hidden layer (zeros: none); absent in older checkpoints (no dropout). */
  dropout?: number[];
  /** `--class-weight` as given (labels, not indices); null or absent: none. */
  classWeight?: ClassWeightSetting | null;
  /** `--weight-column`; null or absent: none. */
  weightColumn?: string | null;
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
