// Choosing the thread count: the cost model's estimate, the candidates, and the measured plan's schedule (warm-up,
// interleaved timed runs, the fastest median kept), driven here with made-up timings.
import { describe, expect, it } from 'vitest';
import {
  describeThreadChoice,
  estimateThreads,
  fixedThreadPlan,
  measuredThreadPlan,
  replicatesUpdate,
  type StepWork,
  threadCandidates,
} from '../src/parallel/thread-choice.js';

const seed = (batchSize: number, maxThreads = 2): StepWork => ({
  paramCount: 4720,
  flopsPerRow: 28_000,
  batchSize,
  maxThreads,
});
const wide: StepWork = { paramCount: 235_146, flopsPerRow: 1_400_000, batchSize: 256, maxThreads: 16 };

describe('estimateThreads and threadCandidates', () => {
  it('batch 1 has one shard: one thread, nothing to try', () => {
    expect(threadCandidates(seed(1, 16))).toEqual([1]);
    expect(estimateThreads(seed(1, 16))).toBe(1);
  });

  it('never more threads than shards; powers of two and the maximum', () => {
    expect(threadCandidates(seed(32, 16))).toEqual([1, 2]);
    expect(threadCandidates(seed(64, 16))).toEqual([1, 2, 4]);
    expect(threadCandidates(seed(256, 16))).toEqual([1, 2, 4, 8, 16]);
    expect(threadCandidates(seed(256, 12))).toEqual([1, 2, 4, 8, 12]);
    expect(threadCandidates({ ...seed(256, 16), shards: 3 })).toEqual([1, 2, 3]);
  });

  it('a run too short to pay for starting workers stays on one thread', () => {
    // Seed network, batch 256: about 120 us saved per step on 2 threads; starting workers costs ~150 ms.
    expect(estimateThreads(seed(256), 40)).toBe(1);
    expect(estimateThreads(seed(256), 4_000)).toBe(2);
  });

  it('copies the update where the shards are few and the model small, and shares it by ranges otherwise', () => {
    // Measured on 2 cores, in turns, with each thread pre-summing its own gradient slots: copies took 9.9 against
    // 10.4 ms per epoch for the seed network at batch 32 (then 4 shards; now 2), ranges 6.3-6.6 against 6.6 ms at batch 256
    // (16 shards: an update each copy repeats costs as much again).
    expect(replicatesUpdate(seed(32))).toBe(true);
    expect(replicatesUpdate(seed(256))).toBe(false);
    expect(replicatesUpdate(wide)).toBe(false);
    expect(replicatesUpdate({ paramCount: 300, flopsPerRow: 2_000, batchSize: 64, maxThreads: 2 })).toBe(true);
  });

  it('big batches and wide layers use every core; a small step stays on one', () => {
    expect(estimateThreads(seed(256))).toBe(2);
    expect(estimateThreads(wide)).toBe(16);
    expect(estimateThreads({ paramCount: 30, flopsPerRow: 200, batchSize: 16, maxThreads: 2 })).toBe(1);
  });
});

/**
 * Runs a plan over `epochs` epochs of `stepsPerEpoch` steps, timing each step as `msPerStep(threads, step)`
 * (`step` counts from 0 over the whole run).
 */
function simulate(
  plan: ReturnType<typeof measuredThreadPlan>,
  epochs: number,
  stepsPerEpoch: number,
  msPerStep: (threads: number, step: number) => number,
) {
  const used: number[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let done = 0; done < stepsPerEpoch; ) {
      const seg = plan.next(stepsPerEpoch - done);
      const steps = Math.min(seg.steps, stepsPerEpoch - done);
      let ms = 0;
      for (let i = 0; i < steps; i++) {
        ms += msPerStep(seg.threads, used.length);
        used.push(seg.threads);
      }
      plan.record(seg.threads, steps, ms);
      done += steps;
    }
  }
  return used;
}

describe('measuredThreadPlan', () => {
  it('warms up on the most threads, times each candidate in turn, and keeps the fastest', () => {
    for (const fastest of [1, 2, 4]) {
      const work = seed(256, 4);
      const plan = measuredThreadPlan(work, { totalSteps: 40 * 100, warmupMs: 30, trialMs: 5, rounds: 3 });
      const used = simulate(plan, 40, 100, (t) => (t === fastest ? 0.5 : 1));
      expect(used[0]).toBe(4);
      expect(plan.threads).toBe(fastest);
      expect(plan.trials.slice(0, 9).map((t) => t.threads)).toEqual([1, 2, 4, 4, 2, 1, 1, 2, 4]);
      // Timed runs are planned equally long; one cut by the end of an epoch still has half of them.
      const longest = Math.max(...plan.trials.map((t) => t.steps));
      expect(plan.trials.every((t) => t.steps * 2 >= longest)).toBe(true);
      expect(used.at(-1)).toBe(fastest);
      // Warm-up and trials take a small part of the run.
      expect(used.filter((t) => t !== fastest).length).toBeLessThan(0.1 * used.length);
    }
  });

  it('times the counts even when a timed run of trialMs would be longer than an epoch (fast steps, short epochs)', () => {
    // 40 steps an epoch at 0.1 ms: 25 ms runs would be 250 steps, every one of them cut short by the epoch's end.
    const fast = (t: number) => (t === 2 ? 0.05 : 0.1);
    const plan = measuredThreadPlan(seed(256, 2), { totalSteps: 40 * 2000, epochSteps: 40 });
    simulate(plan, 2000, 40, fast);
    expect(plan.basis).toBe('measured');
    expect(plan.threads).toBe(2);
    expect(Math.max(...plan.trials.map((t) => t.steps))).toBeLessThanOrEqual(40);
    // Without the epoch's length the runs outgrow the epochs and none is timed: what the option is for.
    const blind = measuredThreadPlan(seed(256, 2), { totalSteps: 40 * 2000 });
    simulate(blind, 2000, 40, fast);
    expect(blind.basis).toBe('measuring');
  });

  it('a run too short to measure takes the cost model estimate throughout, without trials', () => {
    const work = seed(256, 2);
    const plan = measuredThreadPlan(work, { totalSteps: 40, warmupMs: 300 });
    const used = simulate(plan, 1, 40, () => 1);
    expect(plan.trials).toEqual([]);
    expect(plan.threads).toBe(estimateThreads(work, 40));
    expect(used.slice(-10).every((t) => t === estimateThreads(work, 40))).toBe(true);
  });

  it('one candidate: settled from the first step', () => {
    const plan = measuredThreadPlan(seed(1, 8), { totalSteps: 10_000 });
    expect(simulate(plan, 1, 100, () => 1).every((t) => t === 1)).toBe(true);
    expect(plan.trials).toEqual([]);
  });

  it('a run that ends during a recheck reports the count it chose, described by the times that chose it', () => {
    const plan = measuredThreadPlan(seed(256, 2), { totalSteps: 1e6, warmupMs: 30, trialMs: 5, recheckMs: 200 });
    // 2 threads twice as fast, until the recheck: then every count is slow alike.
    let rechecking = false;
    simulate(plan, 30, 100, (t) => (rechecking ? 3 : t === 2 ? 0.5 : 1));
    expect(plan.chosen).toBe(2);
    const decided = plan.decidedTrials;
    expect(describeThreadChoice(plan)).toMatch(
      /^auto: fastest measured \(ms per step: 1 thread 1\.0, 2 threads 0\.50\)$/,
    );
    // Step into the next recheck and stop after three of its six timed runs: one count then has two new times,
    // enough to move its median of the latest three.
    rechecking = true;
    for (let guard = 0; plan.trials.length < decided + 3 && guard < 10_000; guard++) {
      const seg = plan.next(100);
      plan.record(seg.threads, seg.steps, seg.steps * 3);
    }
    expect(plan.trials.length).toBe(decided + 3);
    expect(plan.decidedTrials).toBe(decided);
    expect(plan.chosen).toBe(2);
    // The description still gives the times that chose 2, not the unfinished round's.
    expect(describeThreadChoice(plan)).toMatch(/1 thread 1\.0, 2 threads 0\.50\)$/);
  });

  it('more threads must be faster by the margin: a near tie goes to fewer threads', () => {
    const plan = measuredThreadPlan(seed(256, 2), { totalSteps: 40 * 100, warmupMs: 30, trialMs: 5 });
    simulate(plan, 40, 100, (t) => (t === 2 ? 0.99 : 1));
    expect(plan.threads).toBe(1);
    const clear = measuredThreadPlan(seed(256, 2), { totalSteps: 40 * 100, warmupMs: 30, trialMs: 5 });
    simulate(clear, 40, 100, (t) => (t === 2 ? 0.9 : 1));
    expect(clear.threads).toBe(2);
  });

  it('times the candidates again while settled, and follows a machine that changes under the run', () => {
    // 2 threads are faster for the first 3,000 steps (another program paused), then slower for the rest.
    const total = 60 * 100;
    const plan = measuredThreadPlan(seed(256, 2), { totalSteps: total, warmupMs: 30, trialMs: 5, recheckMs: 200 });
    const used = simulate(plan, 60, 100, (t, step) => (step < 3_000 ? (t === 2 ? 0.5 : 1) : t === 2 ? 1.5 : 1));
    expect(used[2_900]).toBe(2);
    expect(plan.threads).toBe(1);
    // Over the slow part, the best fixed choice (1 thread) would take 3,000 ms; the plan loses at most 10%.
    const after = used.slice(3_000).reduce((ms, t) => ms + (t === 2 ? 1.5 : 1), 0);
    expect(after).toBeLessThan(3_000 * 1.1);
  });

  it('a choice that holds is timed again less and less often', () => {
    const plan = measuredThreadPlan(seed(256, 2), { totalSteps: 400 * 100, warmupMs: 30, trialMs: 5, recheckMs: 100 });
    const used = simulate(plan, 400, 100, (t) => (t === 2 ? 0.5 : 1));
    expect(plan.threads).toBe(2);
    // Trials of 1 thread come in rounds of 3; the settled stretches between rounds grow up to 16x recheckMs.
    const rounds = plan.trials.filter((t) => t.threads === 1).length / 3;
    expect(rounds).toBeGreaterThan(3);
    // Without growth (a round every 100 ms of ~20 s of training) there would be about 200 rounds.
    expect(rounds).toBeLessThan(30);
    // The slow count's steps (warm-up excluded: it runs on 2) stay a small part of the run.
    expect(used.filter((t) => t === 1).length).toBeLessThan(0.05 * used.length);
  });
});

describe('what a choice rests on, in words', () => {
  it('follows the plan from measuring to measured, and names the latest medians', () => {
    const plan = measuredThreadPlan(seed(256, 2), { totalSteps: 40 * 100, warmupMs: 30, trialMs: 5 });
    expect(plan.basis).toBe('measuring');
    expect(describeThreadChoice(plan, 'worker')).toBe('auto: timing 1 worker, 2 workers on the first steps');
    simulate(plan, 40, 100, (t) => (t === 2 ? 0.5 : 1));
    expect(plan.basis).toBe('measured');
    expect(describeThreadChoice(plan)).toBe('auto: fastest measured (ms per step: 1 thread 1.0, 2 threads 0.50)');
  });

  it('says when nothing was timed, and why', () => {
    const short = measuredThreadPlan(seed(256, 2), { totalSteps: 40 });
    expect(short.basis).toBe('estimated');
    expect(describeThreadChoice(short)).toBe('auto: too short a run to time the counts, so the cost model chose');
    const one = measuredThreadPlan(seed(1, 8), { totalSteps: 10_000 });
    expect(one.basis).toBe('only');
    expect(describeThreadChoice(fixedThreadPlan(3))).toBe('as requested');
  });
});
