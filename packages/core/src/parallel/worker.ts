/**
 * The worker side of data-parallel training: one long piscina task per thread for a whole run. Between epochs
 * the thread sleeps on the control block; during an epoch it runs the core's own step functions over its share
 * of the shards and of the parameter range, meeting the other threads at the step barrier twice per step.
 */
// The browser entry: this module also runs in Web Workers (see ./shared.ts).
import { Barrier, partitionRange, type Remote, SharedArena, wrapRemote } from '@shardprop/worker-pool/browser';
import { jsKernels, type Kernels, wasmKernels } from '../kernels/kernels.js';
import { loadWasmKernels } from '../kernels/wasm/backend.js';
import { paramLayout } from '../model/layout.js';
import { validateSpec } from '../model/spec.js';
import { createOptimizer } from '../optim/create.js';
import { computeShards, maxShardRows, reduceAndUpdate, type StepContext, shardCount, sumLoss } from '../train/step.js';
import { createWorkspace } from '../train/workspace.js';
import { Command, Ctl, type ProgressSink, Status, type WorkerTask } from './protocol.js';

/** How long an idle worker sleeps before re-checking for an aborted run (the main thread also notifies). */
const IDLE_POLL_MS = 200;

export default function trainWorker(task: WorkerTask): { steps: number } {
  const arena = SharedArena.fromDescription(task.arena);
  const { control, stats, params, grad, optState, gradSlots, lossSlots, x, y, order } = arena.views;
  const spec = validateSpec(task.spec);
  const layout = paramLayout(spec);
  const kernels = task.kernels === 'wasm' ? wasmBackend(task) : jsKernels;
  const ctx: StepContext = { kernels, layout, loss: task.loss, targetCols: task.targetCols };
  const optimizer = createOptimizer(task.optimizer);
  const ws = createWorkspace(layout, task.targetCols, maxShardRows(task.batchSize, task.shards), kernels.allocF32);
  const barrier = new Barrier(control, {
    participants: task.threads,
    index: Ctl.BARRIER,
    timeoutMs: task.barrierTimeoutMs,
  });
  const range = partitionRange(layout.paramCount, task.threads, task.index);
  const { index: t, threads: T, batchSize } = task;
  const leader = t === 0;
  const sink: Remote<ProgressSink> | null =
    leader && task.progressPort ? wrapRemote<ProgressSink>(task.progressPort) : null;
  let step = task.initialStep;
  let seen = 0;

  try {
    for (;;) {
      // Sleep until the main thread issues the next command.
      while (Atomics.load(control, Ctl.COMMAND) === seen) {
        if (barrier.aborted) return { steps: step };
        Atomics.wait(control, Ctl.COMMAND, seen, IDLE_POLL_MS);
      }
      seen = Atomics.load(control, Ctl.COMMAND);
      if (Atomics.load(control, Ctl.COMMAND_KIND) === Command.EXIT) return { steps: step };

      const rows = Atomics.load(control, Ctl.EPOCH_ROWS);
      let lossSum = 0;
      let rowsDone = 0;
      let lastReport = performance.now();
      for (let from = 0, s = 1; from < rows; from += batchSize, s++) {
        const batchRows = Math.min(batchSize, rows - from);
        const shards = shardCount(batchRows, task.shards);
        injectFault(control, t, step + 1);
        computeShards(ctx, params, x, y, order, from, batchRows, shards, t, T, ws, gradSlots, lossSlots);
        barrier.wait();
        // Every thread reads the same slots after the barrier, so all of them take the same branch here.
        const batchLoss = sumLoss(lossSlots, shards);
        if (!Number.isFinite(batchLoss)) {
          if (leader) {
            stats[1] = batchLoss;
            Atomics.store(control, Ctl.FAIL_STEP, s);
            Atomics.store(control, Ctl.STATUS, Status.NON_FINITE);
          }
          break;
        }
        step++;
        reduceAndUpdate(
          kernels,
          optimizer,
          params,
          gradSlots,
          shards,
          grad,
          optState,
          batchRows,
          step,
          range.from,
          range.to,
        );
        if (leader) {
          lossSum += batchLoss;
          rowsDone += batchRows;
          stats[0] = lossSum;
          Atomics.store(control, Ctl.STEPS_DONE, s);
          Atomics.store(control, Ctl.ROWS_DONE, rowsDone);
          Atomics.store(control, Ctl.OPT_STEP, step);
          Atomics.store(control, Ctl.STOP_DECISION, Atomics.load(control, Ctl.STOP_REQUEST));
        }
        barrier.wait();
        if (Atomics.load(control, Ctl.STOP_DECISION) !== 0) {
          if (leader) Atomics.store(control, Ctl.STATUS, Status.STOPPED);
          break;
        }
        if (sink !== null) {
          const now = performance.now();
          if (now - lastReport >= task.progressIntervalMs) {
            lastReport = now;
            // Fire and forget: the step loop never waits for the main thread.
            void sink.progress(s, lossSum, rowsDone).catch(() => {});
          }
        }
      }
      Atomics.add(control, Ctl.DONE, 1);
      Atomics.notify(control, Ctl.DONE);
    }
  } finally {
    task.progressPort?.close();
  }
}

/** This thread's instance of the WebAssembly kernels over the run's shared memory. */
function wasmBackend(task: WorkerTask): Kernels {
  const memory = task.arena.memory;
  const k = memory ? loadWasmKernels(memory, task.wasmModule) : null;
  if (!k) throw new Error('worker: the run uses wasm kernels but this thread cannot instantiate them');
  return wasmKernels(k);
}

/** Test hook for fault-injection tests: fails this thread at a chosen optimizer step. */
function injectFault(control: Int32Array, thread: number, nextStep: number): void {
  const kind = Atomics.load(control, Ctl.FAULT_KIND);
  if (kind === 0 || Atomics.load(control, Ctl.FAULT_WORKER) !== thread) return;
  if (Atomics.load(control, Ctl.FAULT_STEP) !== nextStep) return;
  if (kind === 1) throw new Error(`injected fault in worker ${thread} at step ${nextStep}`);
  if (kind === 2) process.exit(1);
}
