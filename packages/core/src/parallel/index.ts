/**
 * `@shardprop/core/parallel`: data-parallel training on worker threads (Node.js only).
 * @packageDocumentation
 */
export { defaultThreads, fitParallel, type ParallelFitOptions } from './trainer.js';
