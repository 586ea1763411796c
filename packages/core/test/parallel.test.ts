// Data-parallel training: bitwise equality with single-thread fit for any thread count, progress, and failures
// that reject promptly and leave nothing running. Needs the compiled worker (the test task builds first).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SharedArena } from '@shardprop/worker-pool';
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { createKernels } from '../src/kernels/kernels.js';
import type { LossName } from '../src/losses/loss.js';
import { trainFlopsPerRow } from '../src/model/layout.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import type { OptimizerConfig } from '../src/optim/optimizer.js';
import type { WorkerLauncher } from '../src/parallel/engine.js';
import type { TrainDataLayout } from '../src/parallel/protocol.js';
import { sharedDataset } from '../src/parallel/shared-data.js';
import { replicatesUpdate } from '../src/parallel/thread-choice.js';
import { fitParallel, fitWithLauncher, type ParallelFitOptions, threadLauncher } from '../src/parallel/trainer.js';
import { fit } from '../src/train/fit.js';
import { TrainingError } from '../src/train/loop.js';
import { evaluate, type Metrics } from '../src/train/metrics.js';
import type { BatchLog } from '../src/train/options.js';
import { faultLauncher } from './fault-launcher.js';
import { randomData } from './helpers.js';

const CASES: Array<{ loss: LossName; out: 'sigmoid' | 'softmax'; outputs: number; optimizer: OptimizerConfig }> = [
  { loss: 'meanSquaredError', out: 'sigmoid', outputs: 1, optimizer: { name: 'sgd', learningRate: 0.5 } },
  { loss: 'meanSquaredError', out: 'sigmoid', outputs: 1, optimizer: { name: 'adam', learningRate: 0.01 } },
  {
    loss: 'categoricalCrossentropy',
    out: 'softmax',
    outputs: 3,
    optimizer: { name: 'momentum', learningRate: 0.05, nesterov: true },
  },
  { loss: 'categoricalCrossentropy', out: 'softmax', outputs: 3, optimizer: { name: 'rmsprop', learningRate: 0.01 } },
];

describe('fitParallel', () => {
  for (const c of CASES) {
    it.each(['js', 'wasm'] as const)(
      `threads 1-4 give the same bits as fit: ${c.loss}, ${c.optimizer.name}, %s kernels`,
      async (kernels) => {
        const spec = mlpSpec(10, [12, 9, c.outputs], 'tanh', c.out);
        // 300 rows at batch 64: 5 steps per epoch, the last one partial (44 rows, 5 shards of 8-9 rows).
        const data = randomData(300, 10, c.outputs, c.loss, 3);
        const opts = {
          loss: c.loss,
          optimizer: c.optimizer,
          epochs: 3,
          batchSize: 64,
          seed: 5,
          validationSplit: 0.1,
          kernels,
        };
        const reference = Mlp.create(spec, { seed: 2 });
        const ref = await fit(reference, data, opts);
        expect(ref.kernels).toBe(kernels);
        for (const threads of [1, 2, 3, 4]) {
          const m = Mlp.create(spec, { seed: 2 });
          const r = await fitParallel(m, data, { ...opts, threads });
          expect(r.kernels).toBe(kernels);
          expect(bits(m.params).equals(bits(reference.params)), `threads=${threads}`).toBe(true);
          expect(r.history.map((h) => h.loss)).toEqual(ref.history.map((h) => h.loss));
          expect(r.history.map((h) => h.valLoss)).toEqual(ref.history.map((h) => h.valLoss));
          expect(bits(r.optimizerState.state).equals(bits(ref.optimizerState.state))).toBe(true);
          expect(r.optimizerState.step).toBe(ref.optimizerState.step);
        }
      },
    );
  }

  // Both ways of sharing a step: every thread updating its own copy (one barrier per step, small models, as in
  // the cases above) and each thread updating its range of the shared parameters (two barriers, wider models).
  it.each(['js', 'wasm'] as const)(
    'a model wide enough to share the update by ranges gives the same bits as fit for threads 1-3: %s kernels',
    async (kernels) => {
      const spec = mlpSpec(64, [256, 128, 4], 'relu', 'softmax');
      const reference = Mlp.create(spec, { seed: 4 });
      const work = { paramCount: reference.paramCount, flopsPerRow: trainFlopsPerRow(reference.layout), maxThreads: 3 };
      expect(replicatesUpdate({ ...work, batchSize: 64 })).toBe(false);
      expect(replicatesUpdate({ ...work, paramCount: 300, batchSize: 64 })).toBe(true);
      const data = randomData(200, 64, 4, 'categoricalCrossentropy', 7);
      const opts = {
        loss: 'categoricalCrossentropy' as const,
        optimizer: { name: 'adam', learningRate: 0.01 } as const,
        epochs: 2,
        batchSize: 64,
        seed: 3,
        kernels,
      };
      const ref = await fit(reference, data, opts);
      for (const threads of [1, 2, 3]) {
        const m = Mlp.create(spec, { seed: 4 });
        const r = await fitParallel(m, data, { ...opts, threads });
        expect(bits(m.params).equals(bits(reference.params)), `threads=${threads}`).toBe(true);
        expect(bits(r.optimizerState.state).equals(bits(ref.optimizerState.state))).toBe(true);
        expect(r.history.map((h) => h.loss)).toEqual(ref.history.map((h) => h.loss));
      }
    },
  );

  it('the seed network, batch 32, 2 threads: identical to fit, and resumable', async () => {
    const spec = mlpSpec(39, [39, 39, 39, 1], 'sigmoid');
    const data = randomData(640, 39, 1, 'meanSquaredError', 8);
    const opts = {
      loss: 'mse' as const,
      optimizer: { name: 'sgd' as const, learningRate: 0.3 },
      batchSize: 32,
      seed: 1,
    };
    const whole = Mlp.create(spec, { seed: 1 });
    await fit(whole, data, { ...opts, epochs: 2 });
    const m = Mlp.create(spec, { seed: 1 });
    const first = await fitParallel(m, data, { ...opts, epochs: 1, threads: 2 });
    await fitParallel(m, data, {
      ...opts,
      epochs: 1,
      threads: 2,
      initialEpoch: 1,
      optimizerState: first.optimizerState,
    });
    expect(bits(m.params).equals(bits(whole.params))).toBe(true);
  });

  it.each(['js', 'wasm'] as const)(
    'trains a sharedDataset in place (%s kernels): the workers read its own arrays, with the bits of fit',
    async (kernels) => {
      const spec = mlpSpec(12, [10, 3], 'tanh', 'softmax');
      const source = randomData(400, 12, 3, 'categoricalCrossentropy', 9);
      const shared = sharedDataset(source.rows, source.features, source.outputs, { kernels });
      shared.x.set(source.x);
      shared.y.set(source.y);
      expect(shared.x.buffer).toBeInstanceOf(SharedArrayBuffer);
      const opts = {
        loss: 'categoricalCrossentropy' as const,
        optimizer: { name: 'adam' as const, learningRate: 0.01 },
        epochs: 2,
        batchSize: 64,
        seed: 3,
        kernels,
      };
      // The first 300 rows (a view, as a split holding out the last rows gives) are in place too; a copy is not.
      const cases = [
        { data: shared, inPlace: true },
        {
          data: { ...shared, x: shared.x.subarray(0, 300 * 12), y: shared.y.subarray(0, 300 * 3), rows: 300 },
          inPlace: true,
        },
        { data: { ...shared, x: shared.x.slice(), y: shared.y.slice() }, inPlace: false },
        // The targets one row on (a view into the same memory that starts elsewhere): copied, not trained in place.
        {
          data: { ...shared, x: shared.x.subarray(0, 300 * 12), y: shared.y.subarray(3, 3 + 300 * 3), rows: 300 },
          inPlace: false,
        },
      ];
      for (const { data, inPlace } of cases) {
        const seen: SharedArena<TrainDataLayout>[] = [];
        const inner = threadLauncher();
        const launcher: WorkerLauncher = {
          start: (tasks, onFailure) => {
            seen.push(SharedArena.fromDescription(tasks[0].data));
            return inner.start(tasks, onFailure);
          },
          stop: () => inner.stop(),
        };
        const m = Mlp.create(spec, { seed: 4 });
        const expected = Mlp.create(spec, { seed: 4 });
        // The same values in plain arrays.
        await fit(expected, { ...data, x: data.x.slice(), y: data.y.slice() }, opts);
        await fitWithLauncher(m, data, { ...opts, threads: 2 }, launcher);
        expect(bits(m.params).equals(bits(expected.params)), `rows ${data.rows}, in place ${inPlace}`).toBe(true);
        const x = seen[0].views.x;
        // In place: what the workers see is the caller's memory (a write here shows there).
        const before = x[0];
        data.x[0] = 42;
        expect(x[0] === 42).toBe(inPlace);
        data.x[0] = before;
      }
    },
  );

  it.each(['js', 'wasm'] as const)(
    "onTrainEnd's evaluate gives evaluate's metrics bit for bit on any thread count (%s kernels)",
    async (kernels) => {
      const cases = [
        { loss: 'meanSquaredError' as const, outputs: 2, out: 'linear' as const },
        { loss: 'sparseCategoricalCrossentropy' as const, outputs: 3, out: 'softmax' as const },
      ];
      for (const c of cases) {
        const spec = mlpSpec(7, [9, c.outputs], 'tanh', c.out);
        // 2,500 rows: 5 chunks of 512 and a partial one, over up to 3 threads.
        const data = randomData(2500, 7, c.outputs, c.loss, 11);
        const opts = { loss: c.loss, epochs: 1, batchSize: 128, seed: 2, kernels, validationSplit: 0.1 };
        const train = { ...data, x: data.x.slice(0, 2250 * 7), y: data.y.slice(0, 2250 * data.outputs), rows: 2250 };
        const initial = Mlp.create(spec, { seed: 6 });
        for (const threads of [1, 2, 3]) {
          const m = initial.clone();
          const got: Metrics[] = [];
          await fitParallel(m, data, {
            ...opts,
            threads,
            callbacks: {
              onTrainEnd: async (_history, context) => {
                got.push(await context.evaluate(), await context.evaluate(initial.params));
              },
            },
          });
          const backend = createKernels(kernels);
          expect(got[0], `${c.loss}, threads ${threads}`).toEqual(evaluate(m, train, c.loss, backend));
          expect(got[1]).toEqual(evaluate(initial, train, c.loss, backend));
          expect(got[0]).not.toEqual(got[1]);
        }
        // And fit's own engine, on this thread.
        const m = initial.clone();
        let single: Metrics | undefined;
        await fit(m, data, {
          ...opts,
          callbacks: { onTrainEnd: async (_h, context) => void (single = await context.evaluate()) },
        });
        expect(single).toEqual(evaluate(m, train, c.loss, createKernels(kernels)));
      }
    },
  );

  it('sharedDataset rejects bad shapes with one clear error', () => {
    expect(() => sharedDataset(-1, 2, 1)).toThrow(/rows must be a non-negative integer/);
    expect(() => sharedDataset(3, 1.5, 1)).toThrow(/features must be a non-negative integer/);
  });

  it("threads 'auto' (the default) gives the bits of fit and says which count it used", async () => {
    const spec = mlpSpec(39, [39, 39, 39, 1], 'sigmoid');
    const data = randomData(640, 39, 1, 'meanSquaredError', 8);
    const opts = {
      loss: 'mse' as const,
      optimizer: { name: 'sgd' as const, learningRate: 0.3 },
      batchSize: 32,
      epochs: 2,
    };
    const reference = Mlp.create(spec, { seed: 1 });
    await fit(reference, data, opts);
    const m = Mlp.create(spec, { seed: 1 });
    const r = await fitParallel(m, data, { ...opts, maxThreads: 2 });
    expect(bits(m.params).equals(bits(reference.params))).toBe(true);
    expect([1, 2]).toContain(r.threads);
    expect(r.history.every((h) => h.threads === 1 || h.threads === 2)).toBe(true);
  });

  it("threads 'auto' at batch 1 (one shard) trains on this thread, as fit does", async () => {
    const spec = mlpSpec(6, [5, 1], 'tanh');
    const data = randomData(60, 6, 1, 'meanSquaredError', 4);
    const opts = { loss: 'mse' as const, batchSize: 1, epochs: 2 };
    const reference = Mlp.create(spec, { seed: 3 });
    await fit(reference, data, opts);
    const m = Mlp.create(spec, { seed: 3 });
    const r = await fitParallel(m, data, { ...opts, threads: 'auto', maxThreads: 4 });
    expect(bits(m.params).equals(bits(reference.params))).toBe(true);
    expect(r.threads).toBe(1);
    expect(r.threadTrials).toEqual([]);
  });

  it.each(['js', 'wasm'] as const)(
    'auto switching the count between steps and epochs (trials on 1, 2, 4 threads) keeps the bits: %s kernels',
    async (kernels) => {
      const spec = mlpSpec(10, [12, 9, 3], 'tanh', 'softmax');
      // 300 rows at batch 64: 5 steps per epoch of 8 shards (the last: 44 rows, 5 shards). One warm-up step on 4
      // threads, then six one-step trials: steps 2-7, across the end of epoch 1.
      const data = randomData(300, 10, 3, 'categoricalCrossentropy', 3);
      const opts = {
        loss: 'categoricalCrossentropy' as const,
        optimizer: { name: 'adam' as const, learningRate: 0.01 },
        epochs: 6,
        batchSize: 64,
        kernels,
      };
      const reference = Mlp.create(spec, { seed: 2 });
      const ref = await fit(reference, data, opts);
      const m = Mlp.create(spec, { seed: 2 });
      const r = await fitParallel(m, data, {
        ...opts,
        threads: 'auto',
        maxThreads: 4,
        autoThreads: { warmupMs: 0, trialMs: 0, rounds: 2, maxTrialFraction: 1 },
      });
      expect(bits(m.params).equals(bits(reference.params))).toBe(true);
      expect(bits(r.optimizerState.state).equals(bits(ref.optimizerState.state))).toBe(true);
      expect(r.threadTrials?.map((t) => t.threads)).toEqual([1, 2, 4, 4, 2, 1]);
      expect([1, 2, 4]).toContain(r.threads);
    },
  );

  it('reports progress through onBatchEnd while training', async () => {
    const data = randomData(4000, 8, 1, 'meanSquaredError');
    const logs: BatchLog[] = [];
    const m = Mlp.create(mlpSpec(8, [16, 1]), { seed: 1 });
    await fitParallel(m, data, {
      loss: 'mse',
      batchSize: 16,
      epochs: 2,
      threads: 2,
      progressIntervalMs: 0,
      callbacks: { onBatchEnd: (l) => logs.push(l) },
    });
    expect(logs.length).toBeGreaterThan(2);
    const last = logs.filter((l) => l.epoch === 1).at(-1) as BatchLog;
    expect(last.step).toBe(250);
    expect(last.rowsDone).toBe(4000);
    expect(logs.every((l) => Number.isFinite(l.loss) && l.rowsDone <= 4000)).toBe(true);
  });

  it('a worker that throws at step k rejects promptly with its message; a new trainer works afterwards', async () => {
    const data = randomData(2000, 8, 1, 'meanSquaredError');
    const m = Mlp.create(mlpSpec(8, [16, 1]), { seed: 1 });
    const started = Date.now();
    const err = await fitWithLauncher(
      m,
      data,
      { loss: 'mse', batchSize: 32, epochs: 3, threads: 3 },
      faultLauncher({ kind: 'throw', worker: 1, step: 70 }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain('injected fault in worker 1 at step 70');
    expect(Date.now() - started).toBeLessThan(5_000);
    const again = await fitParallel(Mlp.create(mlpSpec(8, [16, 1]), { seed: 1 }), data, { loss: 'mse', threads: 2 });
    expect(again.epochsRun).toBe(1);
  });

  it('a worker terminated mid-run rejects within a second of its death', async () => {
    const data = randomData(2000, 8, 1, 'meanSquaredError');
    const m = Mlp.create(mlpSpec(8, [16, 1]), { seed: 1 });
    const started = Date.now();
    const err = await fitWithLauncher(
      m,
      data,
      { loss: 'mse', batchSize: 32, epochs: 3, threads: 2 },
      faultLauncher({ kind: 'exit', worker: 0, step: 5 }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/parallel training failed: .*(exit|terminated|stopped)/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a non-finite loss stops every thread at the same step with a TrainingError', async () => {
    const data = randomData(256, 5, 1, 'meanSquaredError');
    data.x.fill(1e4, 0, 5 * 40);
    const m = Mlp.create(mlpSpec(5, [8, 1], 'relu', 'linear'), { seed: 1 });
    const opts = {
      loss: 'mse' as const,
      optimizer: { name: 'sgd' as const, learningRate: 10 },
      epochs: 5,
      batchSize: 16,
      shuffle: false,
    };
    const single = await fit(m.clone(), data, opts).catch((e) => e);
    const err = await fitParallel(m, data, { ...opts, threads: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect(err.message).toBe(single.message);
  });

  it('the abort signal stops after the current step', async () => {
    const data = randomData(3000, 8, 1, 'meanSquaredError');
    const controller = new AbortController();
    const m = Mlp.create(mlpSpec(8, [16, 1]), { seed: 1 });
    const initial = m.params.slice();
    const r = await fitParallel(m, data, {
      loss: 'mse',
      batchSize: 8,
      epochs: 50,
      threads: 2,
      progressIntervalMs: 0,
      signal: controller.signal,
      callbacks: { onBatchEnd: () => controller.abort() },
    });
    expect(r.aborted).toBe(true);
    // Stopped inside the first epoch (375 steps): one partial log, no epoch completed, so a resume starts epoch 0
    // again from the weights and optimizer state of its start; the model itself took the steps before the stop.
    expect(r.history.map((h) => h.epoch)).toEqual([0]);
    expect(r.nextEpoch).toBe(0);
    expect(bits(r.resumeParams).equals(bits(initial))).toBe(true);
    expect(r.optimizerState.step).toBe(0);
    expect(bits(m.params).equals(bits(initial))).toBe(false);
  });

  it('rejects a bad thread count', async () => {
    const data = randomData(10, 2, 1, 'meanSquaredError');
    await expect(fitParallel(Mlp.create(mlpSpec(2, [1])), data, { loss: 'mse', threads: 0 })).rejects.toThrow(
      "options.threads must be a positive integer or 'auto', got 0",
    );
    // fitParallel knows its own keys, and refuses unknown ones as fit does.
    const untyped = (o: object) => o as ParallelFitOptions;
    await expect(
      fitParallel(Mlp.create(mlpSpec(2, [1])), data, untyped({ loss: 'mse', threads: 2, learningRate: 0.1 })),
    ).rejects.toThrow('options.learningRate is an optimizer option');
  });

  it('leaves no threads behind: a process that trained exits on its own', () => {
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const parallel = fileURLToPath(new URL('../dist/parallel/trainer.js', import.meta.url));
    const faulty = new URL('./fault-worker.fixture.mjs', import.meta.url).href;
    const script = `
      const { Mlp, mlpSpec } = await import(${JSON.stringify(entry)});
      const { fitParallel, fitWithLauncher, threadLauncher } = await import(${JSON.stringify(parallel)});
      const inner = threadLauncher(new URL(${JSON.stringify(faulty)}));
      const fault = { kind: 'throw', worker: 0, step: 2 };
      const launcher = { start: (tasks, onFailure) => inner.start(tasks.map((t) => ({ ...t, fault })), onFailure), stop: () => inner.stop() };
      const x = new Float32Array(400).map((_, i) => Math.sin(i));
      const y = new Float32Array(100).map((_, i) => (Math.cos(i) + 1) / 2);
      const r = await fitParallel(Mlp.create(mlpSpec(4, [6, 1])), { x, y, rows: 100, features: 4, outputs: 1 }, { loss: 'mse', threads: 2, epochs: 2 });
      console.log('trained', r.epochsRun);
      const bad = await fitWithLauncher(Mlp.create(mlpSpec(4, [6, 1])), { x, y, rows: 100, features: 4, outputs: 1 },
        { loss: 'mse', threads: 2, epochs: 2 }, launcher).catch((e) => e.message);
      console.log('failed', bad);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('trained 2');
    expect(child.stdout).toContain('failed parallel training failed: injected fault');
    expect(child.status).toBe(0);
  });
});
