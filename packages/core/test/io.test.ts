// The model directory format: shardprop's model.json/weights.bin are TensorFlow.js Layers files (real tfjs loads
// them and predicts the same numbers), tfjs-written Dense models load in shardprop, bad files give clear
// ModelFormatErrors, optimizer.bin round-trips, and saves are atomic.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { FaultyFileSystem } from '../../../test-utils/faulty-fs.js';
import {
  type ModelArtifacts,
  ModelFormatError,
  modelFromArtifacts,
  modelToArtifacts,
  optimizerStateFromBytes,
  optimizerStateToBytes,
  type ShardpropMetaInput,
  toTfjsArtifacts,
  weightFilePaths,
} from '../src/io/artifacts.js';
import { crc32 } from '../src/io/crc32.js';
import { ACTIVATIONS } from '../src/model/activation-names.js';
import { INITIALIZERS } from '../src/model/initializer-names.js';
import { paramLayout } from '../src/model/layout.js';
import { type ModelSpec, mlpSpec, validateSpec } from '../src/model/spec.js';
import { loadModel, saveModel, tfjsFileHandler } from '../src/node.js';
import { Rng } from '../src/random.js';
import { referenceForward } from './helpers.js';
import { tfjsWeights } from './tfjs-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function randomParams(spec: ModelSpec, seed: number): Float32Array {
  const rng = new Rng(seed);
  return new Float32Array(paramLayout(spec).paramCount).map(() => rng.uniform(-0.8, 0.8));
}

function randomInputs(rows: number, features: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return new Float32Array(rows * features).map(() => rng.uniform(-1.5, 1.5));
}

async function tfjsPredict(
  model: tf.LayersModel,
  x: Float32Array,
  rows: number,
  features: number,
): Promise<Float32Array> {
  const input = tf.tensor2d(x, [rows, features]);
  const out = model.predict(input) as tf.Tensor;
  const data = (await out.data()) as Float32Array;
  input.dispose();
  out.dispose();
  return data;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(d <= worst)) worst = d;
  }
  expect(worst).toBeLessThanOrEqual(tol);
}

async function loadInTfjs(artifacts: ModelArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory(toTfjsArtifacts(artifacts.modelJson, artifacts.weightData) as tf.io.ModelArtifacts),
  );
}

/** Artifacts that tfjs itself writes for `model`, as model.json + weights.bin. */
async function tfjsArtifacts(
  model: tf.LayersModel,
): Promise<{ modelJson: Record<string, unknown>; weights: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = saved!;
  const modelJson = JSON.parse(
    JSON.stringify({
      modelTopology: a.modelTopology,
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    }),
  );
  return { modelJson, weights: new Uint8Array(a.weightData as ArrayBuffer) };
}

function formatError(fn: () => unknown): ModelFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError);
    return e as ModelFormatError;
  }
  throw new Error('expected a ModelFormatError');
}

async function formatErrorAsync(p: Promise<unknown>): Promise<ModelFormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError);
    return e as ModelFormatError;
  }
  throw new Error('expected a ModelFormatError');
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
// biome-ignore lint/suspicious/noExplicitAny: the tests edit parsed model.json freely
type Json = any;

// A spec with every activation and every initialiser.
const everySpec: ModelSpec = validateSpec({
  inputSize: 6,
  layers: [
    { units: 7, activation: 'sigmoid', kernelInitializer: 'glorotNormal', biasInitializer: 'ones' },
    { units: 5, activation: 'leakyRelu', kernelInitializer: 'heUniform' },
    { units: 6, activation: 'tanh', kernelInitializer: 'heNormal', biasInitializer: 'glorotUniform' },
    { units: 4, activation: 'relu', kernelInitializer: 'lecunUniform', biasInitializer: 'zeros' },
    { units: 5, activation: 'elu', kernelInitializer: 'lecunNormal', biasInitializer: 'heNormal' },
    { units: 3, activation: 'linear', kernelInitializer: 'zeros' },
    { units: 4, activation: 'softmax', kernelInitializer: 'ones' },
  ],
});

const fullMeta: ShardpropMetaInput = {
  featureNames: ['a', 'b', 'c', 'd', 'e', 'f'],
  targetNames: ['y'],
  encodings: { color: { kind: 'oneHot', vocabulary: ['red', 'green'] } },
  normalization: { mean: [0, 1.5, -2, 0.1, 3, 4], std: [1, 2, 0.5, 1e-3, 7, 1] },
  task: 'multiclass',
  loss: 'categoricalCrossentropy',
  optimizer: { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  training: { batchSize: 32, seed: 1, shards: 8 },
  epoch: 12,
  kernels: 'wasm-simd',
  custom: { nested: [1, 'two', null, true] },
};

// ---------------------------------------------------------------------------------------------------------------

describe('modelToArtifacts / modelFromArtifacts', () => {
  it('round-trips spec, params (bitwise) and meta, also through JSON text', () => {
    const params = randomParams(everySpec, 1);
    params[0] = Number.NaN;
    params[1] = -0;
    params[2] = Number.POSITIVE_INFINITY;
    const a = modelToArtifacts(everySpec, params, fullMeta);
    expect(a.weightData.byteLength).toBe(params.length * 4);
    for (const json of [a.modelJson, JSON.parse(JSON.stringify(a.modelJson))]) {
      const back = modelFromArtifacts(json, a.weightData);
      expect(back.spec).toEqual(everySpec);
      expect(bits(back.params)).toEqual(bits(params));
      expect(back.meta).toEqual({ formatVersion: 1, ...fullMeta });
    }
    // An ArrayBuffer works as well as a Uint8Array, and an offset view too.
    const buf = new Uint8Array(a.weightData.byteLength + 3);
    buf.set(a.weightData, 3);
    expect(bits(modelFromArtifacts(a.modelJson, buf.subarray(3)).params)).toEqual(bits(params));
    expect(bits(modelFromArtifacts(a.modelJson, a.weightData.slice().buffer).params)).toEqual(bits(params));
  });

  it('writes the weights as little-endian float32 in layout order and a minimal shardprop section', () => {
    const spec = mlpSpec(2, [2, 1]);
    const params = new Float32Array([1, 2, 3, 4, 0.5, -0.5, 1.5, 2.5, -1]);
    const a = modelToArtifacts(spec, params);
    const view = new DataView(a.weightData.buffer, a.weightData.byteOffset);
    expect(Array.from(params, (_, i) => view.getFloat32(i * 4, true))).toEqual(Array.from(params));
    expect(a.modelJson.shardprop.formatVersion).toBe(1);
    expect(Object.keys(a.modelJson.shardprop).sort()).toEqual(['formatVersion', 'weightsCrc32']);
    expect(modelFromArtifacts(a.modelJson, a.weightData).meta).toEqual({ formatVersion: 1 });
    expect(a.modelJson.weightsManifest).toEqual([
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'dense_1/kernel', shape: [2, 2], dtype: 'float32' },
          { name: 'dense_1/bias', shape: [2], dtype: 'float32' },
          { name: 'dense_2/kernel', shape: [2, 1], dtype: 'float32' },
          { name: 'dense_2/bias', shape: [1], dtype: 'float32' },
        ],
      },
    ]);
  });

  it('writes the topology exactly as tfjs-layers 4.22 serialises the same model', async () => {
    const params = randomParams(everySpec, 2);
    const ours = modelToArtifacts(everySpec, params).modelJson;
    // The same network built in tfjs, with the same initialisers.
    const m = tf.sequential();
    everySpec.layers.forEach((l, i) => {
      m.add(
        tf.layers.dense({
          units: l.units,
          activation: (l.activation === 'leakyRelu' ? 'linear' : l.activation) as 'linear',
          kernelInitializer: l.kernelInitializer!.replace('lecun', 'leCun') as 'glorotUniform',
          biasInitializer: l.biasInitializer!.replace('lecun', 'leCun') as 'zeros',
          ...(i === 0 ? { inputShape: [everySpec.inputSize] } : {}),
        }),
      );
      if (l.activation === 'leakyRelu') m.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    });
    const theirs = await tfjsArtifacts(m);
    // Layer names differ (tfjs numbers them per session); everything else must be identical.
    const unname = (topology: unknown) => {
      const t = clone(topology) as { config: { name: string; layers: Array<{ config: { name: string } }> } };
      t.config.name = 'model';
      t.config.layers.forEach((l, i) => {
        l.config.name = `layer${i}`;
      });
      return t;
    };
    expect(unname(ours.modelTopology)).toEqual(unname(theirs.modelJson.modelTopology));
    expect(JSON.stringify(unname(ours.modelTopology))).toBe(JSON.stringify(unname(theirs.modelJson.modelTopology)));
    const theirManifest = theirs.modelJson.weightsManifest as Array<{ weights: Array<{ shape: number[] }> }>;
    expect(ours.weightsManifest[0].weights.map((w) => w.shape)).toEqual(theirManifest[0].weights.map((w) => w.shape));
    expect(ours.format).toBe(theirs.modelJson.format);
    expect(ours.convertedBy).toBe(theirs.modelJson.convertedBy);
    expect(ours.modelTopology.keras_version).toBe('tfjs-layers 4.22.0');
  });

  it('rejects bad inputs to the writer', () => {
    const spec = mlpSpec(3, [2]);
    expect(() => modelToArtifacts(spec, new Float32Array(3))).toThrow('params has 3 values, the spec needs 8');
    expect(() => modelToArtifacts(spec, new Float32Array(8), { epoch: Number.NaN })).toThrow(
      'model.json: shardprop.epoch must be a finite number, got NaN',
    );
    expect(() =>
      modelToArtifacts(spec, new Float32Array(8), {
        normalization: { mean: new Float64Array(3) as unknown as number[], std: [1, 1, 1] },
      }),
    ).toThrow('shardprop.normalization.mean is not a plain JSON value (a Float64Array); convert it with Array.from()');
    expect(() => modelToArtifacts(spec, new Float32Array(8), { normalization: { mean: [0, 0], std: [1, 1] } })).toThrow(
      'shardprop.normalization.mean has 2 values, the model has 3 inputs',
    );
    expect(() => modelToArtifacts(spec, new Float32Array(8), { formatVersion: 2 })).toThrow(ModelFormatError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => modelToArtifacts(spec, new Float32Array(8), { training: cyclic })).toThrow('cycle');
    // undefined properties are dropped, as JSON.stringify does.
    const a = modelToArtifacts(spec, new Float32Array(8), { task: undefined, epoch: 3 });
    expect(modelFromArtifacts(a.modelJson, a.weightData).meta).toEqual({ formatVersion: 1, epoch: 3 });
  });
});

describe('shardprop models in TensorFlow.js', () => {
  const cases: Array<[string, ModelSpec]> = [
    ...ACTIVATIONS.map((act): [string, ModelSpec] => [
      act,
      act === 'softmax' ? mlpSpec(5, [8, 4], 'tanh', 'softmax') : mlpSpec(5, [8, 6, 3], act),
    ]),
    ['every activation and initialiser', everySpec],
    ['the seed network 39,39,39,1', mlpSpec(39, [39, 39, 39, 1])],
  ];
  it.each(cases)('%s: tfjs loads it and predicts like the float64 reference', async (_name, spec) => {
    const params = randomParams(spec, 3);
    const a = modelToArtifacts(spec, params, {
      featureNames: Array.from({ length: spec.inputSize }, (_, i) => `f${i}`),
    });
    const model = await loadInTfjs(a);
    expect(bits(await tfjsWeights(model))).toEqual(bits(params));
    const rows = 17;
    const x = randomInputs(rows, spec.inputSize, 4);
    const predicted = await tfjsPredict(model, x, rows, spec.inputSize);
    expectClose(predicted, referenceForward(spec, params, x, rows));
    model.dispose();
  });

  it('tfjs loads a saved directory through tfjsFileHandler, also with a custom { load } handler', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shardprop-io-'));
    try {
      const spec = mlpSpec(4, [5, 2], 'leakyRelu', 'sigmoid');
      const params = randomParams(spec, 5);
      await saveModel(dir, modelToArtifacts(spec, params));
      const x = randomInputs(9, 4, 6);
      const expected = referenceForward(spec, params, x, 9);
      const viaHandler = await tf.loadLayersModel(tfjsFileHandler(dir));
      expectClose(await tfjsPredict(viaHandler, x, 9, 4), expected);
      // What tfjs's http loader would do with the same files.
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      expect(json.weightsManifest[0].paths).toEqual(['weights.1.bin']);
      const weights = await readFile(join(dir, json.weightsManifest[0].paths[0]));
      const viaJson = await tf.loadLayersModel({
        load: () =>
          tf.io.getModelArtifactsForJSON(json, async (manifest) => [
            manifest.flatMap((g) => g.weights),
            weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
          ]),
      });
      expectClose(await tfjsPredict(viaJson, x, 9, 4), expected);
      viaHandler.dispose();
      viaJson.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('TensorFlow.js models in shardprop', () => {
  async function checkImport(model: tf.LayersModel, expectedSpec: ModelSpec, edit?: (json: Json) => void) {
    const { modelJson, weights } = await tfjsArtifacts(model);
    edit?.(modelJson);
    const loaded = modelFromArtifacts(modelJson, weights);
    expect(loaded.spec).toEqual(validateSpec(expectedSpec));
    expect(loaded.meta).toBeUndefined();
    expect(bits(loaded.params)).toEqual(bits(await tfjsWeights(model)));
    const rows = 11;
    const x = randomInputs(rows, expectedSpec.inputSize, 8);
    expectClose(
      referenceForward(loaded.spec, loaded.params, x, rows),
      await tfjsPredict(model, x, rows, expectedSpec.inputSize),
    );
    return loaded;
  }

  it('loads a tfjs Sequential of Dense layers with identical weights and the same spec', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 6, activation: 'relu', inputShape: [4] }));
    m.add(tf.layers.dense({ units: 5, activation: 'tanh' }));
    m.add(tf.layers.dense({ units: 4, activation: 'elu', kernelInitializer: 'heUniform', biasInitializer: 'ones' }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    // tfjs's default kernel initialiser is glorotNormal (Keras's is glorotUniform).
    await checkImport(m, {
      inputSize: 4,
      layers: [
        { units: 6, activation: 'relu', kernelInitializer: 'glorotNormal' },
        { units: 5, activation: 'tanh', kernelInitializer: 'glorotNormal' },
        { units: 4, activation: 'elu', kernelInitializer: 'heUniform', biasInitializer: 'ones' },
        { units: 3, activation: 'softmax', kernelInitializer: 'glorotNormal' },
      ],
    });
  });

  it('maps activation layers after linear Dense layers, and an InputLayer', async () => {
    const m = tf.sequential();
    m.add(tf.layers.inputLayer({ inputShape: [3] }));
    m.add(tf.layers.dense({ units: 4, kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    m.add(tf.layers.dense({ units: 4, kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.activation({ activation: 'sigmoid' }));
    m.add(tf.layers.activation({ activation: 'linear' }));
    m.add(tf.layers.dense({ units: 4, kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.elu({}));
    m.add(tf.layers.dense({ units: 4, kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.reLU({}));
    m.add(tf.layers.dense({ units: 2, kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.softmax({}));
    await checkImport(m, {
      inputSize: 3,
      layers: [
        { units: 4, activation: 'leakyRelu' },
        { units: 4, activation: 'sigmoid' },
        { units: 4, activation: 'elu' },
        { units: 4, activation: 'relu' },
        { units: 2, activation: 'softmax' },
      ],
    });
  });

  it('accepts camelCase batchInputShape, prefixed weight names, split manifests, reordered weights and a model_config wrapper', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 3, activation: 'sigmoid', inputShape: [2], kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.dense({ units: 2, activation: 'linear', kernelInitializer: 'glorotUniform' }));
    const spec = mlpSpec(2, [3, 2], 'sigmoid', 'linear');
    // camelCase input shape
    await checkImport(m, spec, (j) => {
      const c = j.modelTopology.config.layers[0].config;
      c.batchInputShape = c.batch_input_shape;
      delete c.batch_input_shape;
    });
    // weight names with a prefix and a ':0' suffix
    await checkImport(m, spec, (j) => {
      for (const w of j.weightsManifest[0].weights) w.name = `sequential/${w.name}:0`;
    });
    // a manifest split over several groups and files (the caller passes the bytes concatenated)
    await checkImport(m, spec, (j) => {
      const ws = j.weightsManifest[0].weights;
      j.weightsManifest = [
        { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: ws.slice(0, 3) },
        { paths: ['group2-shard1of1.bin'], weights: ws.slice(3) },
      ];
      expect(weightFilePaths(j)).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin', 'group2-shard1of1.bin']);
    });
    // the tensorflowjs_converter wrapping, and names that do not identify layers (matched in order)
    await checkImport(m, spec, (j) => {
      j.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: j.modelTopology };
      j.weightsManifest[0].weights.forEach((w: { name: string }, i: number) => {
        w.name = `w${i}/${i % 2 === 0 ? 'kernel' : 'bias'}`;
      });
    });
  });

  it('matches weights by name when the manifest lists them in another order', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 3, activation: 'tanh', inputShape: [2], kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.dense({ units: 2, activation: 'sigmoid', kernelInitializer: 'glorotUniform' }));
    const { modelJson, weights } = await tfjsArtifacts(m);
    const specs = (modelJson.weightsManifest as Array<{ weights: Array<{ shape: number[] }> }>)[0].weights;
    // Reverse the weights in both the manifest and the bytes.
    const chunks: Uint8Array[] = [];
    let o = 0;
    for (const w of specs) {
      const n = w.shape.reduce((p, q) => p * q, 1) * 4;
      chunks.push(weights.slice(o, o + n));
      o += n;
    }
    specs.reverse();
    const reversed = new Uint8Array(weights.length);
    let r = 0;
    for (const c of chunks.reverse()) {
      reversed.set(c, r);
      r += c.length;
    }
    const loaded = modelFromArtifacts(modelJson, reversed);
    expect(bits(loaded.params)).toEqual(bits(await tfjsWeights(m)));
  });

  it('loads what tfjs saves through tfjsFileHandler, and re-saves it for tfjs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shardprop-io-'));
    try {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 4, activation: 'sigmoid', inputShape: [3], kernelInitializer: 'glorotUniform' }));
      m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'glorotUniform' }));
      await m.save(tfjsFileHandler(dir));
      const loaded = await loadModel(dir);
      expect(loaded.spec).toEqual(mlpSpec(3, [4, 1]));
      expect(bits(loaded.params)).toEqual(bits(await tfjsWeights(m)));
      expect(loaded.optimizer).toBeUndefined();
      expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.1.bin']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('model.json and weights.bin errors', () => {
  const spec = mlpSpec(39, [39, 39, 39, 1]);
  const params = randomParams(spec, 9);
  const good = modelToArtifacts(spec, params);
  const json = () => clone(good.modelJson) as Json;

  it('truncated or oversized weights', () => {
    expect(formatError(() => modelFromArtifacts(good.modelJson, good.weightData.subarray(0, 1000))).message).toBe(
      'weights.bin: expected 18880 bytes for 4720 float32 parameters, got 1000 (truncated)',
    );
    const long = new Uint8Array(18884);
    long.set(good.weightData);
    expect(formatError(() => modelFromArtifacts(good.modelJson, long)).message).toBe(
      'weights.bin: expected 18880 bytes for 4720 float32 parameters, got 18884',
    );
  });

  it('a changed weights.bin fails its checksum', () => {
    const changed = good.weightData.slice();
    changed[100] ^= 1;
    expect(formatError(() => modelFromArtifacts(good.modelJson, changed)).message).toMatch(
      /^weights\.bin: checksum mismatch \(model\.json has 0x[0-9a-f]{8}, the data has 0x[0-9a-f]{8}\)/,
    );
  });

  it('wrong weight shapes', () => {
    const j = json();
    j.weightsManifest[0].weights[2].shape = [39, 10];
    expect(formatError(() => modelFromArtifacts(j, good.weightData)).message).toBe(
      'model.json: weight "dense_2/kernel" has shape [39,10], expected [39,39]',
    );
    const k = json();
    k.modelTopology.config.layers[1].config.units = 10;
    expect(formatError(() => modelFromArtifacts(k, good.weightData)).message).toBe(
      'model.json: weight "dense_2/kernel" has shape [39,39], expected [39,10]',
    );
  });

  it('unsupported layers and models', () => {
    const conv = json();
    conv.modelTopology.config.layers[2] = { class_name: 'Conv2D', config: { filters: 3 } };
    expect(formatError(() => modelFromArtifacts(conv, good.weightData)).message).toBe(
      'model.json: layer 3 (class "Conv2D") is not supported; shardprop loads Sequential models of Dense layers',
    );
    const functional = json();
    functional.modelTopology.class_name = 'Model';
    expect(formatError(() => modelFromArtifacts(functional, good.weightData)).message).toBe(
      'model.json: model class "Model" is not supported; shardprop loads Sequential models of Dense layers',
    );
    const graph = json();
    graph.format = 'graph-model';
    expect(formatError(() => modelFromArtifacts(graph, good.weightData)).message).toBe(
      'model.json: format "graph-model" is not supported; shardprop loads TensorFlow.js Layers models ("layers-model")',
    );
    const noBias = json();
    noBias.modelTopology.config.layers[3].config.use_bias = false;
    expect(formatError(() => modelFromArtifacts(noBias, good.weightData)).message).toBe(
      'model.json: layer 4 (class "Dense"): use_bias false is not supported; shardprop\'s Dense layers have a bias',
    );
    const selu = json();
    selu.modelTopology.config.layers[0].config.activation = 'selu';
    expect(formatError(() => modelFromArtifacts(selu, good.weightData)).message).toMatch(
      /^model\.json: layer 1 \(class "Dense"\): activation "selu" is not supported/,
    );
    const alpha = json();
    alpha.modelTopology.config.layers[0].config.activation = 'linear';
    alpha.modelTopology.config.layers.splice(1, 0, { class_name: 'LeakyReLU', config: { alpha: 0.3 } });
    expect(formatError(() => modelFromArtifacts(alpha, good.weightData)).message).toBe(
      'model.json: layer 2 (class "LeakyReLU"): alpha 0.3 is not supported; shardprop\'s leakyRelu has alpha 0.2 (as tf.leakyRelu)',
    );
    const twice = json();
    twice.modelTopology.config.layers.splice(1, 0, { class_name: 'Activation', config: { activation: 'relu' } });
    expect(formatError(() => modelFromArtifacts(twice, good.weightData)).message).toBe(
      'model.json: layer 2 (class "Activation") applies relu after layer 1 (class "Dense")\'s sigmoid; shardprop supports one activation per Dense layer',
    );
    const hiddenSoftmax = json();
    hiddenSoftmax.modelTopology.config.layers[0].config.activation = 'softmax';
    expect(formatError(() => modelFromArtifacts(hiddenSoftmax, good.weightData)).message).toBe(
      'model.json: layer 1 (class "Dense"): softmax is only supported on the output layer',
    );
    const noShape = json();
    delete noShape.modelTopology.config.layers[0].config.batch_input_shape;
    expect(formatError(() => modelFromArtifacts(noShape, good.weightData)).message).toBe(
      'model.json: layer 1 (class "Dense") has no batch_input_shape, so the model\'s input size is unknown',
    );
    const image = json();
    image.modelTopology.config.layers[0].config.batch_input_shape = [null, 28, 28];
    expect(formatError(() => modelFromArtifacts(image, good.weightData)).message).toBe(
      'model.json: layer 1 (class "Dense"): input shape [null,28,28] is not supported; shardprop loads models of flat inputs [batch, features]',
    );
  });

  it('bad manifests and shardprop sections', () => {
    const f16 = json();
    f16.weightsManifest[0].weights[0].dtype = 'float16';
    expect(formatError(() => modelFromArtifacts(f16, good.weightData)).message).toBe(
      'model.json: weight "dense_1/kernel" has dtype "float16"; shardprop loads float32 weights',
    );
    const quant = json();
    quant.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', scale: 1, min: 0 };
    expect(formatError(() => modelFromArtifacts(quant, good.weightData)).message).toBe(
      'model.json: weight "dense_1/kernel" is quantized (uint8); shardprop loads unquantized float32 weights',
    );
    const extra = json();
    extra.weightsManifest[0].weights.push({ name: 'dense_9/kernel', shape: [1], dtype: 'float32' });
    expect(formatError(() => modelFromArtifacts(extra, good.weightData)).message).toBe(
      'model.json: weight "dense_9/kernel" does not belong to any Dense layer',
    );
    const missing = json();
    missing.weightsManifest[0].weights.pop();
    expect(formatError(() => modelFromArtifacts(missing, good.weightData)).message).toBe(
      'model.json: weightsManifest has 7 weights, the 4 Dense layers need 8 (a kernel and a bias each)',
    );
    const outside = json();
    outside.weightsManifest[0].paths = ['../weights.bin'];
    expect(formatError(() => weightFilePaths(outside)).message).toBe(
      'model.json: weight path "../weights.bin" must name a file inside the model directory',
    );
    const newer = json();
    newer.shardprop.formatVersion = 2;
    expect(formatError(() => modelFromArtifacts(newer, good.weightData)).message).toBe(
      'model.json: shardprop.formatVersion 2 is newer than this version of shardprop reads (1); upgrade shardprop',
    );
    const noVersion = json();
    delete noVersion.shardprop.formatVersion;
    expect(formatError(() => modelFromArtifacts(noVersion, good.weightData)).message).toBe(
      'model.json: shardprop.formatVersion is missing',
    );
    const names = json();
    names.shardprop.featureNames = ['a', 3];
    expect(formatError(() => modelFromArtifacts(names, good.weightData)).message).toBe(
      'model.json: shardprop.featureNames[1] must be a string, got 3',
    );
    const opt = json();
    opt.shardprop.optimizer = { name: 'lbfgs' };
    expect(formatError(() => modelFromArtifacts(opt, good.weightData)).message).toBe(
      'model.json: shardprop.optimizer.name must be one of sgd, momentum, adam, adamw, rmsprop, got "lbfgs"',
    );
    expect(formatError(() => modelFromArtifacts([], good.weightData)).message).toBe(
      'model.json: must be a JSON object',
    );
    expect(formatError(() => modelFromArtifacts({ format: 'layers-model' }, good.weightData)).message).toBe(
      'model.json: modelTopology is missing (is this a TensorFlow.js Layers model.json?)',
    );
  });
});

describe('optimizer.bin', () => {
  it('round-trips step and state bitwise', () => {
    const state = randomParams(mlpSpec(3, [4, 2]), 10);
    state[3] = Number.NaN;
    for (const step of [0, 1, 123456, 2 ** 40]) {
      const bytes = optimizerStateToBytes({ step, state, weightsCrc32: 0xdeadbeef });
      expect(bytes.byteLength).toBe(32 + state.length * 4);
      expect(String.fromCharCode(...bytes.subarray(0, 5))).toBe('SPOPT');
      const back = optimizerStateFromBytes(bytes, state.length);
      expect(back.step).toBe(step);
      expect(bits(back.state)).toEqual(bits(state));
      expect(back.weightsCrc32).toBe(0xdeadbeef);
    }
    const empty = optimizerStateFromBytes(optimizerStateToBytes({ step: 5, state: new Float32Array(0) }));
    expect(empty).toEqual({ step: 5, state: new Float32Array(0) });
  });

  it('rejects truncated, foreign, corrupt and mismatched files', () => {
    const state = new Float32Array([1, 2, 3, 4, 5, 6]);
    const bytes = optimizerStateToBytes({ step: 7, state });
    const msg = (b: Uint8Array, expected?: number) => formatError(() => optimizerStateFromBytes(b, expected)).message;
    expect(msg(bytes.subarray(0, 3))).toBe('optimizer.bin: truncated: 3 bytes, the header needs 32');
    expect(msg(bytes.subarray(0, 20))).toBe('optimizer.bin: truncated: 20 bytes, the header needs 32');
    expect(msg(bytes.subarray(0, 40))).toBe(
      'optimizer.bin: expected 56 bytes for 6 float32 state values, got 40 (truncated)',
    );
    expect(msg(new TextEncoder().encode('{"not": "optimizer state"} padding padding'))).toBe(
      'optimizer.bin: not a shardprop optimizer state file (it does not start with "SPOPT")',
    );
    expect(msg(bytes, 12)).toBe('optimizer.bin: holds 6 state values, expected 12');
    const v2 = bytes.slice();
    v2[5] = 2;
    expect(msg(v2)).toBe(
      'optimizer.bin: format version 2 is not supported (this version of shardprop reads version 1)',
    );
    const flipped = bytes.slice();
    flipped[40] ^= 0x10;
    expect(msg(flipped)).toMatch(/^optimizer\.bin: state checksum mismatch .*; the file is corrupt$/);
    const badStep = bytes.slice();
    new DataView(badStep.buffer).setFloat64(8, 1.5, true);
    expect(msg(badStep)).toBe('optimizer.bin: step count must be a non-negative integer, got 1.5');
    expect(() => optimizerStateToBytes({ step: -1, state })).toThrow(RangeError);
  });
});

describe('saveModel / loadModel', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shardprop-io-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const spec = mlpSpec(6, [5, 3], 'tanh', 'softmax');
  const paramsA = randomParams(spec, 11);
  const paramsB = randomParams(spec, 12);
  const stateA = randomParams(mlpSpec(6, [5, 3]), 13);
  const optA = { step: 42, state: new Float32Array([...stateA, ...stateA.map((v) => v * v)]) };

  it('round-trips through a new directory bitwise, with optimizer state, leaving no temporary files', async () => {
    const dir = join(root, 'nested', 'model');
    const meta = { ...fullMeta, normalization: { mean: [1, 2, 3, 4, 5, 6], std: [1, 1, 1, 1, 1, 2] } };
    await saveModel(dir, modelToArtifacts(spec, paramsA, meta), { optimizer: optA });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'optimizer.1.bin', 'weights.1.bin']);
    const loaded = await loadModel(dir);
    expect(loaded.spec).toEqual(spec);
    expect(bits(loaded.params)).toEqual(bits(paramsA));
    expect(loaded.meta).toEqual({ formatVersion: 1, ...meta });
    expect(loaded.optimizer!.step).toBe(42);
    expect(bits(loaded.optimizer!.state)).toEqual(bits(optA.state));
    expect(loaded.extraFiles).toEqual({});
    // model.json is plain JSON that tfjs's own loader would read; it names every data file.
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.1.bin']);
    expect(json.shardprop.files).toEqual({ optimizer: { path: 'optimizer.1.bin', crc32: expect.any(Number) } });
  });

  it('overwrites a model, removing the optimizer state when saving without it', async () => {
    await saveModel(root, modelToArtifacts(spec, paramsA), { optimizer: optA });
    await saveModel(root, modelToArtifacts(spec, paramsB, { epoch: 2 }));
    expect((await readdir(root)).sort()).toEqual(['model.json', 'weights.2.bin']);
    const loaded = await loadModel(root);
    expect(bits(loaded.params)).toEqual(bits(paramsB));
    expect(loaded.meta).toEqual({ formatVersion: 1, epoch: 2 });
    expect(loaded.optimizer).toBeUndefined();
  });

  it('a failed save leaves the previous model and no new or temporary files', async () => {
    await saveModel(root, modelToArtifacts(spec, paramsA, { epoch: 1 }), { optimizer: optA });
    const before = (await readdir(root)).sort();
    const counter = new FaultyFileSystem();
    const bigger = mlpSpec(6, [9, 3]);
    const next = () => modelToArtifacts(bigger, randomParams(bigger, 14), { epoch: 2 });
    await saveModel(root, next(), { fileSystem: counter });
    const commit = counter.steps.findIndex((s) => s.endsWith('-> model.json')) + 1;
    await saveModel(root, modelToArtifacts(spec, paramsA, { epoch: 1 }), { optimizer: optA });
    const after = (await readdir(root)).sort();
    await expect(saveModel(root, next(), { fileSystem: new FaultyFileSystem(commit, 'error') })).rejects.toThrow(
      new RegExp(
        `^saving the model to "${escapeRegExp(root)}" failed \\(the previous model is unchanged\\): EIO: injected fault at step ${commit} \\(rename `,
      ),
    );
    expect((await readdir(root)).sort()).toEqual(after);
    expect(after).toEqual(before.map((f) => f.replace('.1.', '.3.')));
    const loaded = await loadModel(root);
    expect(loaded.spec).toEqual(spec);
    expect(bits(loaded.params)).toEqual(bits(paramsA));
    expect(loaded.meta?.epoch).toBe(1);
    expect(bits(loaded.optimizer!.state)).toEqual(bits(optA.state));
  });

  it('rejects bad extra files and a reserved files key', async () => {
    const a = modelToArtifacts(spec, paramsA);
    for (const role of ['weights', 'optimizer', 'Best', '1x', 'a/b', '']) {
      await expect(saveModel(root, a, { extraFiles: { [role]: new Uint8Array(1) } })).rejects.toThrow(RangeError);
    }
    expect(() => modelToArtifacts(spec, paramsA, { files: {} })).toThrow(
      "model.json: shardprop.files is reserved: saveModel lists the model's data files there",
    );
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses optimizer state that is not a whole number of slots, and artifacts that would not load', async () => {
    await expect(
      saveModel(root, modelToArtifacts(spec, paramsA), { optimizer: { step: 1, state: new Float32Array(5) } }),
    ).rejects.toThrow('optimizer state has 5 values, not a whole number of slots of 53 parameters');
    const a = modelToArtifacts(spec, paramsA);
    await expect(saveModel(root, { ...a, weightData: a.weightData.subarray(8) })).rejects.toThrow(ModelFormatError);
    expect(await readdir(root)).toEqual([]);
  });

  it('gives clear errors for missing and broken files', async () => {
    const missingDir = join(root, 'nope');
    expect((await formatErrorAsync(loadModel(missingDir))).message).toBe(
      `model directory "${missingDir}" does not exist`,
    );
    await writeFile(join(root, 'file'), 'x');
    expect((await formatErrorAsync(loadModel(join(root, 'file')))).message).toBe(
      `model directory "${join(root, 'file')}" is not a directory`,
    );
    expect((await formatErrorAsync(loadModel(root))).message).toBe(`${join(root, 'model.json')} is missing`);

    await saveModel(root, modelToArtifacts(spec, paramsA), { optimizer: optA });
    const good = await readFile(join(root, 'model.json'), 'utf8');
    await writeFile(join(root, 'model.json'), good.slice(0, 50));
    expect((await formatErrorAsync(loadModel(root))).message).toMatch(
      new RegExp(`^${escapeRegExp(join(root, 'model.json'))} is not valid JSON: .+`),
    );
    await writeFile(join(root, 'model.json'), good);

    const weights = await readFile(join(root, 'weights.1.bin'));
    await writeFile(join(root, 'weights.1.bin'), weights.subarray(0, 100));
    expect((await formatErrorAsync(loadModel(root))).message).toBe(
      `${join(root, 'weights.1.bin')}: expected 212 bytes for 53 float32 parameters, got 100 (truncated)`,
    );
    await rm(join(root, 'weights.1.bin'));
    expect((await formatErrorAsync(loadModel(root))).message).toBe(`${join(root, 'weights.1.bin')} is missing`);
    await writeFile(join(root, 'weights.1.bin'), weights);

    const opt = await readFile(join(root, 'optimizer.1.bin'));
    await writeFile(join(root, 'optimizer.1.bin'), opt.subarray(0, 60));
    expect((await formatErrorAsync(loadModel(root))).message).toMatch(
      new RegExp(
        `^${escapeRegExp(join(root, 'optimizer.1.bin'))}: checksum mismatch \\(model\\.json has 0x[0-9a-f]{8}, the file has 0x[0-9a-f]{8}\\); the file is corrupt or was changed$`,
      ),
    );
    await writeFile(join(root, 'optimizer.1.bin'), opt);
    expect(bits((await loadModel(root)).optimizer!.state)).toEqual(bits(optA.state));

    // The older layout (fixed names, no list of files in model.json): optimizer.bin is checked by its own header.
    const legacy = join(root, 'legacy');
    await mkdir(legacy);
    const a = modelToArtifacts(spec, paramsA);
    await writeFile(join(legacy, 'model.json'), JSON.stringify(a.modelJson));
    await writeFile(join(legacy, 'weights.bin'), a.weightData);
    const legacyOpt = optimizerStateToBytes({ ...optA, weightsCrc32: crc32(a.weightData) });
    await writeFile(join(legacy, 'optimizer.bin'), legacyOpt.subarray(0, 60));
    expect((await formatErrorAsync(loadModel(legacy))).message).toBe(
      `${join(legacy, 'optimizer.bin')}: expected 456 bytes for 106 float32 state values, got 60 (truncated)`,
    );
    // An optimizer.bin from another save of the same architecture.
    await writeFile(join(legacy, 'optimizer.bin'), optimizerStateToBytes({ ...optA, weightsCrc32: 1 }));
    expect((await formatErrorAsync(loadModel(legacy))).message).toMatch(
      /optimizer\.bin: belongs to other weights \(it was saved with weights 0x00000001, .*weights\.bin is 0x[0-9a-f]{8}\); was a save interrupted\?$/,
    );
    await writeFile(join(legacy, 'optimizer.bin'), legacyOpt);
    expect(bits((await loadModel(legacy)).optimizer!.state)).toEqual(bits(optA.state));
  });

  it('reads models whose weights are split over several files', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 3, activation: 'relu', inputShape: [2], kernelInitializer: 'glorotUniform' }));
    m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'glorotUniform' }));
    const { modelJson, weights } = await tfjsArtifacts(m);
    (modelJson as Json).weightsManifest[0].paths = ['part1.bin', 'part2.bin'];
    await writeFile(join(root, 'model.json'), JSON.stringify(modelJson));
    await writeFile(join(root, 'part1.bin'), weights.subarray(0, 10));
    await writeFile(join(root, 'part2.bin'), weights.subarray(10));
    const loaded = await loadModel(root);
    expect(bits(loaded.params)).toEqual(bits(await tfjsWeights(m)));
    await rm(join(root, 'part2.bin'));
    expect((await formatErrorAsync(loadModel(root))).message).toBe(`${join(root, 'part2.bin')} is missing`);
  });

  it('uses no initialisers it does not know', () => {
    // Every initialiser name survives the round trip.
    for (const init of INITIALIZERS) {
      const s = validateSpec({
        inputSize: 2,
        layers: [{ units: 2, activation: 'linear', kernelInitializer: init, biasInitializer: init }],
      });
      const a = modelToArtifacts(s, new Float32Array(6));
      expect(modelFromArtifacts(a.modelJson, a.weightData).spec).toEqual(s);
    }
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
