/**
 * A Web Worker of the parallel trainer: serves core's own per-thread step loop (`trainWorker`) over comlink. The
 * main thread calls `train(task)` once per run; the call returns when the run ends (the EXIT command, or an
 * abort after another worker failed) and rejects with the error if this worker's loop throws.
 */
import { trainWorker, type WorkerTask } from '@shardprop/core/parallel-shared';
import { exposeRemote } from '@shardprop/worker-pool/browser';

export interface TrainWorkerApi {
  train(task: WorkerTask): { steps: number };
}

const api: TrainWorkerApi = {
  train: (task) => trainWorker(task),
};

exposeRemote(api);
