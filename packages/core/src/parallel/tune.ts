/**
 * Model selection on every core: grid or random search with k-fold cross-validation (or one holdout split), and
 * optionally successive halving. Every (candidate x split) fit is one single-threaded job on one of the search's
 * lanes: the calling thread and `threads - 1` pool workers (or, in a rung with fewer fits than threads, a
 * data-parallel `fitParallel` on its share of the threads); the data goes into shared memory once and each
 * thread gathers a split's rows from it the first time it needs them. The workers outlive the search, started and
 * warm for the next one (`search-workers.ts`). A job's result depends only on the
 * candidate, the split and the data, so the results are the same for any thread count. The best candidate is then
 * trained on all rows, as `fit` would, with `fitParallel` (threads 'auto') so that the one fit left may use every
 * core where that pays.
 */
import { setMaxListeners } from 'node:events';
import type { Dataset } from '../data/dataset.js';
import { classLabels, foldCount, foldRows, holdoutFolds, kFolds } from '../data/folds.js';
import type { ClassWeight } from '../data/row-weights.js';
import type { KernelPreference } from '../kernels/kernels.js';
import { type LossName, parseLoss, targetWidth } from '../losses/loss.js';
import { paramLayout, trainFlopsPerRow } from '../model/layout.js';
import { Mlp } from '../model/mlp.js';
import { fit } from '../train/fit.js';
import type { FitResult } from '../train/loop.js';
import { isClassification } from '../train/metrics.js';
import type { Callbacks, FitOptions } from '../train/options.js';
import {
  checkMetric,
  FoldFitAborted,
  type FoldFitJob,
  type FoldFitResult,
  foldFitOptions,
  greaterIsBetter,
  runFoldFit,
  SplitCache,
  type TuneMetric,
} from '../tune/fold-fit.js';
import { expandGrid, gridPoint, type SearchSpace, sampleGrid } from '../tune/space.js';
import {
  halvingRungs,
  type ResolvedCandidate,
  rankTrials,
  resolveCandidate,
  rungEpochs,
  summarise,
  survivors,
  type TrialResult,
  type TuneSettings,
} from '../tune/trials.js';
import { type SearchData, searchData } from './search-data.js';
import { leaseSearchWorkers, type SearchWorkersLease } from './search-workers.js';
import { autoStartsWorkers, defaultThreads, fitParallel } from './trainer.js';

/** Tells one search's data from another's in the workers, which outlive a search. */
let searches = 0;

/** Progress after each finished fit. */
export interface TuneProgress {
  /** Fits finished (including those taken from `completed`) and planned in all. */
  done: number;
  total: number;
  trial: number;
  fold: number;
  score: number;
}

/**
 * The options of `fitParallel` (they are every candidate's defaults), the base architecture, and the search.
 * `validationSplit` asks for one holdout split (the last rows, as in `fit`) instead of k folds; `earlyStopping`
 * applies to every fit, on its split's validation loss.
 */
export interface TuneOptions
  extends Pick<FitOptions, 'loss' | 'optimizer' | 'epochs' | 'batchSize' | 'shuffle' | 'seed' | 'shards' | 'kernels'> {
  /** Every layer after the input, output last (a candidate's `layers` replaces it). */
  layers: readonly number[];
  /** Hidden activation (default sigmoid). */
  activation?: string;
  /** Output activation (default: the hidden one). */
  outputActivation?: string;
  /** Dropout after every hidden layer, or one rate per hidden layer (default none; a candidate's replaces it). */
  dropout?: number | readonly number[];
  /** Class weights of every fit (`FitOptions.classWeight`; `'balanced'` counts each fit's own training rows). */
  classWeight?: ClassWeight;
  /**
   * The candidates: alternatives per setting, whose product is the grid (`{ learningRate: [0.1, 0.5], layers:
   * [[16, 1], [39, 39, 1]] }`), or an explicit list of settings.
   */
  space: { readonly [K in keyof TuneSettings]?: readonly TuneSettings[K][] } | readonly TuneSettings[];
  /** Try this many candidates drawn at random (seeded by `seed`) instead of all of them. */
  trials?: number;
  /** K for k-fold cross-validation (default 5); stratified by class for classification losses. */
  folds?: number;
  /** Fraction of rows (the last ones) for a single holdout split, instead of folds. */
  validationSplit?: number;
  /** Stratify the folds by class (default: true for classification losses). */
  stratify?: boolean;
  /** What to rank by (default `loss`: the validation loss). */
  metric?: TuneMetric;
  /** Early-stopping patience of every fit, on its split's validation loss (the refit watches the training loss). */
  earlyStopping?: { patience: number };
  /** Successive halving: all candidates on a third of a third... of the epochs, the best third goes on. */
  halving?: boolean;
  /**
   * Concurrent fits (default, and `'auto'`: every core, one single-threaded fit per core): the calling thread runs
   * one lane of fits itself, `threads - 1` pool workers the others (see `keepWorkersMs`).
   */
  threads?: number | 'auto';
  /**
   * How long the search's workers wait for the next search in this process before they exit, in ms (default
   * `SEARCH_WORKERS_IDLE_MS`, 30 s; 0: they exit with the search). A later search finds them started and warm;
   * idle, they never keep the process alive. `closeSearchWorkers` closes them at once, `startSearchWorkers` starts
   * them before a search.
   */
  keepWorkersMs?: number;
  /** Train the best candidate on all rows at the end (default true). */
  refit?: boolean;
  /** Callbacks of the refit. */
  refitCallbacks?: Callbacks;
  /** Trials already finished (by candidate index and epochs), e.g. read back after an interruption: not rerun. */
  completed?: readonly TrialResult[];
  onFitEnd?: (progress: TuneProgress) => void;
  /** After each trial's last split (in successive halving: after each rung's). */
  onTrialEnd?: (trial: TrialResult) => void;
  /** Aborting stops the search: running fits are terminated, finished trials are returned. */
  signal?: AbortSignal;
}

export interface TuneResult {
  metric: TuneMetric;
  greaterIsBetter: boolean;
  /** Finished trials in candidate order (successive halving: each trial's last rung). */
  trials: TrialResult[];
  /** The same trials, best first. */
  leaderboard: TrialResult[];
  best: { index: number; settings: TuneSettings; mean: number; std: number } | null;
  /** Number of splits (folds, or 1 for a holdout). */
  splits: number;
  threads: number;
  /** True when `signal` stopped the search (no refit then). */
  aborted: boolean;
  /** The best candidate trained on all rows. */
  refit?: { model: Mlp; result: FitResult };
}

/** The candidate list a space describes (all of a grid, or a seeded sample of `trials`). */
export function candidatesOf(space: TuneOptions['space'], trials: number | undefined, seed: number): TuneSettings[] {
  if (Array.isArray(space)) {
    const list = space as readonly TuneSettings[];
    if (list.length === 0) throw new RangeError('options.space lists no candidates');
    if (trials === undefined || trials >= list.length) return [...list];
    return sampleGrid({ i: list }, trials, seed).map((i) => list[i]);
  }
  const grid = space as SearchSpace;
  if (trials === undefined) return expandGrid(grid) as TuneSettings[];
  return sampleGrid(grid, trials, seed).map((i) => gridPoint(grid, i) as TuneSettings);
}

/** The fold of every row, as the options ask: k folds (stratified for classes) or one holdout. */
export function splitsFor(
  data: Dataset,
  loss: LossName,
  options: Pick<TuneOptions, 'folds' | 'validationSplit' | 'stratify' | 'seed'>,
): Int32Array {
  if (options.validationSplit !== undefined && options.validationSplit > 0) {
    if (options.folds !== undefined)
      throw new RangeError('options.folds and options.validationSplit cannot both be given');
    return holdoutFolds(data.rows, options.validationSplit);
  }
  const k = options.folds ?? 5;
  const stratify = options.stratify ?? isClassification(loss);
  return kFolds(data.rows, k, options.seed ?? 1, stratify ? classLabels(data, loss) : null);
}

/** Resolves on the event loop's next turn (after pending I/O: workers' messages, signals). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Searches the candidates of `options.space` by cross-validation on `data`, each (candidate x split) fit a
 * single-threaded job on `options.threads` workers, and trains the best candidate on all rows.
 */
export async function tune(data: Dataset, options: TuneOptions): Promise<TuneResult> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const loss = parseLoss(options.loss);
  const metric = checkMetric(options.metric ?? 'loss', loss);
  const threads = options.threads === undefined || options.threads === 'auto' ? defaultThreads() : options.threads;
  if (!(Number.isInteger(threads) && threads >= 1)) {
    throw new RangeError(`options.threads must be a positive integer or "auto", got ${String(options.threads)}`);
  }
  const patience = options.earlyStopping?.patience;
  if (patience !== undefined && !(Number.isInteger(patience) && patience >= 1)) {
    throw new RangeError(`options.earlyStopping.patience must be a positive integer, got ${patience}`);
  }
  const keepWorkersMs = options.keepWorkersMs;
  if (keepWorkersMs !== undefined && !(typeof keepWorkersMs === 'number' && keepWorkersMs >= 0)) {
    throw new RangeError(`options.keepWorkersMs must be a number of milliseconds >= 0, got ${String(keepWorkersMs)}`);
  }
  const seed = options.seed ?? 1;
  const candidates = candidatesOf(options.space, options.trials, seed);
  const resolved: ResolvedCandidate[] = candidates.map((c, i) => resolveCandidate(options, c, data.features, i));
  resolved.forEach((c, i) => {
    const units = c.spec.layers[c.spec.layers.length - 1].units;
    if (targetWidth(loss, units) !== data.outputs) {
      throw new RangeError(
        `candidate ${i} (${JSON.stringify(candidates[i])}): ${loss} on ${units} outputs needs ${targetWidth(loss, units)} target columns, the data has ${data.outputs}`,
      );
    }
  });
  const folds = splitsFor(data, loss, options);
  const splits = foldCount(folds);
  const kernels = options.kernels ?? 'auto';

  const rungs = options.halving ? halvingRungs(candidates.length) : 1;
  let total = 0;
  for (let r = 0, n = candidates.length; r < rungs; r++, n = survivors(n)) total += n * splits;

  const finished = new Map<number, TrialResult>();
  const completed = options.completed ?? [];
  let done = 0;
  let workers: SearchWorkersLease | undefined;
  let sharedData: SearchData | undefined;
  let mainSplits: SplitCache | undefined;
  const signal = options.signal;
  let aborted = signal?.aborted === true;
  // One signal for every queued fit, without the listener-count warning a user's signal would give.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let alive = candidates.map((_, i) => i);
    for (let rung = 0; rung < rungs && !aborted; rung++) {
      const budget = (i: number) => (rungs === 1 ? resolved[i].epochs : rungEpochs(resolved[i].epochs, rung, rungs));
      const jobs: FoldFitJob[] = [];
      const scores = new Map<number, FoldFitResult[]>();
      // The costliest trials first (longest processing time first), so that the last fits to finish are short
      // ones and no thread idles at the end; a trial's folds stay together, so trials finish one after another.
      const cost = (i: number) => trainFlopsPerRow(paramLayout(resolved[i].spec)) * budget(i);
      const order = [...alive].sort((a, b) => cost(b) - cost(a) || a - b);
      for (const i of order) {
        const previous = completed.find((t) => t.index === i && t.epochs === budget(i));
        if (previous) {
          const trial = { ...previous, settings: candidates[i], ...(rungs > 1 ? { rung } : {}) };
          finished.set(i, trial);
          done += splits;
          continue;
        }
        scores.set(i, []);
        const c = resolved[i];
        for (let fold = 0; fold < splits; fold++) {
          jobs.push({
            trial: i,
            fold,
            spec: c.spec,
            loss,
            optimizer: c.optimizer,
            batchSize: c.batchSize,
            epochs: budget(i),
            seed: c.seed,
            shuffle: c.shuffle,
            ...(c.shards !== undefined ? { shards: c.shards } : {}),
            ...(patience !== undefined ? { patience } : {}),
            rules: c.rules,
            ...(options.classWeight !== undefined ? { classWeight: options.classWeight } : {}),
            kernels,
            metric,
          });
        }
      }
      if (jobs.length > 0) {
        // A rung with fewer fits than threads would leave cores idle: each fit then gets an equal share of the
        // threads and trains data-parallel (fitParallel, threads 'auto', the same bits as fit) where 'auto' would
        // start workers for it at all; the others stay single-threaded fits on the pool.
        const share = Math.floor(threads / jobs.length);
        const spread = new Set(share > 1 ? jobs.filter((job) => spreadsOver(job, share, folds)) : []);
        const pooled = jobs.length - spread.size;
        const lanes = Math.min(threads - spread.size * share, pooled);
        // This thread takes one of the lanes itself unless it coordinates data-parallel fits: it would otherwise
        // only wait for the workers, and it needs no start-up while they start (nor does a 1-thread search start
        // any). The other lanes are pool workers.
        const here = spread.size === 0 && lanes > 0 ? 1 : 0;
        if (lanes - here > 0) {
          workers ??= leaseSearchWorkers(lanes - here);
          sharedData ??= searchData(++searches, data, folds);
        }
        const pool = workers?.pool;
        const poolData = sharedData;
        const splitsHere = () => {
          mainSplits ??= new SplitCache(data, folds);
          return mainSplits;
        };
        const spreadFit = (job: FoldFitJob) =>
          runFoldFit(splitsHere(), job, (model, rows, fitOptions) =>
            fitParallel(model, rows, { ...fitOptions, threads: 'auto', maxThreads: share, signal: stop.signal }),
          );
        // The fit itself, as a worker runs it (the same bits), giving the event loop a turn after each epoch so that
        // the workers' results, progress and Ctrl-C are not held up until it ends.
        const fitOnThisThread = (job: FoldFitJob) =>
          runFoldFit(splitsHere(), job, (model, rows, fitOptions) =>
            fit(model, rows, { ...fitOptions, signal: stop.signal, callbacks: { onEpochEnd: nextTurn } }),
          );
        const fitOnPool = (job: FoldFitJob) =>
          (pool as NonNullable<typeof pool>).run({ data: poolData as SearchData, job }, { signal: stop.signal });
        const runJob = async (job: FoldFitJob, run: (job: FoldFitJob) => Promise<FoldFitResult>): Promise<void> => {
          let result: FoldFitResult;
          try {
            result = await run(job);
          } catch (error) {
            if (signal?.aborted || error instanceof FoldFitAborted) {
              aborted = true;
              return;
            }
            throw error;
          }
          const list = scores.get(job.trial) as FoldFitResult[];
          list.push(result);
          done++;
          options.onFitEnd?.({ done, total, trial: job.trial, fold: job.fold, score: result.score });
          if (list.length === splits) {
            list.sort((a, b) => a.fold - b.fold);
            const trial = trialOf(
              job.trial,
              candidates[job.trial],
              list,
              budget(job.trial),
              rungs > 1 ? rung : undefined,
              jobs.some((j) => j.trial === job.trial && spread.has(j)) ? share : 1,
            );
            finished.set(job.trial, trial);
            options.onTrialEnd?.(trial);
          }
        };
        // The lanes take the fits one at a time, in the order above: handing them all to the pool at once would
        // leave the order to its queue, which does not keep it (a long fit could then run last, alone). The
        // workers' lanes start first, so that their first fits are on their way while this thread trains.
        const queue = jobs.filter((job) => !spread.has(job));
        let next = 0;
        const lane = async (run: (job: FoldFitJob) => Promise<FoldFitResult>): Promise<void> => {
          while (next < queue.length && !aborted) await runJob(queue[next++], run);
        };
        await Promise.all([
          ...[...spread].map((job) => runJob(job, spreadFit)),
          ...Array.from({ length: lanes - here }, () => lane(fitOnPool)),
          ...(here ? [lane(fitOnThisThread)] : []),
        ]);
      }
      if (signal?.aborted) aborted = true;
      if (aborted) break;
      if (rung < rungs - 1) {
        const ranked = rankTrials(
          alive.map((i) => finished.get(i) as TrialResult),
          metric,
        );
        alive = ranked
          .slice(0, survivors(alive.length))
          .map((t) => t.index)
          .sort((a, b) => a - b);
      }
    }
  } catch (error) {
    await workers?.release(true);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  // The workers wait for the next search (see search-workers.ts) while this one refits.
  void workers?.release(false, keepWorkersMs);

  const trials = [...finished.values()].sort((a, b) => a.index - b.index);
  const leaderboard = rankTrials(trials, metric);
  const top = leaderboard[0];
  const best =
    !aborted && top && !Number.isNaN(top.mean)
      ? { index: top.index, settings: top.settings, mean: top.mean, std: top.std }
      : null;
  const result: TuneResult = {
    metric,
    greaterIsBetter: greaterIsBetter(metric),
    trials,
    leaderboard,
    best,
    splits,
    threads,
    aborted,
  };
  if (best && options.refit !== false) {
    result.refit = await refitBest(data, resolved[best.index], loss, kernels, threads, options);
    result.aborted = result.refit.result.aborted;
  }
  return result;
}

/**
 * The best candidate trained on all rows, as `fit` would: the search's fits are one per core, and the refit is the
 * one fit left, so it may use the cores data-parallel where that pays (threads 'auto' times the counts on its own
 * steps; a small network's short refit stays on one thread). The weights are the bits `fit` gives, whatever the
 * count.
 */
async function refitBest(
  data: Dataset,
  c: ResolvedCandidate,
  loss: LossName,
  kernels: KernelPreference,
  threads: number,
  options: TuneOptions,
): Promise<{ model: Mlp; result: FitResult }> {
  const patience = options.earlyStopping?.patience;
  const model = Mlp.create(c.spec, { seed: c.seed });
  const fitOptions: FitOptions = {
    loss,
    optimizer: c.optimizer,
    batchSize: c.batchSize,
    epochs: c.epochs,
    shuffle: c.shuffle,
    seed: c.seed,
    shards: c.shards,
    kernels,
    ...c.rules,
    ...(options.classWeight !== undefined ? { classWeight: options.classWeight } : {}),
    ...(patience !== undefined ? { earlyStopping: { patience, monitor: 'loss' as const } } : {}),
    ...(options.refitCallbacks ? { callbacks: options.refitCallbacks } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const result = await fitParallel(model, data, { ...fitOptions, threads: 'auto', maxThreads: threads });
  return { model, result };
}

/** True when the job's fit, given `threads` of its own, would train data-parallel (see `autoStartsWorkers`). */
function spreadsOver(job: FoldFitJob, threads: number, folds: Int32Array): boolean {
  const rows = foldRows(folds, job.fold).train.length;
  const options = { ...foldFitOptions(job), maxThreads: threads };
  return autoStartsWorkers(Mlp.create(job.spec, { seed: job.seed }), rows, options);
}

function trialOf(
  index: number,
  settings: TuneSettings,
  results: readonly FoldFitResult[],
  epochs: number,
  rung: number | undefined,
  threads: number,
): TrialResult {
  const folds = results.map((r) => r.score);
  const { mean, std } = summarise(folds);
  const ms = results.reduce((sum, r) => sum + r.ms, 0);
  const error = results.find((r) => r.error !== undefined)?.error;
  return {
    index,
    settings,
    folds,
    mean,
    std,
    ms,
    epochs,
    ...(rung !== undefined ? { rung } : {}),
    ...(threads > 1 ? { threads } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}
