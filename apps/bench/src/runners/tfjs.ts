/**
 * TensorFlow.js (`@tensorflow/tfjs` 4.22) the way its users train: a `tf.sequential` of dense layers,
 * `model.compile({ optimizer: tf.train.sgd(lr), loss })` and `model.fit(xs, ys, { batchSize, epochs,
 * shuffle: false })`, with the shardprop model's initial weights loaded through `setWeights` (Keras layout, so
 * the flat parameter vector slices straight into kernels and biases). Backends: `cpu` (plain JavaScript, the
 * default in Node without tfjs-node) and `wasm` (`@tensorflow/tfjs-backend-wasm`, XNNPACK).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { paramLayout } from '@shardprop/core';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { type Workload, workloadSpec } from '../workloads.js';
import { type EpochSample, quickRows, type Runner, type RunPlan, type RunRequest } from './types.js';

export type TfjsBackend = 'cpu' | 'wasm';

/** The directory holding tfjs-backend-wasm's `.wasm` binaries, with a trailing slash (for `setWasmPaths`). */
export function tfjsWasmDir(): string {
  const require = createRequire(import.meta.url);
  return `${path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}${path.sep}`;
}

let wasmReady: Promise<void> | undefined;

/** Points tfjs-backend-wasm at its binaries and initialises it once. */
export function initTfjsWasm(): Promise<void> {
  wasmReady ??= (async () => {
    tfwasm.setWasmPaths(tfjsWasmDir());
    const previous = tf.getBackend();
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    await tf.ready();
    if (previous) await tf.setBackend(previous);
  })();
  return wasmReady;
}

/** What tfjs reports about the wasm backend: SIMD, threads (a multi-threaded build needs cross-origin workers). */
export async function tfjsWasmFeatures(): Promise<{ simd: boolean; threads: boolean; threadsCount: number }> {
  await initTfjsWasm();
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  let threadsCount = 1;
  try {
    const previous = tf.getBackend();
    await tf.setBackend('wasm');
    threadsCount = tfwasm.getThreadsCount();
    await tf.setBackend(previous);
  } catch {
    threadsCount = 1;
  }
  return { simd, threads, threadsCount };
}

/** Rows timed per workload (then scaled to the epoch): tfjs pays about a millisecond per step at batch 1. */
const TFJS_ROWS: Record<TfjsBackend, Record<string, number>> = {
  cpu: { 'A-b1': 1000, 'B-b256': 1024 },
  wasm: { 'A-b1': 1000, 'B-b256': 5120 },
};

function buildModel(w: Workload): tf.Sequential {
  const model = tf.sequential();
  w.units.forEach((units, i) => {
    const last = i === w.units.length - 1;
    model.add(
      tf.layers.dense({
        units,
        activation: last ? w.outputActivation : w.activation,
        ...(i === 0 ? { inputShape: [w.inputSize] } : {}),
      }),
    );
  });
  return model;
}

/** Loads shardprop's flat parameters (per layer kernel `[in x out]`, then bias) into a tfjs model. */
export function setTfjsWeights(model: tf.LayersModel, w: Workload, params: Float32Array): void {
  const layout = paramLayout(workloadSpec(w));
  const tensors: tf.Tensor[] = [];
  for (const l of layout.layers) {
    tensors.push(tf.tensor2d(params.slice(l.kernelOffset, l.biasOffset), [l.inSize, l.outSize]));
    tensors.push(tf.tensor1d(params.slice(l.biasOffset, l.biasOffset + l.outSize)));
  }
  model.setWeights(tensors);
  for (const t of tensors) t.dispose();
}

/** Reads a tfjs model's weights back into shardprop's flat layout. */
export function getTfjsWeights(model: tf.LayersModel): Float32Array {
  const parts = model.getWeights().map((t) => t.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function tfjsRunner(backend: TfjsBackend): Runner {
  let features: Record<string, unknown> = {};
  return {
    id: `tfjs-${backend}`,
    label: `tfjs ${backend}`,
    family: 'tfjs',
    threads: 1,
    kernels: backend,
    unsupported: () => null,
    plan(w: Workload, quick: boolean): RunPlan {
      return { rows: quickRows(w, TFJS_ROWS[backend][w.id] ?? w.rows, quick), epochs: 2 };
    },
    async setup(): Promise<void> {
      if (backend === 'wasm') {
        const f = await tfjsWasmFeatures();
        features = { simd: f.simd, multithread: f.threads, threadsCount: f.threadsCount, wasmDir: 'dist/' };
      } else if (!(await tf.setBackend('cpu'))) {
        throw new Error('tf.setBackend("cpu") failed');
      }
    },
    describe: () => ({
      version: tf.version.tfjs,
      backend,
      api: 'tf.sequential + model.fit(shuffle: false), tf.train.sgd',
      ...features,
    }),
    async run(req: RunRequest): Promise<EpochSample[]> {
      const w = req.workload;
      if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
        throw new Error(`tf.setBackend("${backend}") failed`);
      }
      const model = buildModel(w);
      setTfjsWeights(model, w, req.params);
      const optimizer = tf.train.sgd(w.learningRate);
      model.compile({ optimizer, loss: w.loss });
      const { data, rows } = req;
      const xs = tf.tensor2d(data.x.subarray(0, rows * data.features), [rows, data.features]);
      const ys = tf.tensor2d(data.y.subarray(0, rows * data.outputs), [rows, data.outputs]);
      const samples: EpochSample[] = [];
      let started = 0;
      try {
        await model.fit(xs, ys, {
          batchSize: w.batchSize,
          epochs: req.epochs,
          shuffle: false,
          verbose: 0,
          callbacks: {
            onEpochBegin: async () => {
              started = performance.now();
            },
            onEpochEnd: async (_epoch, logs) => {
              samples.push({ ms: performance.now() - started, loss: Number(logs?.loss) });
            },
          },
        });
      } finally {
        xs.dispose();
        ys.dispose();
        model.dispose();
        optimizer.dispose();
      }
      return samples;
    },
  };
}
