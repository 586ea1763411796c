/**
 * A reusable generation barrier over three Int32 words of shared memory, for a fixed number of participants on
 * different threads. The per-step barrier of a data-parallel loop runs thousands of times a second, so it must be
 * cheap: a woken `Atomics.wait` takes tens of microseconds to run again, while a thread that is still spinning on
 * `Atomics.load` sees the release within a fraction of a microsecond. The barrier therefore spins for a bounded
 * number of loads and only then sleeps. Spinning is only sensible when every participant has a core of its own;
 * with more participants than cores a spinner steals the very core the last arrival needs, so by default the
 * barrier sleeps at once in that case.
 *
 * Memory layout (Int32, starting at `options.index`):
 *   word 0  count       participants that arrived in the current generation
 *   word 1  generation  bumped by the last arrival; waiters sleep on this word
 *   word 2  abort       0 while healthy; a non-zero code once aborted (sticky until reset)
 *
 * A thread that is not a participant (typically the main thread) may share the barrier object to call
 * {@link Barrier.abort}, read {@link Barrier.generation} or {@link Barrier.reset}; it never has to call wait().
 */

/** Number of Int32 words a barrier occupies. */
export const BARRIER_WORDS = 3;

/** Abort code the barrier stores itself when a participant times out (user codes are positive). */
export const BARRIER_TIMEOUT_CODE = -1;

const COUNT = 0;
const GENERATION = 1;
const ABORT = 2;

/**
 * Spin iterations before sleeping when spinning is enabled. One iteration (one Atomics.load and a compare) takes
 * about 5 ns on the reference machine, so this spins for roughly 25 us: about what one sleep/wake round trip
 * costs there. Spinning exactly as long as the alternative costs is the classic 2-competitive choice: whatever
 * the peers' lateness, the wait never costs more than twice what an oracle choosing spin-or-sleep would pay.
 */
export const DEFAULT_SPIN = 5_000;

/** Default timeout of one wait, in milliseconds. Generous, because it only exists to turn a hang into an error. */
export const DEFAULT_BARRIER_TIMEOUT_MS = 60_000;

/** Thrown by {@link Barrier.wait} when the generation did not complete in time. Names the generation. */
export class BarrierTimeoutError extends Error {
  override name = 'BarrierTimeoutError';
  /** The generation that never completed. */
  readonly generation: number;
  constructor(generation: number, timeoutMs: number) {
    super(`barrier generation ${generation} did not complete within ${timeoutMs} ms`);
    this.generation = generation;
  }
}

/** Thrown by {@link Barrier.wait} once the barrier has been aborted; `code` is the value given to abort(). */
export class BarrierAbortedError extends Error {
  override name = 'BarrierAbortedError';
  /** The abort code: a positive user code, or {@link BARRIER_TIMEOUT_CODE}. */
  readonly code: number;
  /** The generation the waiter was in when it noticed the abort. */
  readonly generation: number;
  constructor(code: number, generation: number) {
    super(`barrier aborted with code ${code} (generation ${generation})`);
    this.code = code;
    this.generation = generation;
  }
}

/** Options of a {@link Barrier}. Every thread that shares a barrier must pass the same participants and index. */
export interface BarrierOptions {
  /** Number of threads that call wait() per generation; a positive integer. */
  participants: number;
  /** Index of the first of the {@link BARRIER_WORDS} Int32 words in the array; default 0. */
  index?: number;
  /**
   * Atomics.load iterations to spin before sleeping. Default: {@link DEFAULT_SPIN} when
   * `participants <= cores`, otherwise 0 (sleep at once).
   */
  spin?: number;
  /** Cores available to the participants, used only to choose the default `spin`; default: detected. */
  cores?: number;
  /** Milliseconds one wait() may block before it throws {@link BarrierTimeoutError}; default 60,000; Infinity allowed. */
  timeoutMs?: number;
}

/**
 * Logical cores of this machine, without importing any Node module (this file must load in browsers):
 * `navigator.hardwareConcurrency` where it exists, `os.availableParallelism()` through
 * `process.getBuiltinModule` on Node >= 20.16, otherwise 1 (which disables default spinning for >1 participant).
 */
export function detectCores(): number {
  const g = globalThis as {
    navigator?: { hardwareConcurrency?: number };
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  const hc = g.navigator?.hardwareConcurrency;
  if (typeof hc === 'number' && hc > 0) return hc;
  const os = g.process?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number; cpus?: () => unknown[] }
    | undefined;
  const n = os?.availableParallelism?.() ?? os?.cpus?.().length;
  return typeof n === 'number' && n > 0 ? n : 1;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Reusable generation barrier on `Atomics.wait`/`notify`, spin-then-wait, with timeout and abort.
 *
 * @example
 * ```ts
 * // main thread: const control = new Int32Array(new SharedArrayBuffer(4 * BARRIER_WORDS));
 * // each of T workers:
 * const barrier = new Barrier(control, { participants: T });
 * for (let step = 0; step < steps; step++) { work(step); barrier.wait(); }
 * ```
 */
export class Barrier {
  /** Number of Int32 words a barrier occupies (same as {@link BARRIER_WORDS}). */
  static readonly WORDS = BARRIER_WORDS;

  /** Number of threads that take part in each generation. */
  readonly participants: number;
  /** Spin iterations before sleeping. */
  readonly spin: number;
  /** Timeout of one wait, in milliseconds. */
  readonly timeoutMs: number;
  readonly #i32: Int32Array;
  readonly #count: number;
  readonly #gen: number;
  readonly #abort: number;

  /**
   * Attaches to (does not initialise) the barrier words at `options.index` of `memory`. Fresh shared memory is
   * zero, which is a valid initial state; call {@link reset} to reuse words that held something else.
   * @param memory an Int32Array over a SharedArrayBuffer (e.g. an `i32` arena view).
   */
  constructor(memory: Int32Array, options: BarrierOptions) {
    if (!(memory instanceof Int32Array)) throw new TypeError('barrier: memory must be an Int32Array');
    if (typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError('barrier: memory must be a view of a SharedArrayBuffer');
    }
    if (options === null || typeof options !== 'object') throw new TypeError('barrier: options must be an object');
    const { participants, index = 0, timeoutMs = DEFAULT_BARRIER_TIMEOUT_MS } = options;
    if (!Number.isSafeInteger(participants) || participants < 1) {
      throw new RangeError(`barrier: options.participants must be a positive integer, got ${String(participants)}`);
    }
    if (!Number.isSafeInteger(index) || index < 0 || index + BARRIER_WORDS > memory.length) {
      throw new RangeError(
        `barrier: options.index must leave ${BARRIER_WORDS} words inside the ${memory.length}-word array, got ${String(index)}`,
      );
    }
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw new RangeError(`barrier: options.timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
    }
    const cores = options.cores ?? detectCores();
    if (!Number.isSafeInteger(cores) || cores < 1) {
      throw new RangeError(`barrier: options.cores must be a positive integer, got ${String(cores)}`);
    }
    const spin = options.spin ?? (participants <= cores ? DEFAULT_SPIN : 0);
    if (!Number.isSafeInteger(spin) || spin < 0) {
      throw new RangeError(`barrier: options.spin must be a non-negative integer, got ${String(spin)}`);
    }
    this.participants = participants;
    this.spin = spin;
    this.timeoutMs = timeoutMs;
    this.#i32 = memory;
    this.#count = index + COUNT;
    this.#gen = index + GENERATION;
    this.#abort = index + ABORT;
  }

  /** Generations completed since the words were zeroed (wraps at 2^31; aborts also advance it). */
  get generation(): number {
    return Atomics.load(this.#i32, this.#gen);
  }

  /** The abort code, or 0 while the barrier is healthy. */
  get abortCode(): number {
    return Atomics.load(this.#i32, this.#abort);
  }

  /** Whether {@link abort} was called (or a participant timed out) since the last reset. */
  get aborted(): boolean {
    return Atomics.load(this.#i32, this.#abort) !== 0;
  }

  /**
   * Blocks until all participants have called wait() for the current generation. Returns nothing and allocates
   * nothing unless it has to sleep or throw.
   * @throws BarrierAbortedError when the barrier is or becomes aborted.
   * @throws BarrierTimeoutError when the generation does not complete within `timeoutMs`; the barrier is then
   *   aborted with {@link BARRIER_TIMEOUT_CODE} so the other waiters fail fast with a timeout too, instead of each
   *   waiting out its own timeout on a barrier whose count can no longer be trusted.
   */
  wait(): void {
    const i32 = this.#i32;
    // The generation must be read before arriving: once we add to the count, the last arrival may advance it at
    // any moment, and reading it afterwards could make us wait for the *next* generation forever.
    const gen = Atomics.load(i32, this.#gen);
    if (Atomics.load(i32, this.#abort) !== 0) this.#throwAborted(gen);
    if (Atomics.add(i32, this.#count, 1) + 1 === this.participants) {
      // Reset the count before publishing the new generation: a released thread may re-enter at once and must
      // find a zero count.
      Atomics.store(i32, this.#count, 0);
      Atomics.add(i32, this.#gen, 1);
      Atomics.notify(i32, this.#gen);
      return;
    }
    const genIndex = this.#gen;
    for (let i = this.spin; i > 0; i--) {
      if (Atomics.load(i32, genIndex) !== gen) {
        // abort() also advances the generation (so sleepers cannot miss it); tell the two apart here.
        if (Atomics.load(i32, this.#abort) !== 0) this.#throwAborted(gen);
        return;
      }
    }
    this.#sleep(gen);
  }

  /** Slow path, kept out of wait() so the fast path stays small enough to inline. */
  #sleep(gen: number): void {
    const i32 = this.#i32;
    const deadline = now() + this.timeoutMs;
    while (Atomics.load(i32, this.#gen) === gen) {
      const left = deadline - now();
      if (left <= 0) {
        // Abort first so that peers are released even if this thread never runs again.
        this.#setAbort(BARRIER_TIMEOUT_CODE);
        throw new BarrierTimeoutError(gen, this.timeoutMs);
      }
      // Returns 'not-equal' at once if the generation moved between the load above and this call, so a
      // notify can never be lost.
      Atomics.wait(i32, this.#gen, gen, left);
    }
    if (Atomics.load(i32, this.#abort) !== 0) this.#throwAborted(gen);
  }

  #throwAborted(gen: number): never {
    const code = Atomics.load(this.#i32, this.#abort);
    if (code === BARRIER_TIMEOUT_CODE) throw new BarrierTimeoutError(gen, this.timeoutMs);
    throw new BarrierAbortedError(code, gen);
  }

  #setAbort(code: number): void {
    // Only the first abort code sticks, so every waiter reports the original cause.
    Atomics.compareExchange(this.#i32, this.#abort, 0, code);
    // Advancing the generation wakes sleepers through the value check of Atomics.wait as well as through
    // notify, so an abort racing with a thread that is just about to sleep is never missed.
    Atomics.add(this.#i32, this.#gen, 1);
    Atomics.notify(this.#i32, this.#gen);
  }

  /**
   * Aborts the barrier: every current and future wait() throws {@link BarrierAbortedError} with this code until
   * {@link reset}. Safe to call from any thread, including one that is not a participant, and more than once
   * (the first code wins). Never blocks, so it may be called from a browser main thread.
   * @param code a positive integer identifying the reason (default 1).
   */
  abort(code = 1): void {
    if (!Number.isSafeInteger(code) || code < 1 || code > 0x7fffffff) {
      throw new RangeError(`barrier: abort code must be an integer in [1, 2^31-1], got ${String(code)}`);
    }
    this.#setAbort(code);
  }

  /**
   * Clears the count and the abort flag so the barrier can be used again. Only call it while no participant is
   * inside wait() (e.g. before starting a run, or after every task of an aborted run has settled). The
   * generation keeps counting so a stale sleeper can never mistake the reset for a release.
   */
  reset(): void {
    Atomics.store(this.#i32, this.#count, 0);
    Atomics.store(this.#i32, this.#abort, 0);
  }
}
