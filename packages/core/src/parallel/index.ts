/**
 * `@shardprop/core/parallel`: data-parallel training on worker threads (Node.js only).
 * @packageDocumentation
 */

export {
  closeSearchWorkers,
  SEARCH_WORKERS_IDLE_MS,
  type StartSearchWorkersOptions,
  startSearchWorkers,
} from './search-workers.js';
export { type SharedDatasetOptions, sharedDataset } from './shared-data.js';
export {
  describeThreadChoice,
  estimateThreads,
  fixedThreadPlan,
  latestTrialMedians,
  type MeasuredPlanOptions,
  measuredThreadPlan,
  modelStepMicroseconds,
  replicatesUpdate,
  STEP_COST,
  type StepSegment,
  type StepWork,
  type ThreadBasis,
  type ThreadPlan,
  type ThreadTrial,
  threadCandidates,
} from './thread-choice.js';
export { defaultThreads, fitParallel, type ParallelFitOptions } from './trainer.js';
export {
  candidatesOf,
  splitsFor,
  type TuneOptions,
  type TuneProgress,
  type TuneResult,
  tune,
} from './tune.js';
