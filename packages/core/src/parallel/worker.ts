/**
 * The worker side of data-parallel training: one long task per thread for a whole run. Between commands the
 * thread sleeps on the control block; an EVALUATE command sums this thread's chunks of the training rows' metrics;
 * a RUN_STEPS command runs the epoch's shared step loop (`runSteps`) over
 * this thread's share of the shards, meeting the other active threads at the step barrier. Then either each thread
 * reduces and updates its range of the shared parameters and the threads meet again (two barriers per step), or,
 * with `task.replicate` (small models), every thread reduces and updates all the parameters in its own copy and
 * the step needs one barrier; the copies are taken from the arena at the start of each command, and thread 0
 * writes its copy back at the end. How many threads take part can change from one command to the next (the
 * results cannot: every share of the same fixed shards gives the same bits).
 */
// The browser entry: this module also runs in Web Workers (see ./shared.ts).
import {
  Barrier,
  partitionRange,
  type Remote,
  SharedArena,
  slotTreeScratchLength,
  wrapRemote,
} from '@shardprop/worker-pool/browser';
import { jsKernels, type Kernels, wasmKernels } from '../kernels/kernels.js';
import { loadWasmKernels, type WasmKernels } from '../kernels/wasm/backend.js';
import { paramLayout } from '../model/layout.js';
import { validateSpec } from '../model/spec.js';
import { createOptimizer } from '../optim/create.js';
import { NORM_BLOCK, normBlockCount } from '../train/clipping.js';
import { checkStepBuffers, runSteps, type StepBuffers, type StepSync, type ThreadShare } from '../train/epoch-steps.js';
import { chunkEvaluator, metricChunks } from '../train/metrics.js';
import { maxShareRows } from '../train/step.js';
import { createWorkspace } from '../train/workspace.js';
import { Command, Ctl, type ProgressSink, Status, type WorkerTask } from './protocol.js';

/** How long an idle worker sleeps before re-checking for an aborted run (the main thread also notifies). */
const IDLE_POLL_MS = 200;
/**
 * Parameter ranges split at multiples of 16 floats (64 bytes): two threads never write one cache line, and each
 * block of the clip norm (`NORM_BLOCK`, which divides it) belongs to one thread.
 */
const CACHE_LINE_FLOATS = 16;
if (CACHE_LINE_FLOATS % NORM_BLOCK !== 0) throw new Error('parameter ranges must split at whole norm blocks');

export default function trainWorker(task: WorkerTask): { steps: number } {
  const kernels = task.kernels === 'wasm' ? wasmBackend(task) : jsKernels;
  const arena = SharedArena.fromDescription(
    kernels.wasm ? { ...task.arena, memory: undefined, buffer: knownBuffer(kernels.wasm) } : task.arena,
  );
  const { control, stats, params, grad, optState, gradSlots, lossSlots, normParts, w, order, evalParams, metricParts } =
    arena.views;
  const { x, y } = SharedArena.fromDescription(task.data).views;
  const spec = validateSpec(task.spec);
  const layout = paramLayout(spec);
  const t = task.index;
  const leader = t === 0;
  // Sized for the smallest active count this thread can be part of (1 for thread 0, t + 1 otherwise).
  const rowsCapacity = maxShareRows(task.batchSize, task.shards, Math.max(1, t + 1));
  const P = layout.paramCount;
  const setLength = task.maxShards * P;
  const slotSets = (task.replicate ? [0, 1] : [0]).map((set) => ({
    grad: gradSlots.subarray(set * setLength, (set + 1) * setLength),
    loss: lossSlots.subarray(set * task.maxShards, (set + 1) * task.maxShards),
  }));
  // With `replicate`, this thread's own parameters, mean gradient and optimizer state (inside the kernels' memory).
  // (And its own clip-norm parts: a thread that reduces every parameter sums every block itself.)
  const own = task.replicate
    ? {
        params: kernels.allocF32(P),
        grad: kernels.allocF32(P),
        optState: kernels.allocF32(optState.length),
        normParts: new Float64Array(normBlockCount(P)),
      }
    : { params, grad, optState, normParts };
  const buffers: StepBuffers = checkStepBuffers({
    ctx: { kernels, layout, loss: task.loss, targetCols: task.targetCols, seed: task.seed },
    optimizer: createOptimizer(task.optimizer),
    batchSize: task.batchSize,
    shards: task.shards,
    x,
    y,
    w: task.weighted ? w : undefined,
    params: own.params,
    slotSets,
    grad: own.grad,
    slotScratch: kernels.allocF32(slotTreeScratchLength(task.maxShards)),
    optState: own.optState,
    rules: { ...task.rules, learningRate: task.optimizer.learningRate },
    normParts: own.normParts,
    ws: createWorkspace(layout, task.targetCols, rowsCapacity, kernels.allocF32),
  });
  // One barrier object per active count: they share the words, and only one count is in use at a time.
  const barriers = new Map<number, Barrier>();
  const barrierFor = (threads: number): Barrier => {
    let b = barriers.get(threads);
    if (!b) {
      b = new Barrier(control, { participants: threads, index: Ctl.BARRIER, timeoutMs: task.barrierTimeoutMs });
      barriers.set(threads, b);
    }
    return b;
  };
  const idle = barrierFor(task.maxThreads);
  // EVALUATE: the training rows (the order's length) and an evaluator whose workspace is made on first use.
  const rows = { x, y, rows: order.length, features: layout.inputSize, outputs: task.targetCols };
  const evaluate = chunkEvaluator(kernels, layout, task.loss);
  const sink: Remote<ProgressSink> | null =
    leader && task.progressPort ? wrapRemote<ProgressSink>(task.progressPort) : null;
  let lastReport = performance.now();
  let seen = 0;
  let steps = 0;

  try {
    for (;;) {
      // Sleep until the main thread issues the next command.
      while (Atomics.load(control, Ctl.COMMAND) === seen) {
        if (idle.aborted) return { steps };
        Atomics.wait(control, Ctl.COMMAND, seen, IDLE_POLL_MS);
      }
      seen = Atomics.load(control, Ctl.COMMAND);
      const kind = Atomics.load(control, Ctl.COMMAND_KIND);
      if (kind === Command.EXIT) return { steps };
      const threads = Atomics.load(control, Ctl.ACTIVE);
      if (t < threads && kind === Command.EVALUATE) {
        // This thread's consecutive chunks of the rows, each chunk's sums in its own place.
        const chunks = partitionRange(metricChunks(rows.rows), threads, t);
        evaluate(evalParams, rows, chunks.from, chunks.to, metricParts);
      } else if (t < threads) {
        const barrier = barrierFor(threads);
        const range = task.replicate ? { from: 0, to: P } : partitionRange(P, threads, t, CACHE_LINE_FLOATS);
        const share: ThreadShare = { thread: t, threads, paramFrom: range.from, paramTo: range.to };
        const sync: StepSync = {
          shardsDone: (step) => {
            if (leader) Atomics.store(control, Ctl.STOP_DECISION + (step & 1), Atomics.load(control, Ctl.STOP_REQUEST));
            barrier.wait();
          },
          // Ranges of the gradient: every range's norm parts are written before anyone sums them.
          gradientDone: task.replicate ? () => {} : () => barrier.wait(),
          stepDone: (step, lossSum, rowsDone, optimizerStep) => {
            if (leader) {
              stats[0] = lossSum;
              Atomics.store(control, Ctl.STEPS_DONE, step);
              Atomics.store(control, Ctl.ROWS_DONE, rowsDone);
              Atomics.store(control, Ctl.OPT_STEP, optimizerStep);
            }
            // Ranges of the shared parameters: nobody starts the next step before every range is updated.
            if (!task.replicate) barrier.wait();
            if (sink !== null) {
              const now = performance.now();
              if (now - lastReport >= task.progressIntervalMs) {
                lastReport = now;
                // Fire and forget: the step loop never waits for the main thread.
                void sink.progress(step, lossSum, rowsDone).catch(() => {});
              }
            }
            return Atomics.load(control, Ctl.STOP_DECISION + (step & 1)) !== 0;
          },
        };
        if (task.replicate) {
          // Read before this thread's first barrier, so before thread 0 can write the arena's copy back.
          own.params.set(params);
          own.optState.set(optState);
        }
        // Every active thread reads where the epoch stands before its first barrier, so before thread 0 moves on.
        const at = {
          step: Atomics.load(control, Ctl.STEPS_DONE) + 1,
          lossSum: stats[0],
          rowsDone: Atomics.load(control, Ctl.ROWS_DONE),
          optimizerStep: Atomics.load(control, Ctl.OPT_STEP),
        };
        const lastStep = Atomics.load(control, Ctl.LAST_STEP);
        buffers.rules.learningRate = stats[2];
        // The data, the row weights and the epoch (which keys the dropout masks) are shared and read-only during a
        // command, so both ways of sharing the update read them in place.
        const epochRows = Atomics.load(control, Ctl.EPOCH_ROWS);
        const r = runSteps(buffers, share, sync, order, epochRows, at, lastStep, Atomics.load(control, Ctl.EPOCH));
        steps += r.step - at.step;
        if (leader && task.replicate) {
          // Every copy holds the same bits; thread 0's becomes the arena's for the main thread and the next command.
          params.set(own.params);
          optState.set(own.optState);
        }
        if (leader && r.nonFinite) {
          stats[1] = r.nonFinite.loss;
          Atomics.store(control, Ctl.FAIL_STEP, r.nonFinite.step);
          Atomics.store(control, Ctl.STATUS, Status.NON_FINITE);
        } else if (leader && r.stopped) {
          Atomics.store(control, Ctl.STATUS, Status.STOPPED);
        }
      }
      Atomics.add(control, Ctl.DONE, 1);
      Atomics.notify(control, Ctl.DONE);
    }
  } finally {
    task.progressPort?.close();
  }
}

/**
 * The memory's SharedArrayBuffer object as `k` knows it. Growing a shared memory gives `memory.buffer` a new object
 * over the same bytes, and the kernels accept views over the objects they have seen. Views built from a read of
 * `memory.buffer` of their own, made while another thread grew the memory, lay on an object the kernels never saw,
 * and every kernel call refused them ("not a view of this WebAssembly memory": a rare failure of 2-thread runs
 * on a loaded machine). Built on this buffer, they are the kernels' own.
 */
export function knownBuffer(k: WasmKernels): SharedArrayBuffer {
  const buffer: unknown = k.view(Uint8Array, 0, 0).buffer;
  if (!(buffer instanceof SharedArrayBuffer)) throw new Error('internal: the kernels memory is not shared');
  return buffer;
}

/** This thread's instance of the WebAssembly kernels over the run's shared memory. */
function wasmBackend(task: WorkerTask): Kernels {
  const memory = task.arena.memory;
  const k = memory ? loadWasmKernels(memory, task.wasmModule) : null;
  if (!k) throw new Error('worker: the run uses wasm kernels but this thread cannot instantiate them');
  return wasmKernels(k);
}
