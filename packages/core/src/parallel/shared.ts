/**
 * `@shardprop/core/parallel-shared`: the browser-safe half of the data-parallel trainer. The per-thread step loop
 * (`trainWorker`) and the protocol it shares with the main thread (arena layout, control words, the task each
 * worker receives), without the Node.js main-thread side (`@shardprop/core/parallel`, which needs piscina and
 * node:os). A browser app supplies a {@link WorkerLauncher} that starts Web Workers calling `trainWorker`, and
 * `SharedMemoryEngine` does the rest (arena, tasks, epochs through the control block), as for `fitParallel`.
 * @packageDocumentation
 */

export {
  checkThreads,
  type EngineSettings,
  parallelFailure,
  SharedMemoryEngine,
  type WorkerLauncher,
} from './engine.js';
export {
  arenaLayout,
  Command,
  Ctl,
  type ProgressSink,
  Status,
  type TrainArenaLayout,
  type WorkerTask,
} from './protocol.js';
export { type SharedDatasetOptions, sharedDataset } from './shared-data.js';
export {
  describeThreadChoice,
  estimateThreads,
  fixedThreadPlan,
  latestTrialMedians,
  measuredThreadPlan,
  replicatesUpdate,
  type StepWork,
  type ThreadBasis,
  type ThreadPlan,
  type ThreadTrial,
  threadCandidates,
} from './thread-choice.js';
export { default as trainWorker } from './worker.js';
