/**
 * A fixed-size pool of worker threads on piscina. Piscina owns the threads' lifecycle (start, crash detection,
 * replacement, shutdown); this wrapper adds what a long-running parallel job needs on top: {@link
 * WorkerPool.runOnAll} puts exactly one long task on every thread at once, and turns the first failure anywhere
 * into a single rejection plus an `onFailure` callback, so the caller can abort its barrier and release the
 * threads that are still waiting for the one that died.
 *
 * Node.js only (piscina is built on `node:worker_threads`). The worker file is a compiled JavaScript module
 * whose default export is the task handler: `export default async function (task) { ... }`.
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits, Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';

/** Options of a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** The worker module: an absolute path or a `file:` URL of a compiled `.js`/`.mjs` file. */
  filename: string | URL;
  /** Number of threads; all are started at once and kept for the pool's lifetime. A positive integer. */
  threads: number;
  /** Value every worker sees as `workerData` (from `node:worker_threads` or piscina); structured-cloned once. */
  workerData?: unknown;
  /** Name of the exported handler in the worker module; default `'default'`. */
  name?: string;
  /** Node flags for the worker threads; default: those of the current process. */
  execArgv?: string[];
  /** V8 heap limits for each worker thread. */
  resourceLimits?: ResourceLimits;
  /**
   * Called with errors that piscina reports outside of any task (a worker that dies while idle, an error thrown
   * asynchronously after its task settled). Without it they are ignored: piscina replaces the worker and the
   * next task runs normally.
   */
  onError?: (error: Error) => void;
}

/**
 * Something that can travel in a task's transfer list: what `node:worker_threads` can transfer, or a global
 * `MessagePort` such as the one `exposeOverChannel` returns.
 */
export type TransferItem = Transferable | MessagePort;

/** Options of {@link WorkerPool.run}. */
export interface RunOptions {
  /** Objects to transfer (not copy) with the task, e.g. a MessagePort. */
  transferList?: readonly TransferItem[];
  /** Aborting it rejects the task; a task that already started has its thread terminated (and replaced). */
  signal?: AbortSignal;
}

/** Options of {@link WorkerPool.runOnAll}. */
export interface RunOnAllOptions {
  /**
   * Called once, synchronously, at the first failure: a task rejecting, a worker dying, or `signal` aborting.
   * Use it to release the other threads (typically `barrier.abort(code)`); the returned promise rejects only
   * after every task has settled, so the pool is idle again when the caller sees the error.
   */
  onFailure?: (error: Error) => void;
  /**
   * Milliseconds the remaining tasks get to finish after the first failure before their threads are terminated
   * (piscina starts fresh ones). Default 5,000. It guarantees the run settles even if a thread ignores the abort.
   */
  graceMs?: number;
  /** Objects to transfer with task `index`, e.g. that task's end of a MessageChannel. */
  transferList?: (index: number) => readonly TransferItem[];
  /** Aborting it fails the run like a worker failure would (onFailure, grace period, rejection). */
  signal?: AbortSignal;
}

/** Default grace period of {@link RunOnAllOptions.graceMs}. */
export const DEFAULT_GRACE_MS = 5_000;

/**
 * A task that failed in a worker. The message and stack are the worker's (so the stack points into the worker
 * file); `index` is the task's index in {@link WorkerPool.runOnAll}, or -1 for {@link WorkerPool.run}.
 */
export class WorkerTaskError extends Error {
  override name = 'WorkerTaskError';
  /** Index of the failed task in runOnAll, -1 for run(). */
  readonly index: number;

  constructor(index: number, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(index >= 0 ? `worker task ${index} failed: ${message}` : `worker task failed: ${message}`, { cause });
    this.index = index;
    // Keep the frames of the worker's stack: they locate the failure, while this constructor's frames only
    // point at the pool's bookkeeping.
    const stack = cause instanceof Error ? cause.stack : undefined;
    const at = stack?.indexOf('\n    at ') ?? -1;
    if (stack !== undefined && at >= 0) this.stack = `${this.name}: ${this.message}${stack.slice(at)}`;
  }
}

/** Raised when a pool method is used after {@link WorkerPool.close}. */
export class PoolClosedError extends Error {
  override name = 'PoolClosedError';
  constructor() {
    super('WorkerPool is closed');
  }
}

function resolveFilename(filename: unknown): string {
  let path: string;
  if (filename instanceof URL) {
    if (filename.protocol !== 'file:') {
      throw new TypeError(`options.filename must be a file: URL, got ${filename.href}`);
    }
    path = fileURLToPath(filename);
  } else if (typeof filename === 'string' && filename.length > 0) {
    path = filename.startsWith('file:') ? fileURLToPath(filename) : filename;
  } else {
    throw new TypeError(`options.filename must be an absolute path or a file: URL, got ${String(filename)}`);
  }
  // Piscina imports the file from inside its own worker bootstrap, so a relative path would silently resolve
  // against piscina's directory; refuse it here with a message that says so.
  if (!isAbsolute(path)) throw new TypeError(`options.filename must be an absolute path or a file: URL, got "${path}"`);
  // A missing file would otherwise surface as a worker that dies during bootstrap, with a far vaguer error.
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {}
  if (!isFile) throw new Error(`options.filename: no such file "${path}"`);
  return path;
}

interface Run {
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A fixed-size piscina pool: ordinary tasks with {@link run}, one concurrent long task per thread with
 * {@link runOnAll}, and {@link close} to terminate every thread.
 *
 * @typeParam Task what the worker handler receives
 * @typeParam Result what the worker handler returns (or resolves to)
 */
export class WorkerPool<Task = unknown, Result = unknown> {
  /** Number of threads. */
  readonly size: number;
  readonly #piscina: Piscina<Task, Result>;
  #inFlight = 0;
  #closing: Promise<void> | undefined;
  readonly #runs = new Set<Run>();

  /**
   * Starts `options.threads` worker threads.
   * @throws TypeError / RangeError / Error with a message naming the bad option.
   */
  constructor(options: WorkerPoolOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const filename = resolveFilename(options.filename);
    const { threads } = options;
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new RangeError(`options.threads must be a positive integer, got ${String(threads)}`);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
      throw new TypeError('options.name must be a non-empty string');
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new TypeError('options.onError must be a function');
    }
    this.size = threads;
    this.#piscina = new Piscina<Task, Result>({
      filename,
      name: options.name ?? 'default',
      // min = max: every thread exists from the start and is never retired, and together with one task per
      // worker and piscina's least-busy balancer, N concurrent tasks land on N distinct threads.
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Unbounded queue: run() may be called faster than tasks finish.
      maxQueue: Number.POSITIVE_INFINITY,
      workerData: options.workerData,
      ...(options.execArgv !== undefined ? { execArgv: options.execArgv } : {}),
      ...(options.resourceLimits !== undefined ? { resourceLimits: options.resourceLimits } : {}),
      recordTiming: false,
    });
    // An 'error' event without a listener would crash the whole process; piscina already replaces the worker.
    const onError = options.onError;
    this.#piscina.on('error', (error: Error) => onError?.(error));
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Tasks submitted through this pool that have not settled yet. */
  get pending(): number {
    return this.#inFlight;
  }

  #submit(task: Task, transferList: readonly TransferItem[] | undefined, signal: AbortSignal | undefined) {
    const options: { transferList?: TransferItem[]; signal?: AbortSignal } = {};
    if (transferList !== undefined) options.transferList = [...transferList];
    if (signal !== undefined) options.signal = signal;
    this.#inFlight++;
    const done = () => {
      this.#inFlight--;
    };
    const p = this.#piscina.run(task, options as Parameters<Piscina['run']>[1]);
    p.then(done, done);
    return p;
  }

  /**
   * Runs one task on the next free thread.
   * @returns the handler's result.
   * @throws (rejects with) {@link WorkerTaskError} carrying the worker's message and stack; {@link PoolClosedError}
   *   after close().
   */
  async run(task: Task, options: RunOptions = {}): Promise<Result> {
    if (this.closed) throw new PoolClosedError();
    try {
      return await this.#submit(task, options.transferList, options.signal);
    } catch (error) {
      throw new WorkerTaskError(-1, error);
    }
  }

  /**
   * Runs `taskFactory(i)` for i = 0 .. size-1, all at once, each on its own thread: the pattern of a parallel
   * loop whose tasks meet at a barrier, where two tasks sharing one thread would deadlock. Requires the pool to
   * be idle (no run() or runOnAll() still pending), otherwise some tasks would queue behind others.
   *
   * On the first failure (a task throws, a worker dies or is terminated, or `options.signal` aborts),
   * `options.onFailure` is called at once; the promise then waits for every other task to settle (terminating
   * the stragglers after `options.graceMs`) and rejects with that first failure.
   *
   * @returns the results, in task index order.
   * @throws (rejects with) {@link WorkerTaskError} for the first failed task; the signal's reason when aborted.
   */
  async runOnAll(taskFactory: (index: number) => Task, options: RunOnAllOptions = {}): Promise<Result[]> {
    if (this.closed) throw new PoolClosedError();
    if (typeof taskFactory !== 'function') throw new TypeError('runOnAll: taskFactory must be a function');
    const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    if (typeof graceMs !== 'number' || Number.isNaN(graceMs) || graceMs < 0) {
      throw new RangeError(`runOnAll: options.graceMs must be a non-negative number, got ${String(graceMs)}`);
    }
    if (this.#inFlight > 0) {
      throw new Error(`runOnAll needs every worker idle, but ${this.#inFlight} task(s) are still pending`);
    }
    const n = this.size;
    // Build every task before submitting any, so a throwing factory leaves nothing running.
    const tasks: Task[] = [];
    const transfers: (readonly TransferItem[] | undefined)[] = [];
    for (let i = 0; i < n; i++) {
      tasks.push(taskFactory(i));
      transfers.push(options.transferList?.(i));
    }

    // One controller per task: piscina adds an abort listener to each task's signal, so one signal shared by 11
    // or more tasks would make Node report a listener leak (MaxListenersExceededWarning) on every run.
    const controllers = tasks.map(() => new AbortController());
    const run: Run = { timer: undefined };
    const results: Result[] = new Array(n);
    let firstError: Error | undefined;
    const fail = (error: Error) => {
      if (firstError !== undefined) return;
      firstError = error;
      try {
        options.onFailure?.(error);
      } catch (hookError) {
        // The run's own failure is the one worth reporting; keep the hook's failure reachable.
        (error as { hookError?: unknown }).hookError = hookError;
      }
      if (!this.closed) {
        run.timer = setTimeout(() => {
          const reason = new Error('runOnAll grace period expired');
          for (const c of controllers) c.abort(reason);
        }, graceMs);
      }
    };
    const external = options.signal;
    const onExternalAbort = () => {
      const reason: unknown = external?.reason;
      fail(reason instanceof Error ? reason : new Error(`runOnAll aborted: ${String(reason)}`));
    };
    if (external?.aborted) onExternalAbort();
    external?.addEventListener('abort', onExternalAbort, { once: true });

    this.#runs.add(run);
    try {
      const settled: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        if (firstError !== undefined) break;
        settled.push(
          this.#submit(tasks[i], transfers[i], controllers[i].signal).then(
            (r) => {
              results[i] = r;
            },
            (e: unknown) => fail(new WorkerTaskError(i, e)),
          ),
        );
      }
      await Promise.all(settled);
    } finally {
      clearTimeout(run.timer);
      this.#runs.delete(run);
      external?.removeEventListener('abort', onExternalAbort);
    }
    if (firstError !== undefined) throw firstError;
    return results;
  }

  /**
   * Terminates every thread now (tasks still running reject) and resolves once they have all exited, so the
   * pool keeps nothing alive. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      for (const run of this.#runs) clearTimeout(run.timer);
      this.#closing = this.#piscina.destroy();
    }
    return this.#closing;
  }
}
