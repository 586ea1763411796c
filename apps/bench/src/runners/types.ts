/** The interface every runner implements, and what a run returns. */
import type { Dataset } from '@shardprop/core';
import type { Workload } from '../workloads.js';

export type RunnerFamily = 'shardprop' | 'tfjs' | 'brain' | 'naive' | 'pytorch';

/** One run: train `epochs` epochs over the first `rows` rows of `data`, starting from `params`. */
export interface RunRequest {
  workload: Workload;
  /** The workload's data; only its first `rows` rows are used, in order (no shuffling, in every runner). */
  data: Dataset;
  rows: number;
  epochs: number;
  /** Initial weights in shardprop's flat layout (per layer the `[in x out]` kernel, then the bias). */
  params: Float32Array;
}

/** What one epoch of a run took and the loss it reported. */
export interface EpochSample {
  ms: number;
  /** Mean training loss over the epoch's rows, each row's loss taken before its step (as Keras reports it). */
  loss: number;
}

/** How a runner trains a workload: rows it times and epochs per run (the last epoch is the timed one). */
export interface RunPlan {
  rows: number;
  epochs: number;
}

export interface Runner {
  /** Stable id for the JSON (`shardprop-wasm`, `tfjs-cpu`, ...). */
  readonly id: string;
  /** Name for tables and charts. */
  readonly label: string;
  readonly family: RunnerFamily;
  /** Threads the runner trains on. */
  readonly threads: number;
  /** Kernel backend, where the runner has a choice (`wasm`, `js`, `cpu`). */
  readonly kernels?: string;
  /** Why this runner cannot train `w` (shown in the report), or null when it can. */
  unsupported(w: Workload): string | null;
  /** Rows to time and epochs per run for `w`; `quick` asks for a short smoke run. */
  plan(w: Workload, quick: boolean): RunPlan;
  /** One-time set-up (e.g. initialising a backend); a throw marks the runner failed for the whole benchmark. */
  setup?(): Promise<void>;
  /** What the report should record about the runner (versions, SIMD and threads, option mapping). */
  describe?(): Record<string, unknown>;
  run(request: RunRequest): Promise<EpochSample[]>;
  dispose?(): Promise<void>;
}

/** Caps `rows` for quick runs: a few batches, at least 1,000 rows. */
export function quickRows(w: Workload, rows: number, quick: boolean): number {
  if (!quick) return rows;
  return Math.min(rows, Math.max(1000, 4 * w.batchSize));
}
