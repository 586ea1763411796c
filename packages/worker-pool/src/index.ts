/**
 * `@shardprop/worker-pool`: generic multi-core machinery. A shared-memory arena of aligned typed views, an
 * Atomics barrier, fixed-order (bitwise reproducible) reductions, comlink remotes, and on Node.js a piscina pool
 * that runs one long task per thread. It knows nothing about what the threads compute.
 */
export * from './browser.js';
export {
  DEFAULT_GRACE_MS,
  PoolClosedError,
  type RunOnAllOptions,
  type RunOptions,
  type TransferItem,
  WorkerPool,
  type WorkerPoolOptions,
  WorkerTaskError,
} from './pool.js';
