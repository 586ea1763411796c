// tune: grid and random search with cross-validation on worker threads. A trial's scores are the same for any
// thread count and equal to `fit` on the same rows, finished trials given back are not rerun, successive halving
// narrows the field, and an abort keeps what finished. Needs the compiled worker (the test task builds first).
import { describe, expect, it } from 'vitest';
import { subset } from '../src/data/dataset.js';
import { foldRows, kFolds } from '../src/data/folds.js';
import { seedProblem, wideProblem } from '../src/data/synthetic.js';
import { createKernels } from '../src/kernels/kernels.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { type TuneOptions, tune } from '../src/parallel/tune.js';
import { fit } from '../src/train/fit.js';
import { evaluate } from '../src/train/metrics.js';
import type { TrialResult } from '../src/tune/trials.js';
import { SMALL_SEARCH } from './helpers.js';

const data = seedProblem({ rows: 400, seed: 3 });
const base: TuneOptions = SMALL_SEARCH;
const withoutTime = (trials: TrialResult[]) => trials.map(({ ms: _ms, ...rest }) => rest);

describe('tune', () => {
  it('gives the same trials and refit for 1 and 2 threads', async () => {
    const one = await tune(data, { ...base, threads: 1 });
    const two = await tune(data, { ...base, threads: 2 });
    expect(one.trials).toHaveLength(4);
    expect(withoutTime(two.trials)).toEqual(withoutTime(one.trials));
    expect(two.best).toEqual(one.best);
    expect(Buffer.from(two.refit?.model.params.buffer as ArrayBuffer)).toEqual(
      Buffer.from(one.refit?.model.params.buffer as ArrayBuffer),
    );
    expect(one.trials.every((t) => t.folds.length === 3 && Number.isFinite(t.mean) && t.std >= 0)).toBe(true);
  });

  it('runs the costliest fits first, in order, the folds of a trial together', async () => {
    // Candidates 2 and 3 (two hidden layers of 6) cost more per row than 0 and 1 (one of 4): they go first, so
    // that the fits left at the end are short ones. One thread finishes them in exactly the planned order.
    const finished: string[] = [];
    await tune(data, { ...base, threads: 1, refit: false, onFitEnd: (p) => finished.push(`${p.trial}/${p.fold}`) });
    expect(finished).toEqual(['2/0', '2/1', '2/2', '3/0', '3/1', '3/2', '0/0', '0/1', '0/2', '1/0', '1/1', '1/2']);
  });

  it('gives each fit of a search with fewer fits than threads a share of them, with the same results', async () => {
    // One candidate on one holdout split: a single fit, long enough that threads 'auto' starts workers for it.
    const wide = wideProblem({ rows: 4096, features: 256, classes: 10, seed: 2 });
    const options: TuneOptions = {
      loss: 'cce',
      layers: [256, 256, 10],
      activation: 'relu',
      outputActivation: 'softmax',
      optimizer: { name: 'sgd', learningRate: 0.05 },
      epochs: 4,
      batchSize: 256,
      space: [{}],
      validationSplit: 0.25,
      seed: 5,
      refit: false,
    };
    const one = await tune(wide, { ...options, threads: 1 });
    const two = await tune(wide, { ...options, threads: 2 });
    expect(one.trials[0].threads).toBeUndefined();
    expect(two.trials[0].threads).toBe(2);
    expect(two.trials[0].folds).toEqual(one.trials[0].folds);
    expect(Number.isFinite(one.trials[0].mean)).toBe(true);
    // An abort stops such a fit too: no trial, no score from a half-trained model.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 300);
    const stopped = await tune(wide, { ...options, epochs: 400, threads: 2, signal: controller.signal });
    clearTimeout(timer);
    expect(stopped.aborted).toBe(true);
    expect(stopped.trials).toEqual([]);
    // The seed problem's small fits stay single-threaded on the pool, whatever the share.
    const small = await tune(data, { ...base, threads: 2, space: [{}], validationSplit: 0.25, folds: undefined });
    expect(small.trials[0].threads).toBeUndefined();
  });

  it("scores a fold exactly as fit on the fold's training rows, and refits the best exactly as fit on all rows", async () => {
    const result = await tune(data, { ...base, threads: 2, space: [{ layers: [6, 6, 1], learningRate: 0.5 }] });
    const folds = kFolds(data.rows, 3, 7);
    for (let k = 0; k < 3; k++) {
      const rows = foldRows(folds, k);
      const model = Mlp.create(mlpSpec(39, [6, 6, 1], 'sigmoid'), { seed: 7 });
      const fitted = await fit(model, subset(data, rows.train), {
        loss: 'mse',
        optimizer: { name: 'sgd', learningRate: 0.5 },
        epochs: 3,
        batchSize: 16,
        seed: 7,
      });
      // Scored on kernels of the fit's backend, as fit's own validation is.
      const kernels = createKernels(fitted.kernels);
      expect(result.trials[0].folds[k]).toBe(evaluate(model, subset(data, rows.validation), 'mse', kernels).loss);
    }
    const model = Mlp.create(mlpSpec(39, [6, 6, 1], 'sigmoid'), { seed: 7 });
    await fit(model, data, {
      loss: 'mse',
      optimizer: { name: 'sgd', learningRate: 0.5 },
      epochs: 3,
      batchSize: 16,
      seed: 7,
    });
    expect(result.refit?.model.params).toEqual(model.params);
  });

  it('does not rerun trials given as completed', async () => {
    const completed: TrialResult[] = [
      { index: 2, settings: {}, folds: [1e-9, 1e-9, 1e-9], mean: 1e-9, std: 0, ms: 1, epochs: 3 },
    ];
    const fitted: number[] = [];
    const result = await tune(data, {
      ...base,
      threads: 2,
      completed,
      refit: false,
      onFitEnd: (p) => fitted.push(p.trial),
    });
    expect(fitted.sort()).toEqual([0, 0, 0, 1, 1, 1, 3, 3, 3]);
    expect(result.trials[2].folds).toEqual([1e-9, 1e-9, 1e-9]);
    expect(result.best?.index).toBe(2);
    expect(result.best?.settings).toEqual({ layers: [6, 6, 1], learningRate: 0.1 });
  });

  it('samples --trials candidates at random, seeded', async () => {
    const a = await tune(data, { ...base, trials: 2, refit: false, threads: 2 });
    const b = await tune(data, { ...base, trials: 2, refit: false, threads: 1 });
    expect(a.trials.map((t) => t.settings)).toEqual(b.trials.map((t) => t.settings));
    expect(a.trials).toHaveLength(2);
  });

  it('halving trains every candidate on a third of the epochs and the best third on all of them', async () => {
    const result = await tune(data, {
      ...base,
      epochs: 6,
      space: { learningRate: [0.05, 0.1, 0.2, 0.4, 0.8] },
      halving: true,
      refit: false,
      threads: 2,
    });
    const rung0 = result.trials.filter((t) => t.rung === 0);
    const rung1 = result.trials.filter((t) => t.rung === 1);
    expect(rung0.every((t) => t.epochs === 2)).toBe(true);
    expect(rung1).toHaveLength(2);
    expect(rung1.every((t) => t.epochs === 6)).toBe(true);
    expect(result.leaderboard[0].rung).toBe(1);
  });

  it('stratifies folds and ranks by accuracy for classes, highest first', async () => {
    const classes = wideProblem({ rows: 300, features: 6, classes: 3, seed: 2 });
    const result = await tune(classes, {
      loss: 'cce',
      layers: [8, 3],
      outputActivation: 'softmax',
      optimizer: { name: 'adam', learningRate: 0.01 },
      epochs: 3,
      space: { learningRate: [0.001, 0.03] },
      folds: 3,
      metric: 'accuracy',
      threads: 2,
      refit: false,
    });
    expect(result.greaterIsBetter).toBe(true);
    const [first, second] = result.leaderboard;
    expect(first.mean).toBeGreaterThanOrEqual(second.mean);
    expect(first.folds.every((a) => a >= 0 && a <= 1)).toBe(true);
  });

  it('records a diverging candidate as failed and ranks it last', async () => {
    const space = [{ learningRate: 0.1 }, { learningRate: 1e30, activation: 'linear', outputActivation: 'linear' }];
    const result = await tune(data, { ...base, space, refit: false, threads: 2 });
    const failed = result.trials[1];
    expect(failed.error).toMatch(/loss became/);
    expect(failed.mean).toBeNaN();
    expect(result.leaderboard.at(-1)?.index).toBe(1);
    expect(result.best?.index).toBe(0);
  });

  it('stops on abort, keeping the trials that finished, without a refit', async () => {
    const controller = new AbortController();
    const result = await tune(seedProblem({ rows: 2000, seed: 1 }), {
      ...base,
      epochs: 20,
      threads: 1,
      signal: controller.signal,
      onTrialEnd: () => controller.abort(),
    });
    expect(result.aborted).toBe(true);
    expect(result.trials.length).toBeGreaterThanOrEqual(1);
    expect(result.trials.length).toBeLessThan(4);
    expect(result.refit).toBeUndefined();
    expect(result.best).toBeNull();
  });

  it('lets a timer stop a fit on the calling thread, which gives the event loop a turn after each epoch', async () => {
    // One thread: the one fit runs on this thread, for some seconds (tens of microseconds an epoch). The timer's
    // abort needs the event loop while the fit runs: without a turn after each epoch the fit would end first
    // and its trial would be there.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 100);
    const result = await tune(data, {
      ...base,
      space: [{}],
      validationSplit: 0.25,
      folds: undefined,
      epochs: 50_000,
      threads: 1,
      signal: controller.signal,
    });
    clearTimeout(timer);
    expect(result.aborted).toBe(true);
    expect(result.trials).toEqual([]);
  });

  it('rejects options that cannot work, naming them', async () => {
    await expect(tune(data, { ...base, metric: 'accuracy' })).rejects.toThrow(/accuracy" needs a classification loss/);
    await expect(tune(data, { ...base, threads: 0 })).rejects.toThrow(/options.threads/);
    await expect(tune(data, { ...base, space: { layers: [[4, 2]] } })).rejects.toThrow(/candidate 0 .* 2 outputs/);
    await expect(tune(data, { ...base, space: { learningRate: [-1] } })).rejects.toThrow(/candidate 0/);
    await expect(tune(data, { ...base, folds: 2, validationSplit: 0.2 })).rejects.toThrow(/cannot both/);
  });
});
