/**
 * `@shardprop/core/parallel`: data-parallel training on worker threads (Node.js only).
 * @packageDocumentation
 */
export { defaultThreads, fitParallel, type ParallelFitOptions } from './trainer.js';
export {
  candidatesOf,
  splitsFor,
  type TuneOptions,
  type TuneProgress,
  type TuneResult,
  tune,
} from './tune.js';
