// Each epoch must see a fresh row order: a shuffle seed that forgot the epoch would give every epoch the same
// order (silently weakening SGD) and still pass every parity and resume test, since both sides would agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { permutation } from '../src/data/shuffle.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { Rng } from '../src/random.js';
import { fit } from '../src/train/fit.js';
import { epochOrder } from '../src/train/loop.js';
import { randomData } from './helpers.js';

const isPermutation = (order: Int32Array) => [...order].sort((a, b) => a - b).every((v, i) => v === i);

describe('shuffle order per epoch', () => {
  it('consecutive epochs get different orders, each a permutation, the same again for the same (seed, epoch)', () => {
    for (const seed of [1, 2, 12345]) {
      const orders = [0, 1, 2, 3, 4].map((epoch) => epochOrder(50, seed, epoch, true));
      for (const order of orders) expect(isPermutation(order)).toBe(true);
      for (let e = 1; e < orders.length; e++) expect(orders[e]).not.toEqual(orders[e - 1]);
      expect(epochOrder(50, seed, 3, true)).toEqual(orders[3]);
    }
    expect(epochOrder(50, 1, 0, true)).not.toEqual(epochOrder(50, 2, 0, true));
    expect(epochOrder(5, 1, 7, false)).toEqual(Int32Array.from([0, 1, 2, 3, 4]));
  });

  it('gives the orders it always gave (the first formula: the seed as a uint32), by seed and epoch', () => {
    expect(Array.from(epochOrder(10, 1, 0, true))).toEqual([0, 6, 3, 1, 5, 7, 2, 9, 8, 4]);
    expect(Array.from(epochOrder(10, 7, 3, true))).toEqual([1, 7, 8, 5, 4, 9, 3, 0, 6, 2]);
    expect(Array.from(epochOrder(10, -5, 2, true))).toEqual([1, 0, 8, 3, 4, 6, 2, 5, 7, 9]);
    expect(Array.from(epochOrder(10, 123456789, 1000, true))).toEqual([7, 2, 8, 6, 9, 0, 3, 5, 1, 4]);
    fc.assert(
      fc.property(fc.integer(), fc.nat(100_000), fc.integer({ min: 1, max: 300 }), (seed, epoch, rows) => {
        const first = new Rng((Math.imul(seed | 0, 0x2c1b3c6d) ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
        expect(epochOrder(rows, seed, epoch, true)).toEqual(permutation(rows, first));
      }),
    );
  });

  it('a 2-epoch run differs from two 1-epoch runs that both use epoch 0, and equals epochs 0 then 1 resumed', async () => {
    const data = randomData(64, 3, 1, 'meanSquaredError');
    const spec = mlpSpec(3, [4, 1], 'tanh');
    const options = {
      loss: 'mse' as const,
      optimizer: { name: 'sgd' as const, learningRate: 0.1 },
      batchSize: 8,
      seed: 3,
    };

    const straight = Mlp.create(spec, { seed: 1 });
    await fit(straight, data, { ...options, epochs: 2 });

    const sameOrder = Mlp.create(spec, { seed: 1 });
    const first = await fit(sameOrder, data, { ...options, epochs: 1 });
    await fit(sameOrder, data, { ...options, epochs: 1, initialEpoch: 0, optimizerState: first.optimizerState });

    const resumed = Mlp.create(spec, { seed: 1 });
    const part = await fit(resumed, data, { ...options, epochs: 1 });
    await fit(resumed, data, { ...options, epochs: 1, initialEpoch: 1, optimizerState: part.optimizerState });

    expect(bits(resumed.params).equals(bits(straight.params))).toBe(true);
    expect(bits(sameOrder.params).equals(bits(straight.params))).toBe(false);
  });
});
