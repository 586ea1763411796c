import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import type { LossInput, LossName } from '../src/losses/loss.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { fit } from '../src/train/fit.js';
import { TrainingError } from '../src/train/loop.js';
import { evaluate } from '../src/train/metrics.js';
import type { BatchLog, FitOptions } from '../src/train/options.js';
import { randomData } from './helpers.js';

const seedSpec = mlpSpec(39, [39, 39, 39, 1], 'sigmoid');

describe('fit', () => {
  it('same seed, same data, same options: bitwise-identical weights', async () => {
    const data = randomData(300, 39, 1, 'meanSquaredError');
    const run = async () => {
      const m = Mlp.create(seedSpec, { seed: 4 });
      await fit(m, data, {
        loss: 'mse',
        optimizer: { name: 'adam', learningRate: 0.01 },
        epochs: 3,
        batchSize: 32,
        seed: 8,
      });
      return m.params;
    };
    const a = await run();
    const b = await run();
    expect(bits(a).equals(bits(b))).toBe(true);
  });

  it('a different shuffle seed gives different weights', async () => {
    const data = randomData(200, 39, 1, 'meanSquaredError');
    const m1 = Mlp.create(seedSpec, { seed: 4 });
    const m2 = Mlp.create(seedSpec, { seed: 4 });
    await fit(m1, data, { loss: 'mse', epochs: 1, seed: 1 });
    await fit(m2, data, { loss: 'mse', epochs: 1, seed: 2 });
    expect(bits(m1.params).equals(bits(m2.params))).toBe(false);
  });

  it('learns: the loss falls on a learnable problem and beats predicting the mean', async () => {
    const data = randomData(512, 4, 1, 'meanSquaredError');
    // Target: a smooth function of the inputs, squashed into (0, 1).
    for (let r = 0; r < data.rows; r++) {
      const x = data.x.subarray(r * 4, r * 4 + 4);
      data.y[r] = 1 / (1 + Math.exp(-(2 * x[0] - 3 * x[1] * x[2] + x[3])));
    }
    const m = Mlp.create(mlpSpec(4, [16, 16, 1], 'tanh', 'sigmoid'), { seed: 1 });
    const result = await fit(m, data, {
      loss: 'mse',
      optimizer: { name: 'adam', learningRate: 0.01 },
      epochs: 30,
      batchSize: 32,
    });
    const first = result.history[0].loss;
    const last = result.history[result.history.length - 1].loss;
    expect(last).toBeLessThan(first / 5);
    expect(evaluate(m, data, 'meanSquaredError').r2).toBeGreaterThan(0.9);
  });

  it('resuming from a snapshot continues bitwise-identically to an uninterrupted run', async () => {
    const data = randomData(250, 39, 1, 'meanSquaredError');
    const opts = {
      loss: 'mse' as const,
      optimizer: { name: 'adam' as const, learningRate: 0.01 },
      batchSize: 32,
      seed: 3,
    };
    const whole = Mlp.create(seedSpec, { seed: 6 });
    const wr = await fit(whole, data, { ...opts, epochs: 4 });
    const part = Mlp.create(seedSpec, { seed: 6 });
    const first = await fit(part, data, { ...opts, epochs: 2 });
    expect(first.nextEpoch).toBe(2);
    const second = await fit(part, data, {
      ...opts,
      epochs: 2,
      initialEpoch: first.nextEpoch,
      optimizerState: first.optimizerState,
    });
    expect(bits(part.params).equals(bits(whole.params))).toBe(true);
    expect(second.optimizerState.step).toBe(wr.optimizerState.step);
    expect(second.history.map((h) => h.epoch)).toEqual([2, 3]);
  });

  it('reports every step with running loss and rows/s; the last batch may be partial', async () => {
    const data = randomData(70, 3, 1, 'meanSquaredError');
    const logs: BatchLog[] = [];
    const m = Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 });
    await fit(m, data, { loss: 'mse', batchSize: 32, callbacks: { onBatchEnd: (l) => logs.push({ ...l }) } });
    expect(logs.map((l) => [l.step, l.rowsDone])).toEqual([
      [1, 32],
      [2, 64],
      [3, 70],
    ]);
    expect(logs.every((l) => l.stepsPerEpoch === 3 && l.rowsPerSec > 0 && Number.isFinite(l.loss))).toBe(true);
  });

  it('a diverging run stops with an error naming the epoch and step, before the weights turn non-finite', async () => {
    const data = randomData(128, 5, 1, 'meanSquaredError');
    data.x.fill(1e4, 0, 5 * 40);
    const m = Mlp.create(mlpSpec(5, [8, 1], 'relu', 'linear'), { seed: 1 });
    const err = await fit(m, data, {
      loss: 'mse',
      optimizer: { name: 'sgd', learningRate: 10 },
      epochs: 5,
      batchSize: 16,
      shuffle: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.message).toMatch(/^loss became (NaN|Infinity) at epoch \d+ \(counted from 0\), step \d+/);
    expect(m.params.every((v) => Number.isFinite(v))).toBe(true);
  });

  it.each(['js', 'wasm'] as const)(
    'a diverging run leaves the weights of the start of the failed epoch (%s kernels)',
    async (kernels) => {
      const data = randomData(128, 5, 1, 'meanSquaredError');
      data.x.fill(1e4, 0, 5 * 40);
      const opts = {
        loss: 'mse' as const,
        optimizer: { name: 'sgd' as const, learningRate: 10 },
        batchSize: 16,
        shuffle: false,
        kernels,
      };
      const m = Mlp.create(mlpSpec(5, [8, 1], 'relu', 'linear'), { seed: 1 });
      const err = await fit(m, data, { ...opts, epochs: 5 }).catch((e) => e);
      expect(err).toBeInstanceOf(TrainingError);
      const before = Mlp.create(mlpSpec(5, [8, 1], 'relu', 'linear'), { seed: 1 });
      if (err.epoch > 0) await fit(before, data, { ...opts, epochs: err.epoch });
      expect(bits(m.params)).toEqual(bits(before.params));
    },
  );

  it('abort signal stops after the current step and reports a partial epoch', async () => {
    const data = randomData(320, 3, 1, 'meanSquaredError');
    const controller = new AbortController();
    const m = Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 });
    const r = await fit(m, data, {
      loss: 'mse',
      epochs: 5,
      batchSize: 32,
      signal: controller.signal,
      callbacks: { onBatchEnd: (l) => l.epoch === 1 && l.step === 3 && controller.abort() },
    });
    expect(r.aborted).toBe(true);
    expect(r.epochsRun).toBe(2);
    expect(r.nextEpoch).toBe(1);
    // The resume state is the epoch boundary's (10 steps in), matching nextEpoch; the model keeps step 13's.
    expect(r.optimizerState.step).toBe(10);
    const once = Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 });
    const first = await fit(once, data, { loss: 'mse', epochs: 1, batchSize: 32 });
    expect(bits(r.resumeParams)).toEqual(bits(once.params));
    expect(bits(r.optimizerState.state)).toEqual(bits(first.optimizerState.state));
    expect(bits(m.params)).not.toEqual(bits(once.params));
  });

  it('abort between epochs (during onEpochEnd): the finished epoch counts, resuming continues exactly', async () => {
    const data = randomData(320, 3, 1, 'meanSquaredError');
    const opts = { loss: 'mse' as const, batchSize: 32, optimizer: { name: 'adam' as const, learningRate: 0.01 } };
    const controller = new AbortController();
    const m = Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 });
    const r = await fit(m, data, {
      ...opts,
      epochs: 5,
      signal: controller.signal,
      callbacks: { onEpochEnd: (l) => (l.epoch === 1 ? controller.abort() : undefined) },
    });
    expect(r.aborted).toBe(true);
    expect(r.epochsRun).toBe(2);
    expect(r.nextEpoch).toBe(2);
    expect(r.optimizerState.step).toBe(20);
    const resumed = Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 });
    resumed.params.set(r.resumeParams);
    await fit(resumed, data, { ...opts, epochs: 1, initialEpoch: r.nextEpoch, optimizerState: r.optimizerState });
    const whole = Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 });
    await fit(whole, data, { ...opts, epochs: 3 });
    expect(bits(resumed.params)).toEqual(bits(whole.params));
  });

  it('early stopping restores the best epoch weights', async () => {
    const train = randomData(200, 3, 1, 'meanSquaredError', 1);
    const validation = randomData(100, 3, 1, 'meanSquaredError', 2);
    // Validation targets that move away as training fits the training set.
    for (let r = 0; r < train.rows; r++) train.y[r] = train.x[r * 3] > 0 ? 0.9 : 0.1;
    for (let r = 0; r < validation.rows; r++) validation.y[r] = validation.x[r * 3] > 0 ? 0.1 : 0.9;
    const snapshots: Float32Array[] = [];
    const m = Mlp.create(mlpSpec(3, [8, 1], 'tanh', 'sigmoid'), { seed: 1 });
    const r = await fit(m, train, {
      loss: 'mse',
      optimizer: { name: 'adam', learningRate: 0.05 },
      epochs: 50,
      validationData: validation,
      earlyStopping: { patience: 2 },
      callbacks: { onEpochEnd: () => void snapshots.push(m.params.slice()) },
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.bestEpoch).toBeDefined();
    const losses = r.history.map((h) => h.valLoss as number);
    expect(Math.min(...losses)).toBe(losses[r.bestEpoch as number]);
    expect(r.epochsRun).toBe((r.bestEpoch as number) + 3);
    expect(bits(m.params).equals(bits(snapshots[r.bestEpoch as number]))).toBe(true);
  });

  it('validationSplit holds out the last rows and reports valLoss', async () => {
    const data = randomData(100, 3, 2, 'categoricalCrossentropy');
    const m = Mlp.create(mlpSpec(3, [5, 2], 'relu', 'softmax'), { seed: 1 });
    const r = await fit(m, data, { loss: 'cce', validationSplit: 0.2, epochs: 2 });
    expect(r.history[0].valLoss).toBeGreaterThan(0);
    expect(r.history[0].valAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.history[0].rowsPerSec).toBeGreaterThan(0);
  });

  it('rejects bad options and mismatched data with messages that name them', async () => {
    const data = randomData(10, 3, 1, 'meanSquaredError');
    const m = Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 });
    await expect(fit(m, data, { loss: 'mse', batchSize: 0 })).rejects.toThrow(
      'options.batchSize must be a positive integer, got 0',
    );
    // A name outside the LossInput union is a type error too; the runtime check is for untyped callers.
    await expect(fit(m, data, { loss: 'hinge' as LossInput })).rejects.toThrow('unknown loss "hinge"');
    await expect(fit(m, data, { loss: 'mse', validationSplit: 1 })).rejects.toThrow(
      'options.validationSplit must be in [0, 1)',
    );
    await expect(fit(m, data, { loss: 'mse', earlyStopping: { patience: 2, monitor: 'valLoss' } })).rejects.toThrow(
      'no validation data',
    );
    // Unknown or misplaced keys are errors, not silently ignored (typed callers get a compile error first).
    const untyped = (o: object) => o as FitOptions;
    await expect(fit(m, data, untyped({ loss: 'mse', learningRate: 0.5 }))).rejects.toThrow(
      'options.learningRate is an optimizer option: pass it as options.optimizer.learningRate',
    );
    await expect(fit(m, data, untyped({ loss: 'mse', epoch: 3 }))).rejects.toThrow(
      /^unknown option options\.epoch; the options are loss, optimizer, epochs, /,
    );
    await expect(fit(m, data, untyped({ loss: 'mse', threads: 2 }))).rejects.toThrow(
      'options.threads is an option of fitParallel',
    );
    await expect(fit(m, data, untyped({ loss: 'mse', epoch: undefined, epochs: 0 }))).resolves.toMatchObject({
      epochsRun: 0,
    });
    const wide = randomData(10, 4, 1, 'meanSquaredError');
    await expect(fit(m, wide, { loss: 'mse' })).rejects.toThrow(
      "training data has 4 features, the model's input size is 3",
    );
  });
});

describe('evaluate', () => {
  it('accuracy for classification, MAE and R^2 for regression', () => {
    const m = Mlp.create(mlpSpec(2, [2], 'linear', 'softmax'), { seed: 1 });
    // Identity kernel: class = argmax of the inputs.
    m.params.set([10, 0, 0, 10, 0, 0]);
    const x = Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]);
    const y = Float32Array.from([1, 0, 0, 1, 0, 1, 0, 1]);
    const cls = evaluate(m, { x, y, rows: 4, features: 2, outputs: 2 }, 'categoricalCrossentropy');
    expect(cls.accuracy).toBe(0.75);
    const reg = Mlp.create(mlpSpec(1, [1], 'linear'), { seed: 1 });
    reg.params.set([2, 1]);
    const rx = Float32Array.from([0, 1, 2, 3]);
    const perfect = evaluate(
      reg,
      { x: rx, y: Float32Array.from([1, 3, 5, 7]), rows: 4, features: 1, outputs: 1 },
      'meanSquaredError',
    );
    expect(perfect).toEqual({ loss: 0, mae: 0, rmse: 0, r2: 1 });
    const off = evaluate(
      reg,
      { x: rx, y: Float32Array.from([2, 4, 6, 8]), rows: 4, features: 1, outputs: 1 },
      'meanSquaredError',
    );
    expect(off.mae).toBe(1);
    expect(off.r2).toBeCloseTo(1 - 4 / 20, 12);
  });
});

describe('evaluate: loss names', () => {
  const untrained = () => Mlp.create(mlpSpec(3, [4, 1], 'sigmoid'), { seed: 2 });
  const data = randomData(20, 3, 1, 'binaryCrossentropy');

  it('accepts the names fit accepts (aliases, any case) and computes the same metrics', () => {
    const m = untrained();
    expect(evaluate(m, data, 'mse')).toEqual(evaluate(m, data, 'meanSquaredError'));
    expect(evaluate(m, data, 'MSE' as LossInput)).toEqual(evaluate(m, data, 'meanSquaredError'));
    const bce = evaluate(m, data, 'bce');
    expect(bce).toEqual(evaluate(m, data, 'binaryCrossentropy'));
    // An untrained sigmoid output is near 0.5 everywhere: BCE near ln 2, not 0.
    expect(bce.loss).toBeGreaterThan(0.5);
    expect(evaluate(m, data, 'mse').loss).toBeGreaterThan(0);
  });

  // Keras' names for each loss, written out here rather than read from the library's alias table.
  const spellings: [LossName, string[]][] = [
    ['meanSquaredError', ['mse', 'mean_squared_error', 'MSE', 'Mean_Squared_Error']],
    ['binaryCrossentropy', ['bce', 'binary_crossentropy', 'BCE']],
    ['categoricalCrossentropy', ['cce', 'categorical_crossentropy', 'CCE']],
    ['sparseCategoricalCrossentropy', ['scce', 'sparse_categorical_crossentropy', 'SCCE']],
  ];
  for (const [name, aliases] of spellings) {
    it(`every alias of ${name} that fit accepts gives evaluate the same metrics as the full name`, async () => {
      const outputs = name === 'meanSquaredError' || name === 'binaryCrossentropy' ? 1 : 3;
      const spec = mlpSpec(3, [4, outputs], 'tanh', outputs === 1 ? 'sigmoid' : 'softmax');
      const ds = randomData(24, 3, outputs, name);
      const m = Mlp.create(spec, { seed: 3 });
      const reference = evaluate(m, ds, name);
      expect(reference.loss).toBeGreaterThan(0);
      for (const alias of aliases) {
        // fit takes the alias too: the two accept the same names.
        const trained = Mlp.create(spec, { seed: 3 });
        await fit(trained, ds, { loss: alias as LossInput, epochs: 1, batchSize: 8, seed: 1 });
        expect(evaluate(m, ds, alias as LossInput), alias).toEqual(reference);
      }
    });
  }

  it('rejects an unknown loss name with the list of known ones, as fit does', async () => {
    expect(() => evaluate(untrained(), data, 'bogus' as LossInput)).toThrow(
      /unknown loss "bogus" \(expected one of meanSquaredError/,
    );
    expect(() => evaluate(untrained(), data, 'hinge' as LossInput)).toThrow('unknown loss "hinge"');
    await expect(fit(untrained(), data, { loss: 'bogus' as LossInput })).rejects.toThrow('unknown loss "bogus"');
  });
});

describe('sparse labels are checked up front, naming the dataset row', () => {
  const spec = mlpSpec(3, [4, 3], 'relu', 'softmax');
  const badAt = (row: number, label: number) => {
    const data = randomData(100, 3, 3, 'sparseCategoricalCrossentropy');
    data.y[row] = label;
    return data;
  };

  it('fit names the row of the dataset, not the row inside a shard, before training starts', async () => {
    const m = Mlp.create(spec, { seed: 1 });
    const before = m.params.slice();
    let epochs = 0;
    const run = fit(m, badAt(77, 3), {
      loss: 'scce',
      epochs: 2,
      batchSize: 16,
      callbacks: { onEpochBegin: () => void epochs++ },
    });
    await expect(run).rejects.toThrow('training data row 77: sparse label 3 is not an integer class in [0, 3)');
    expect(epochs).toBe(0);
    expect(bits(m.params).equals(bits(before))).toBe(true);
  });

  it('fit checks explicit validation data and names it', async () => {
    const m = Mlp.create(spec, { seed: 1 });
    const validationData = badAt(5, 1.5);
    const run = fit(m, badAt(0, 0), { loss: 'scce', validationData });
    await expect(run).rejects.toThrow('validation data row 5: sparse label 1.5 is not an integer class in [0, 3)');
  });

  it('evaluate names the row too', () => {
    const m = Mlp.create(spec, { seed: 1 });
    expect(() => evaluate(m, badAt(42, -1), 'scce')).toThrow('data row 42: sparse label -1 is not an integer class');
  });
});
