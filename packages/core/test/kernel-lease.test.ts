// Kernels lent from the per-thread stock: `fit` reuses one WebAssembly instance from run to run (so V8 keeps the
// step's optimised code), and a run on an instance an earlier run used must give the bits a fresh one gives.
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { jsKernels } from '../src/kernels/kernels.js';
import { leaseKernels, withKernels } from '../src/kernels/lease.js';
import { wasmKernelsSupported } from '../src/kernels/wasm/backend.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { fit } from '../src/train/fit.js';
import type { FitOptions } from '../src/train/options.js';
import { randomData } from './helpers.js';

describe('leaseKernels', () => {
  it('lends the TypeScript kernels for js', () => {
    const lease = leaseKernels('js');
    expect(lease.kernels).toBe(jsKernels);
    lease.release();
  });

  describe.skipIf(!wasmKernelsSupported())('wasm', () => {
    it('lends a released instance again, with its memory back where the run found it and zeroed', () => {
      const first = leaseKernels('wasm');
      const wasm = first.kernels.wasm;
      if (!wasm) throw new Error('expected wasm kernels');
      const top = wasm.mark();
      first.kernels.allocF32(1000).fill(7);
      first.release();
      first.release(); // a second release is a no-op, not a second copy in the stock

      const again = leaseKernels('wasm');
      const other = leaseKernels('wasm');
      expect(again.kernels).toBe(first.kernels);
      expect(other.kernels).not.toBe(first.kernels);
      expect(wasm.mark()).toBe(top);
      expect(again.kernels.allocF32(1000).every((v) => v === 0)).toBe(true);
      again.release();
      other.release();
    });

    it('withKernels hands the kernels back when its work ends, and when it throws', async () => {
      let used: unknown;
      await expect(
        withKernels('wasm', (kernels) => {
          used = kernels;
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const again = leaseKernels('wasm');
      expect(again.kernels).toBe(used);
      again.release();
      expect(await withKernels('wasm', (kernels) => kernels)).toBe(used);
    });

    it('gives runs that hold kernels at once an instance each', () => {
      const leases = [leaseKernels('wasm'), leaseKernels('wasm'), leaseKernels('wasm')];
      expect(new Set(leases.map((l) => l.kernels)).size).toBe(3);
      for (const l of leases) l.release();
    });

    it('does not keep an instance whose memory grew past 64 MiB (WebAssembly memory never shrinks)', () => {
      const big = leaseKernels('wasm');
      big.kernels.allocF32(17 * 1024 * 1024);
      big.release();
      const held = [leaseKernels('wasm'), leaseKernels('wasm'), leaseKernels('wasm')];
      expect(held.map((l) => l.kernels)).not.toContain(big.kernels);
      for (const l of held) l.release();
    });

    it('fit on an instance an earlier, different run used gives the bits of a fresh instance', async () => {
      const data = randomData(200, 6, 2, 'categoricalCrossentropy');
      const options: FitOptions = {
        loss: 'cce',
        optimizer: { name: 'adam', learningRate: 0.01 },
        epochs: 3,
        batchSize: 16,
        seed: 5,
        kernels: 'wasm',
      };
      const run = async () => {
        const model = Mlp.create(mlpSpec(6, [5, 2], 'tanh', 'softmax'), { seed: 2 });
        await fit(model, data, options);
        return model.params;
      };
      // Hold every kept instance, so that the first run gets a fresh one; it goes to the stock when that run ends.
      const held = [leaseKernels('wasm'), leaseKernels('wasm')];
      const fresh = await run();
      // A different run on that instance: another shape, optimizer and loss leave other values in its memory.
      const dirty = Mlp.create(mlpSpec(6, [9, 7, 2], 'relu'), { seed: 3 });
      await fit(dirty, data, {
        loss: 'mse',
        optimizer: { name: 'rmsprop', momentum: 0.5 },
        epochs: 2,
        kernels: 'wasm',
      });
      const reused = await run();
      // Two runs at once, each on its own instance.
      const [a, b] = await Promise.all([run(), run()]);
      for (const l of held) l.release();
      for (const params of [reused, a, b]) expect(bits(params).equals(bits(fresh))).toBe(true);
    });
  });
});
