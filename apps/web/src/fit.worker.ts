/**
 * The fallback worker for pages without shared memory: core's single-thread `fit` in one Web Worker, so that the
 * page stays responsive. Progress goes back through a comlink-proxied sink: batches at most every
 * `progressIntervalMs`, and every epoch's log with the weights after it (so that stopping, which terminates this
 * worker, keeps the last completed epoch).
 */
import {
  type BatchLog,
  type Dataset,
  type EpochLog,
  type FitOptions,
  type FitResult,
  fit,
  type LrScheduleState,
  Mlp,
  type ModelSpec,
} from '@shardprop/core';
import { exposeRemote, type Remote } from '@shardprop/worker-pool/browser';

/** `FitOptions` without what cannot cross a thread (callbacks, abort signal). */
export type SerializableFitOptions = Omit<FitOptions, 'callbacks' | 'signal'> & { progressIntervalMs: number };

export interface FitSink {
  batch(log: BatchLog): void;
  /** After each epoch: its log, the weights and the schedule's state after it. */
  epoch(log: EpochLog, params: Float32Array, lrState: LrScheduleState): void | Promise<void>;
}

export interface FitWorkerResult {
  result: FitResult;
  params: Float32Array;
}

export interface FitWorkerApi {
  fit(
    spec: ModelSpec,
    params: Float32Array,
    data: Dataset,
    options: SerializableFitOptions,
    sink: FitSink,
  ): Promise<FitWorkerResult>;
}

const api: FitWorkerApi = {
  async fit(spec, params, data, options, sink) {
    const remote = sink as unknown as Remote<FitSink>;
    const model = new Mlp(spec, params);
    const { progressIntervalMs, ...fitOptions } = options;
    let last = 0;
    const result = await fit(model, data, {
      ...fitOptions,
      callbacks: {
        onBatchEnd: (log) => {
          const now = performance.now();
          if (now - last < progressIntervalMs && log.step < log.stepsPerEpoch) return;
          last = now;
          void remote.batch(log).catch(() => {});
        },
        onEpochEnd: async (log, context) => {
          await remote.epoch(log, model.params.slice(), context.lrScheduleState());
        },
      },
    });
    return { result, params: model.params };
  },
};

exposeRemote(api);
