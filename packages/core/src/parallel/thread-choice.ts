/**
 * How many threads a run should use. Results are bitwise identical for any count, so the count is free to change
 * between any two steps: {@link ThreadPlan} tries the candidate counts on the run's own steps (after a warm-up that
 * lets every worker tier its code up) and settles on the fastest; runs too short to measure take
 * {@link estimateThreads}, a cost model of work per step against synchronisation per step. Browser-safe.
 */
import { shardCount } from '../train/step.js';

/** Steps measured on one thread count: one entry per timed run of steps. */
export interface ThreadTrial {
  threads: number;
  steps: number;
  msPerStep: number;
}

/** What one step of a run costs, for {@link estimateThreads}. */
export interface StepWork {
  /** Parameters of the model (reduced and updated once per step). */
  paramCount: number;
  /** Forward + backward FLOPs per training row (`trainFlopsPerRow`). */
  flopsPerRow: number;
  batchSize: number;
  /** The `shards` option (upper bound on shards per batch). */
  shards?: number;
  /** Most threads available (cores, or the workers started). */
  maxThreads: number;
}

/**
 * Constants of the cost model, measured with `pnpm bench:scaling` and counters in the workers on the development
 * machine (2 cores, wasm kernels, Node 20):
 * - shard compute runs at about 24 GFLOP/s on the seed network's small matrices (more on wide layers, so the model
 *   errs towards fewer threads);
 * - the reduce + update touches each parameter about (shards + 4) times at about 0.1 ns per float, when the
 *   floats are in this core's cache;
 * - a float that another core has just written costs about 0.6 ns more to read: the seed network's reduce of
 *   every gradient slot took 26.5 us per step on each of 2 threads at batch 256 against 5.5 us on one, and 7.5
 *   against 1.8 us at batch 32, half the slots having been written by the other core (since then each thread
 *   pre-sums its own slots, and the others read one partial sum per thread);
 * - a barrier itself (the meeting, beyond the data moved) costs about 2 us;
 * - starting and stopping the workers of a run (threads, their modules and kernels, the data copied into shared
 *   memory) took about 150 ms for 2 workers on the quiet machine (a 1-epoch `fitParallel` of 64 rows, against
 *   2 ms for `fit`).
 */
export const STEP_COST = {
  flopsPerMicrosecond: 24_000,
  nsPerFloatTouched: 0.1,
  nsPerRemoteFloat: 0.6,
  barrierMicroseconds: 2,
  workerStartMicroseconds: 150_000,
} as const;

/** Microseconds of one step's reduce + update over every parameter, on one thread. */
function updateMicroseconds(work: StepWork): number {
  const shards = shardCount(work.batchSize, work.shards);
  return (work.paramCount * (shards + 4) * STEP_COST.nsPerFloatTouched) / 1000;
}

/**
 * Whether the threads of a parallel run should each reduce and update all the parameters in their own copy (one
 * barrier per step) rather than their range of the shared parameters (two barriers per step), on 2 threads: yes
 * only where the update each copy repeats, and the partial sums every copy reads from the other cores, cost
 * less than the second barrier. On the seed network that is so at batch 32 (then in 4 shards: copies took 9.9
 * against 10.4 ms per epoch on 2 threads, in turns, 6 rounds) and not at batch 256, whose 16 shards make the
 * update cost as much again (ranges took 6.3-6.6 against 6.6 ms). The weights are the same bits either way.
 */
export function replicatesUpdate(work: StepWork): boolean {
  return syncMicroseconds(work, 2, true) < syncMicroseconds(work, 2, false);
}

/**
 * Modelled microseconds a step spends on `threads` threads beyond its shards: the reduce and update (all of it
 * in each copy, or a 1/threads range), the floats other cores wrote that each thread reads (copies: the partial
 * sum of the gradient slots of every other thread; ranges: those partial sums over its own range, and the
 * others' ranges of the updated parameters before the next forward pass), and the barriers (one or two).
 */
function syncMicroseconds(work: StepWork, threads: number, replicate: boolean): number {
  const shards = shardCount(work.batchSize, work.shards);
  const P = work.paramCount;
  const others = (threads - 1) / threads;
  // Each thread pre-sums its own run of the gradient slots, so the others read about one partial sum per thread.
  const partials = Math.min(shards, threads);
  const remoteFloats = replicate ? partials * P * others : (partials * P * others) / threads + P * others;
  const update = replicate ? updateMicroseconds(work) : updateMicroseconds(work) / threads;
  const barriers = replicate ? 1 : 2;
  return update + (remoteFloats * STEP_COST.nsPerRemoteFloat) / 1000 + barriers * STEP_COST.barrierMicroseconds;
}

/** Modelled microseconds of one step on `threads` threads (the slowest thread's share plus synchronisation). */
export function modelStepMicroseconds(work: StepWork, threads: number): number {
  const shards = shardCount(work.batchSize, work.shards);
  const active = Math.min(threads, shards);
  const rowsPerThread = Math.ceil(shards / active) * Math.ceil(work.batchSize / shards);
  const compute = (rowsPerThread * work.flopsPerRow) / STEP_COST.flopsPerMicrosecond;
  if (threads === 1) return compute + updateMicroseconds(work);
  return compute + syncMicroseconds(work, active, replicatesUpdate(work));
}

/**
 * The thread count the cost model expects to be fastest for `work`: never more threads than shards per batch
 * (see `shardCount`: a batch of B rows has at most B / 8 shards by default, so batch 1 always trains on one
 * thread), and a second thread only where its saved work outweighs the synchronisation it adds. Given the run's
 * `totalSteps`, more threads must also save more than starting the workers costs (a short run trains on the
 * calling thread). The choice for runs too short to measure, and the starting point of a measured choice.
 */
export function estimateThreads(work: StepWork, totalSteps = Number.POSITIVE_INFINITY): number {
  let best = 1;
  const oneUs = modelStepMicroseconds(work, 1);
  let bestUs = oneUs;
  for (const t of threadCandidates(work)) {
    const us = modelStepMicroseconds(work, t);
    const saved = (oneUs - us) * totalSteps;
    if (us < bestUs * 0.95 && saved > STEP_COST.workerStartMicroseconds) {
      best = t;
      bestUs = us;
    }
  }
  return best;
}

/** Counts worth trying: 1, 2, 4, ... and the maximum itself, never more than the shards of a full batch. */
export function threadCandidates(work: StepWork): number[] {
  const limit = Math.max(1, Math.min(work.maxThreads, shardCount(work.batchSize, work.shards)));
  const out: number[] = [];
  for (let t = 1; t < limit; t *= 2) out.push(t);
  out.push(limit);
  return out;
}

/** One run of steps the engine should do next. */
export interface StepSegment {
  threads: number;
  /** Steps to run (the engine clips this to what is left of the epoch). */
  steps: number;
}

/**
 * What a thread count rests on: a count given by the caller (`fixed`), the only count worth trying (`only`: one
 * shard per batch, or one core), the cost model for a run too short to time (`estimated`), trials under way
 * (`measuring`) or done (`measured`).
 */
export type ThreadBasis = 'fixed' | 'only' | 'estimated' | 'measuring' | 'measured';

/** Decides the thread count of each run of steps; the engine reports back how long each run took. */
export interface ThreadPlan {
  /** The next run of steps, given the steps left in the current epoch (at least 1). */
  next(stepsLeftInEpoch: number): StepSegment;
  /** How long the last run took: `steps` steps in `ms` milliseconds on `threads` threads. */
  record(threads: number, steps: number, ms: number): void;
  /** The count in use now (after the last `next`). */
  readonly threads: number;
  /**
   * The count the plan stands by: the last completed round of trials' choice, or else the count in use. It differs
   * from `threads` only while a recheck times the candidates again (a run can end in the middle of one).
   */
  readonly chosen: number;
  /** What was measured to choose (empty for a fixed count or a cost-model choice). */
  readonly trials: readonly ThreadTrial[];
  /** How many of `trials` the choice rests on: those up to the last completed round (a recheck adds more). */
  readonly decidedTrials: number;
  /** What the count in use rests on. */
  readonly basis: ThreadBasis;
  /** The counts this plan may use, fewest first. */
  readonly candidates: readonly number[];
}

/** Always the same count, one segment per epoch. */
export function fixedThreadPlan(threads: number): ThreadPlan {
  return {
    next: (left) => ({ threads, steps: left }),
    record: () => {},
    threads,
    chosen: threads,
    trials: [],
    decidedTrials: 0,
    basis: 'fixed',
    candidates: [threads],
  };
}

/** Tuning of {@link measuredThreadPlan}. */
export interface MeasuredPlanOptions {
  /** Steps of the whole run (epochs x steps per epoch). */
  totalSteps: number;
  /**
   * Steps in one epoch, when known. Runs of steps end with the epoch, so no timed run is planned longer: with
   * fast steps and short epochs, runs of `trialMs` would all be cut short and never count.
   */
  epochSteps?: number;
  /** Milliseconds of training at the largest candidate before timing anything (default 300). */
  warmupMs?: number;
  /** Target length of one timed run of steps, in milliseconds (default 25). */
  trialMs?: number;
  /** Timed runs per candidate in each round of trials (default 3); the lowest median ms per step wins. */
  rounds?: number;
  /** Most of the run that warm-up and the first trials may take before the cost model decides instead (default 0.25). */
  maxTrialFraction?: number;
  /**
   * Milliseconds of settled training before the candidates are timed again (default 2,000); the interval doubles
   * each time the choice holds, up to 16 times this, and starts over when it changes.
   */
  recheckMs?: number;
  /** How much faster (a fraction) more threads must be than fewer to be chosen (default 0.03). */
  margin?: number;
}

/**
 * The measured choice: warm up on the largest candidate, then time every candidate in turn (interleaved, so a
 * noisy moment hurts all of them alike) and settle on the one with the lowest median ms per step, preferring
 * fewer threads unless more are faster by `margin`. While settled, the candidates are timed again now and then
 * (at growing intervals), because a shared machine changes under a run: a count that measured fastest while
 * another program paused can lose for the rest of the run. When the run is too short for trials to pay (warm-up
 * and trials would exceed `maxTrialFraction` of it), the cost model's estimate is used throughout.
 */
export function measuredThreadPlan(work: StepWork, options: MeasuredPlanOptions): ThreadPlan {
  const candidates = threadCandidates(work);
  const estimate = estimateThreads(work, options.totalSteps);
  const warmupMs = options.warmupMs ?? 300;
  const trialMs = options.trialMs ?? 25;
  const rounds = options.rounds ?? 3;
  const maxFraction = options.maxTrialFraction ?? 0.25;
  const recheckMs = options.recheckMs ?? 2_000;
  const margin = options.margin ?? 0.03;
  const trials: ThreadTrial[] = [];
  // Steps the warm-up and the trials would take if a step costs what the model says: a run that cannot afford
  // them (a quarter of it, by default) takes the estimate from the first step, without a warm-up to waste.
  const modelMs = Math.max(1e-3, modelStepMicroseconds(work, candidates[candidates.length - 1]) / 1000);
  const plannedSteps =
    Math.ceil(warmupMs / modelMs) + candidates.length * rounds * Math.max(1, Math.ceil(trialMs / modelMs));
  const affordable = candidates.length > 1 && plannedSteps <= maxFraction * options.totalSteps;
  let phase: 'warmup' | 'trial' | 'settled' = affordable ? 'warmup' : 'settled';
  // Only a plan that measured once keeps measuring; a cost-model choice stays as it is.
  let measuring = false;
  let current = affordable ? candidates[candidates.length - 1] : candidates.length > 1 ? estimate : candidates[0];
  let warmedMs = 0;
  let stepsSoFar = 0;
  let trialSteps = 1;
  let queue: number[] = [];
  let roundsDone = 0;
  let interval = recheckMs;
  let settledMs = 0;
  /** The count the last round of trials chose (0 before any), and the trials it rests on. */
  let chosen = 0;
  let decidedTrials = 0;

  const startTrials = () => {
    phase = 'trial';
    queue = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate the direction, and start each round of trials from the other end than the last one did.
      const forward = (r + roundsDone) % 2 === 0;
      queue.push(...(forward ? candidates : [...candidates].reverse()));
    }
    roundsDone += rounds;
  };
  const choose = (): number => {
    // The latest round of trials only: older ones describe the machine as it was.
    const latest = new Map(latestTrialMedians(trials, rounds).map((m) => [m.threads, m.msPerStep]));
    const msOf = (t: number) => latest.get(t) ?? Number.POSITIVE_INFINITY;
    let best = candidates[0];
    let bestMs = msOf(best);
    for (const t of candidates.slice(1)) {
      const ms = msOf(t);
      if (ms < bestMs * (1 - margin)) {
        best = t;
        bestMs = ms;
      }
    }
    return best;
  };
  const settle = (threads: number) => {
    // A choice that holds is checked less and less often; a change starts the intervals over.
    interval = measuring && threads === chosen ? Math.min(interval * 2, 16 * recheckMs) : recheckMs;
    phase = 'settled';
    current = threads;
    chosen = threads;
    settledMs = 0;
  };

  return {
    next(left) {
      if (phase === 'warmup') return { threads: current, steps: Math.min(left, trialSteps) };
      if (phase === 'trial') {
        current = queue[0];
        return { threads: current, steps: Math.min(left, trialSteps) };
      }
      // Settled: up to the next recheck (in steps at the last measured speed), or the rest of the epoch.
      if (!measuring) return { threads: current, steps: left };
      const msPerStep = Math.max(1e-3, median(trials.filter((x) => x.threads === current).map((x) => x.msPerStep)));
      return { threads: current, steps: Math.min(left, Math.max(1, Math.ceil((interval - settledMs) / msPerStep))) };
    },
    record(threads, steps, ms) {
      stepsSoFar += steps;
      if (steps <= 0) return;
      if (phase === 'settled') {
        if (!measuring) return;
        settledMs += ms;
        if (settledMs >= interval) startTrials();
        return;
      }
      const msPerStep = ms / steps;
      if (phase === 'warmup') {
        // Warm-up runs grow towards trialMs; the timed runs then all have the length of the last one.
        trialSteps = Math.max(
          1,
          Math.min(trialSteps * 2, Math.ceil(trialMs / Math.max(msPerStep, 1e-3)), options.epochSteps ?? Infinity),
        );
        warmedMs += ms;
        if (stepsSoFar > maxFraction * options.totalSteps) return settle(estimate);
        if (warmedMs < warmupMs) return;
        const planned = stepsSoFar + candidates.length * rounds * trialSteps;
        if (planned > maxFraction * options.totalSteps) return settle(estimate);
        startTrials();
        return;
      }
      // A run cut short by the end of an epoch is timed again unless it still has half its steps.
      if (steps * 2 < trialSteps) return;
      trials.push({ threads, steps, msPerStep });
      queue.shift();
      if (queue.length === 0) {
        settle(choose());
        measuring = true;
        decidedTrials = trials.length;
      }
    },
    get threads() {
      return current;
    },
    get chosen() {
      return measuring ? chosen : current;
    },
    trials,
    get decidedTrials() {
      return decidedTrials;
    },
    get basis(): ThreadBasis {
      if (candidates.length === 1) return 'only';
      if (measuring) return 'measured';
      return phase === 'settled' ? 'estimated' : 'measuring';
    },
    candidates,
  };
}

/** The latest round's median ms per step of each count in `trials`, fewest threads first. */
export function latestTrialMedians(
  trials: readonly ThreadTrial[],
  rounds = 3,
): { threads: number; msPerStep: number }[] {
  const counts = [...new Set(trials.map((t) => t.threads))].sort((a, b) => a - b);
  return counts.map((threads) => ({
    threads,
    msPerStep: median(
      trials
        .filter((t) => t.threads === threads)
        .slice(-rounds)
        .map((t) => t.msPerStep),
    ),
  }));
}

/**
 * One line on why a run trains on the count it does, for progress output and the web page: `noun` names a
 * thread (`'thread'`, `'worker'`). For example `auto: fastest measured (1 thread 0.041 ms/step, 2 threads 0.055)`.
 */
export function describeThreadChoice(
  plan: Pick<ThreadPlan, 'basis' | 'trials' | 'decidedTrials' | 'candidates'>,
  noun = 'thread',
): string {
  const counted = (n: number) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  switch (plan.basis) {
    case 'fixed':
      return 'as requested';
    case 'only':
      return 'auto: nothing to share (one shard per batch, or one core)';
    case 'estimated':
      return 'auto: too short a run to time the counts, so the cost model chose';
    case 'measuring':
      return `auto: timing ${plan.candidates.map(counted).join(', ')} on the first steps`;
    case 'measured': {
      // The times the choice rests on: a recheck under way when the run ended does not count yet.
      const times = latestTrialMedians(plan.trials.slice(0, plan.decidedTrials)).map(
        (m) => `${counted(m.threads)} ${m.msPerStep.toPrecision(2)}`,
      );
      return `auto: fastest measured (ms per step: ${times.join(', ')})`;
    }
  }
}

function median(values: number[]): number {
  if (values.length === 0) return Number.POSITIVE_INFINITY;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
