// Early stopping on any monitored quantity: losses must fall, accuracies rise (Keras mode='auto').
import { describe, expect, it } from 'vitest';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { fit } from '../src/train/fit.js';
import type { MonitorName } from '../src/train/lr-schedule.js';
import { resolveFitOptions } from '../src/train/options.js';
import { randomData } from './helpers.js';

/** The epoch at which patience-1 early stopping must stop, replayed from the history; and the best epoch. */
function replay(values: number[], better: (a: number, b: number) => boolean): { stop: number; best: number } {
  let best = 0;
  for (let e = 1; e < values.length; e++) {
    if (better(values[e], values[best])) best = e;
    else return { stop: e, best };
  }
  return { stop: -1, best };
}

describe('early stopping watches the chosen quantity', () => {
  const spec = mlpSpec(4, [6, 3], 'tanh', 'softmax');
  const data = randomData(120, 4, 3, 'categoricalCrossentropy', 21);
  const cases: Array<[MonitorName, (a: number, b: number) => boolean]> = [
    ['valAccuracy', (a, b) => a > b],
    ['accuracy', (a, b) => a > b],
    ['valLoss', (a, b) => a < b],
    ['loss', (a, b) => a < b],
  ];
  it.each(cases)('%s', async (monitor, better) => {
    const m = Mlp.create(spec, { seed: 2 });
    const r = await fit(m, data, {
      loss: 'cce',
      optimizer: { name: 'sgd', learningRate: 0.5 },
      epochs: 30,
      batchSize: 16,
      validationSplit: 0.3,
      earlyStopping: { patience: 1, monitor, restoreBestWeights: false },
    });
    const values = r.history.map((h) => h[monitor] as number);
    expect(values.every((v) => Number.isFinite(v))).toBe(true);
    const expected = replay(values, better);
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.length - 1).toBe(expected.stop);
    expect(r.bestEpoch).toBe(expected.best);
  });

  it('minDelta: a fall smaller than minDelta from the best so far is no improvement (Keras EarlyStopping)', async () => {
    const options = {
      loss: 'cce' as const,
      optimizer: { name: 'sgd' as const, learningRate: 0.05 },
      epochs: 30,
      batchSize: 120,
      shuffle: false,
    };
    // Full-batch SGD at a small rate: the loss falls every epoch, by less each time.
    const free = await fit(Mlp.create(spec, { seed: 2 }), data, options);
    const losses = free.history.map((h) => h.loss);
    const falls = losses.slice(1).map((v, e) => losses[e] - v);
    expect(falls.every((d) => d > 0)).toBe(true);
    // Above two of the smallest falls: where the loss falls slowest, two epochs together do not improve.
    const minDelta = 2.5 * Math.min(...falls);
    const patience = 2;
    const r = await fit(Mlp.create(spec, { seed: 2 }), data, {
      ...options,
      earlyStopping: { patience, minDelta, monitor: 'loss', restoreBestWeights: false },
    });
    // Keras' rule, replayed: improvement means below (best so far - minDelta); stop after `patience` misses.
    let best = losses[0];
    let bestEpoch = 0;
    let stop = -1;
    for (let e = 1, wait = 0; e < losses.length; e++) {
      if (losses[e] < best - minDelta) [best, bestEpoch, wait] = [losses[e], e, 0];
      else if (++wait >= patience) {
        stop = e;
        break;
      }
    }
    expect(stop).toBeGreaterThan(0);
    // Some epochs did improve by more than minDelta: the rule decided both ways.
    expect(bestEpoch).toBeGreaterThan(0);
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.map((h) => h.loss)).toEqual(losses.slice(0, stop + 1));
    expect(r.bestEpoch).toBe(bestEpoch);
    // Without minDelta every epoch improves: the run goes the distance.
    const plain = await fit(Mlp.create(spec, { seed: 2 }), data, {
      ...options,
      earlyStopping: { patience, monitor: 'loss', restoreBestWeights: false },
    });
    expect(plain.stoppedEarly).toBe(false);
    expect(plain.epochsRun).toBe(30);
  });

  it('accuracy monitors need a classification loss, val monitors need validation data', () => {
    expect(() =>
      resolveFitOptions({ loss: 'mse', validationSplit: 0.2, earlyStopping: { patience: 2, monitor: 'valAccuracy' } }),
    ).toThrow('options.earlyStopping.monitor is "valAccuracy" but meanSquaredError is not a classification loss');
    expect(() => resolveFitOptions({ loss: 'cce', earlyStopping: { patience: 2, monitor: 'valAccuracy' } })).toThrow(
      'no validation data',
    );
    expect(() =>
      resolveFitOptions({ loss: 'cce', earlyStopping: { patience: 2, monitor: 'val_acc' as MonitorName } }),
    ).toThrow('options.earlyStopping.monitor must be one of loss, valLoss, accuracy, valAccuracy');
  });
});
