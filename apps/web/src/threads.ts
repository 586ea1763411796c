/**
 * The page's "auto" thread count: how many Web Workers a run gets when the visitor leaves Threads on "auto".
 *
 * Every step of data-parallel training ends with two barrier waits, which cost tens of microseconds however small
 * the step. Splitting a step across workers therefore only pays when each worker's share of the step is much
 * larger than that. The work of a step grows with (rows per step) x (parameters); the rule gives one worker per
 * {@link WORK_PER_WORKER} of that product, at least one and at most one per core.
 *
 * Where the constant comes from (the seed network, 4,720 parameters): at batch 32 (151,040 per step) two workers
 * took 57.7 ms per epoch in Chromium against 26.5 ms on one (issue 17), and at batch 256 (1,208,320 per step) two
 * threads ran 1.67x faster than one (`packages/core/bench/parallel.mjs`). 500,000 puts the first case on one
 * worker and the second on two.
 *
 * This is a fixed rule, not a measurement: core's own automatic choice (which times the run's first steps) is the
 * better judge and replaces it where the engine offers it.
 */

/** Rows per step x parameters that justify one more worker. */
export const WORK_PER_WORKER = 500_000;

/** The chosen count and a sentence saying why, for the page's status. */
export interface ThreadChoice {
  threads: number;
  reason: string;
}

/**
 * The thread count for "auto".
 * @param rowsPerStep rows in one step: the batch size, or the training rows when there are fewer.
 * @param paramCount the network's parameters.
 * @param cores logical cores the browser reports.
 */
export function autoThreads(rowsPerStep: number, paramCount: number, cores: number): ThreadChoice {
  const work = rowsPerStep * paramCount;
  const byWork = Math.max(1, Math.floor(work / WORK_PER_WORKER));
  const threads = Math.max(1, Math.min(cores, byWork));
  const product = `${rowsPerStep.toLocaleString('en-US')} rows x ${paramCount.toLocaleString('en-US')} parameters per step`;
  let reason: string;
  if (threads === 1 && byWork === 1) {
    reason = `auto: ${product} is too little work to share`;
  } else if (threads < byWork) {
    reason = `auto: ${product}, one worker per core`;
  } else {
    reason = `auto: ${product}, one worker per ${WORK_PER_WORKER.toLocaleString('en-US')}`;
  }
  return { threads, reason };
}
