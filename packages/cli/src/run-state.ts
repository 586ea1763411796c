/**
 * What the CLI keeps in a model directory besides the weights: the data encoding, the task, and the training
 * run (its resolved settings, history and progress), so that `evaluate` and `predict` encode data the same way
 * and `train --resume` can continue exactly.
 */
import {
  createOptimizer,
  type EpochLog,
  LOSSES,
  type LossName,
  LR_SCHEDULES,
  type LrScheduleName,
  MONITORS,
  type MonitorName,
  type OptimizerConfig,
  type ResolvedOptimizerConfig,
} from '@shardprop/core';
import type { ThreadTrial } from '@shardprop/core/parallel';
import { type Encoding, TASKS, type Task } from '@shardprop/tabular';
import { z } from 'zod';
import { MONITOR_FLAGS } from './config.js';
import { TABLE_FORMATS } from './load.js';
import type { LrStateJson } from './train-schedule.js';

/**
 * The resolved settings of a training run, as saved in its checkpoints (model.json's `shardprop.training`): the one
 * declaration, read back by `loadModelDir` and typed as `RunSettings` from it. The optimizer is validated and
 * resolved by core's `createOptimizer`.
 */
export const RunSettingsSchema = z.object({
  /** Absolute path of the training CSV; absent for the built-in seed problem. */
  data: z.string().optional(),
  header: z.boolean(),
  delimiter: z.string(),
  /** The data file's format when --format named it (else it follows the file's extension). */
  format: z.enum(TABLE_FORMATS).optional(),
  target: z.array(z.string()),
  features: z.array(z.string()),
  categorical: z.array(z.string()),
  task: z.enum(TASKS as [Task, ...Task[]]),
  layers: z.array(z.int().positive()),
  activation: z.string(),
  outputActivation: z.string(),
  loss: z.enum(LOSSES),
  optimizer: z.unknown().transform((value, ctx): ResolvedOptimizerConfig => {
    try {
      return createOptimizer(value as OptimizerConfig).config;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  }),
  batchSize: z.int().positive(),
  epochs: z.int().min(0),
  seed: z.number(),
  shuffle: z.boolean(),
  shards: z.int().positive().nullable(),
  valSplit: z.number(),
  earlyStop: z.int().positive().nullable(),
  /** What early stopping and a plateau schedule watch (absent in checkpoints of older versions: val_loss or loss). */
  monitor: z.enum(MONITOR_FLAGS).optional(),
  /** Kernel penalties (Keras L1L2 kernel regularizer) and gradient clipping; absent or null means off. */
  l1: z.number().min(0).nullable().optional(),
  l2: z.number().min(0).nullable().optional(),
  clipNorm: z.number().positive().nullable().optional(),
  clipValue: z.number().positive().nullable().optional(),
  /** The resolved learning-rate schedule; absent or null means the optimizer's constant rate. */
  lrSchedule: z
    .object({
      name: z.enum(LR_SCHEDULES as [LrScheduleName, ...LrScheduleName[]]),
      decay: z.number().positive(),
      stepEpochs: z.int().positive(),
      minLearningRate: z.number().min(0),
      patience: z.int().positive(),
      minDelta: z.number().min(0),
      monitor: z.enum(MONITORS as [MonitorName, ...MonitorName[]]),
      warmupEpochs: z.int().min(0),
    })
    .nullable()
    .optional(),
  missing: z.enum(['error', 'drop', 'impute']),
  unknown: z.enum(['error', 'zeros']),
  /** Directory of the model training started from (--init), if any. */
  init: z.string().nullable(),
  /** The kernel backend that ran the steps (results are reproducible per backend); null until the first epoch. */
  kernels: z.enum(['js', 'wasm']).nullable(),
  /** What the run trains on, for `--resume` to refuse changed data; absent in checkpoints of older versions. */
  dataFingerprint: z
    .object({ rows: z.int().min(0), inputs: z.int().min(1), targets: z.int().min(0), sha256: z.string() })
    .optional(),
  /** Dropout rate after each hidden layer (zeros: none); absent in checkpoints of older versions (no dropout). */
  dropout: z.array(z.number().min(0).lt(1)).optional(),
  /** `--class-weight` as given (class labels, not indices); null or absent: none. */
  classWeight: z
    .union([z.literal('balanced'), z.record(z.string(), z.number().min(0).finite())])
    .nullable()
    .optional(),
  /** `--weight-column` (never a feature); null or absent: none. */
  weightColumn: z.string().min(1).nullable().optional(),
});

/** The resolved settings of a training run (see `RunSettingsSchema`). */
export type RunSettings = z.output<typeof RunSettingsSchema>;

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
