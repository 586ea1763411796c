/**
 * What the parallel trainer's main thread and its workers share: the arena's views, the words of the control
 * block, and the task each worker receives. Both sides import this one file, so they cannot disagree.
 */
import type { ArenaDescription, ArenaLayout } from '@shardprop/worker-pool';
import type { KernelBackend } from '../kernels/kernels.js';
import type { LossName } from '../losses/loss.js';
import type { ModelSpec } from '../model/spec.js';
import type { ResolvedOptimizerConfig } from '../optim/optimizer.js';
import { normBlockCount } from '../train/clipping.js';
import { metricChunks, metricPartWidth } from '../train/metrics.js';
import type { UpdateRules } from '../train/step.js';

/**
 * Int32 words of the `control` view, in two 64-byte cache lines (the arena aligns every view to one). The first
 * holds what thread 0 and the main thread write to keep the books (thread 0 writes the step counts every step);
 * the second holds only what every thread touches each step, the step barrier and the stop decision, so that
 * thread 0's bookkeeping does not take that line from a thread spinning at the barrier.
 */
export const Ctl = {
  /** Incremented by the main thread to issue a command; workers sleep on it between commands. */
  COMMAND: 0,
  /** The command: RUN_STEPS, EVALUATE or EXIT. */
  COMMAND_KIND: 1,
  /** Workers that finished the current command; the main thread waits on it. */
  DONE: 2,
  /** Set by the main thread to ask for a stop after the current step. */
  STOP_REQUEST: 3,
  /** Outcome of the epoch: one of the Status values. */
  STATUS: 4,
  /** Step (1-based, within the epoch) at which a non-finite loss appeared. */
  FAIL_STEP: 5,
  /** Steps completed in the current epoch (written by thread 0); the next command continues after them. */
  STEPS_DONE: 6,
  /** Rows completed in the current epoch (written by thread 0). */
  ROWS_DONE: 7,
  /** Rows in the current epoch's order. */
  EPOCH_ROWS: 8,
  /** Optimizer updates so far (written by thread 0). */
  OPT_STEP: 9,
  /** RUN_STEPS: threads that take part (workers 0 .. ACTIVE-1); the others only count themselves done. */
  ACTIVE: 10,
  /** RUN_STEPS: the last step (1-based, within the epoch) to run. */
  LAST_STEP: 11,
  /** The current epoch (0-based): it keys the dropout masks. */
  EPOCH: 12,
  /** First of the step barrier's three words (the second cache line). */
  BARRIER: 16,
  /**
   * Thread 0's decision, copied from STOP_REQUEST before a step's first barrier so every thread agrees: two words,
   * the step's parity picks one, so thread 0 can write the next step's while a slower thread still reads this one.
   */
  STOP_DECISION: 19,
  WORDS: 32,
} as const;

export const Command = { RUN_STEPS: 1, EXIT: 2, EVALUATE: 3 } as const;
export const Status = { OK: 0, STOPPED: 1, NON_FINITE: 2 } as const;

/**
 * The arena of one training run, all but the rows themselves (see {@link dataLayout}). `slotSets` is 2 when every
 * thread updates its own copy of the parameters (one barrier per step, the shard slots alternating between two
 * sets), 1 when each updates its range of the shared ones.
 */
export function arenaLayout(
  paramCount: number,
  stateSlots: number,
  maxShards: number,
  rows: number,
  outputs: number,
  weighted: boolean,
  slotSets: 1 | 2 = 1,
) {
  return {
    control: { type: 'i32', length: Ctl.WORDS },
    /** [0] loss sum of the epoch so far, [1] non-finite batch loss, [2] the epoch's learning rate. */
    stats: { type: 'f64', length: 3 },
    /** The clip norm's per-block sums of squares (see `train/clipping.ts`). */
    normParts: { type: 'f64', length: normBlockCount(paramCount) },
    params: { type: 'f32', length: paramCount },
    grad: { type: 'f32', length: paramCount },
    optState: { type: 'f32', length: Math.max(1, stateSlots * paramCount) },
    gradSlots: { type: 'f32', length: slotSets * maxShards * paramCount },
    lossSlots: { type: 'f64', length: slotSets * maxShards },
    /** Row weights when the run is weighted (one unused float otherwise). */
    w: { type: 'f32', length: weighted ? rows : 1 },
    order: { type: 'i32', length: rows },
    /** EVALUATE: the weights to evaluate, and each chunk of rows' sums (see `chunkEvaluator`). */
    evalParams: { type: 'f32', length: paramCount },
    metricParts: { type: 'f64', length: metricChunks(rows) * metricPartWidth(outputs) },
  } as const satisfies ArenaLayout;
}

export type TrainArenaLayout = ReturnType<typeof arenaLayout>;

/**
 * The training rows' inputs and targets: an arena of their own, so that data already in shared memory (see
 * `sharedDataset`) is trained on where it lies instead of being copied next to the weights.
 */
export function dataLayout(rows: number, features: number, targetCols: number) {
  return {
    x: { type: 'f32', length: rows * features },
    y: { type: 'f32', length: rows * targetCols },
  } as const satisfies ArenaLayout;
}

export type TrainDataLayout = ReturnType<typeof dataLayout>;

/** The long task each worker runs for a whole training run. */
export interface WorkerTask {
  arena: ArenaDescription<TrainArenaLayout>;
  /** The training rows; with `wasm` kernels, in the same memory as `arena`. */
  data: ArenaDescription<TrainDataLayout>;
  index: number;
  spec: ModelSpec;
  loss: LossName;
  targetCols: number;
  /** The run's seed (keys the dropout masks). */
  seed: number;
  /** Whether the arena's `w` holds row weights. */
  weighted: boolean;
  optimizer: ResolvedOptimizerConfig;
  /** Penalties and clipping; the learning rate comes with each command (`stats[2]`). */
  rules: Omit<UpdateRules, 'learningRate'>;
  batchSize: number;
  shards: number | undefined;
  /** Workers started for the run: the most that a RUN_STEPS command may make active. */
  maxThreads: number;
  /** Shards of the largest batch (the size of one set of shard slots). */
  maxShards: number;
  /**
   * Every thread reduces and updates all the parameters in its own copy (one barrier per step, two sets of shard
   * slots), instead of its range of the shared ones (two barriers per step). See `replicatesUpdate`.
   */
  replicate: boolean;
  /** Optimizer updates already applied (when resuming). */
  initialStep: number;
  barrierTimeoutMs: number;
  /** Kernel backend; with `wasm` the arena lives in the shared WebAssembly.Memory of `arena.memory`. */
  kernels: KernelBackend;
  /**
   * The main thread's compiled kernel module. Posting it (rather than compiling per worker) shares V8's compiled
   * code, including its optimised tier, between threads.
   */
  wasmModule?: WebAssembly.Module;
  /** Thread 0 only: where to send progress, through comlink. */
  progressPort?: MessagePort;
  /** Minimum milliseconds between progress reports. */
  progressIntervalMs: number;
}

/** What the main thread exposes to thread 0 for progress. */
export interface ProgressSink {
  progress(step: number, lossSum: number, rowsDone: number): void;
}
