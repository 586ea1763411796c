/**
 * `@shardprop/core/parallel-shared`: the browser-safe half of the data-parallel trainer. The per-thread step loop
 * (`trainWorker`) and the protocol it shares with the main thread (arena layout, control words, the task each
 * worker receives), without the Node.js main-thread side (`@shardprop/core/parallel`, which needs piscina and
 * node:os). A browser app builds the arena, spawns Web Workers that call `trainWorker`, and drives epochs through
 * the control block as `trainer.ts` does.
 * @packageDocumentation
 */
export {
  arenaLayout,
  Command,
  Ctl,
  type ProgressSink,
  Status,
  type TrainArenaLayout,
  type WorkerTask,
} from './protocol.js';
export { default as trainWorker } from './worker.js';
