/**
 * The browser-safe part of `@shardprop/worker-pool`: everything except the piscina-backed {@link WorkerPool},
 * which needs `node:worker_threads`. Bundlers pick this entry through the package's `browser` export condition;
 * it is also importable as `@shardprop/worker-pool/browser`.
 */
export {
  ARENA_ALIGNMENT,
  type ArenaArray,
  type ArenaArrayTypes,
  type ArenaDescription,
  type ArenaLayout,
  type ArenaViewPlacement,
  type ArenaViewSpec,
  type ArenaViews,
  type ArenaViewType,
  SharedArena,
  type SharedArenaOptions,
} from './arena.js';
export {
  BARRIER_TIMEOUT_CODE,
  BARRIER_WORDS,
  Barrier,
  BarrierAbortedError,
  type BarrierOptions,
  BarrierTimeoutError,
  DEFAULT_BARRIER_TIMEOUT_MS,
  DEFAULT_SPIN,
  detectCores,
} from './barrier.js';
export {
  type FloatArray,
  type IndexRange,
  partitionRange,
  presumSlotRun,
  reduceSlots,
  reduceSlotTree,
  SLOT_TREE_CHUNK,
  slotRun,
  slotTreeScratchLength,
  slotTreeSplit,
} from './reduce.js';
export {
  type ExposedChannel,
  exposeOverChannel,
  exposeRemote,
  type NodeMessageEndpoint,
  proxy,
  type Remote,
  type RemoteEndpoint,
  releaseProxy,
  transfer,
  wrapRemote,
} from './remote.js';
