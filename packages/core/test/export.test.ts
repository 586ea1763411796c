// Export to ONNX and safetensors: the ONNX model runs in ONNX Runtime and predicts what shardprop predicts (for
// every activation, with and without the standardisation in the graph); the metadata is there; the safetensors
// file parses back to the same weights in nn.Linear layout; bad inputs give clear errors.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ONNX_OPSET,
  ExportError,
  exportArchitecture,
  MAX_ONNX_OPSET,
  MIN_ONNX_OPSET,
  modelFromSafetensors,
  onnxMetadata,
  parseOnnx,
  parseSafetensors,
  SafetensorsFormatError,
  toOnnx,
  toSafetensors,
} from '../src/export/index.js';
import { modelToArtifacts, type ShardpropMetaInput } from '../src/io/artifacts.js';
import { ACTIVATIONS, type ActivationName } from '../src/model/activation-names.js';
import { paramLayout } from '../src/model/layout.js';
import { Mlp } from '../src/model/mlp.js';
import { type ModelSpec, ModelSpecError, validateSpec } from '../src/model/spec.js';
import { loadModel, saveModel } from '../src/node.js';
import { Rng } from '../src/random.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** Random weights and biases (biases too, so that the bias path is exercised), in [-scale, scale). */
function randomParams(spec: ModelSpec, seed: number, scale = 0.9): Float32Array {
  const rng = new Rng(seed);
  return new Float32Array(paramLayout(validateSpec(spec)).paramCount).map(() => rng.uniform(-scale, scale));
}

/** Raw inputs around `center` with spread `spread` per column. */
function rawInputs(rows: number, center: number[], spread: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  const n = center.length;
  return new Float32Array(rows * n).map((_, k) => center[k % n] + spread[k % n] * rng.uniform(-2, 2));
}

function randomNormalization(inputSize: number, seed: number): { mean: number[]; std: number[] } {
  const rng = new Rng(seed);
  return {
    mean: Array.from({ length: inputSize }, () => rng.uniform(-50, 50)),
    std: Array.from({ length: inputSize }, () => rng.uniform(0.2, 20)),
  };
}

/** `(x - mean) / std` per column, as the CLI does it: in float64, then stored as float32. */
function standardize(x: Float32Array, norm: { mean: number[]; std: number[] }): Float32Array {
  const n = norm.mean.length;
  return x.map((v, k) => (v - norm.mean[k % n]) / norm.std[k % n]);
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ input: new ort.Tensor('float32', x, [rows, cols]) });
    return result.output.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A forward pass over safetensors weights the way PyTorch's nn.Linear computes it: `y = x W^T + b`. */
function torchStyleForward(
  spec: ModelSpec,
  tensors: Record<string, { shape: number[]; data: Float32Array | undefined }>,
  x: Float32Array,
  rows: number,
): Float64Array {
  let a = Float64Array.from(x);
  let inSize = spec.inputSize;
  spec.layers.forEach((layer, i) => {
    const w = tensors[`${2 * i}.weight`];
    const b = tensors[`${2 * i}.bias`];
    const out = layer.units;
    expect(w.shape).toEqual([out, inSize]);
    expect(b.shape).toEqual([out]);
    const z = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < out; o++) {
        let s = (b.data as Float32Array)[o];
        for (let k = 0; k < inSize; k++) s += a[r * inSize + k] * (w.data as Float32Array)[o * inSize + k];
        z[r * out + o] = s;
      }
    }
    const elementwise: Record<Exclude<ActivationName, 'softmax'>, (v: number) => number> = {
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      tanh: Math.tanh,
      relu: (v) => Math.max(0, v),
      leakyRelu: (v) => (v < 0 ? 0.2 * v : v),
      elu: (v) => (v < 0 ? Math.expm1(v) : v),
      linear: (v) => v,
    };
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * out, (r + 1) * out);
      if (layer.activation === 'softmax') {
        const max = Math.max(...row);
        let sum = 0;
        for (let j = 0; j < out; j++) sum += row[j] = Math.exp(row[j] - max);
        for (let j = 0; j < out; j++) row[j] /= sum;
      } else {
        for (let j = 0; j < out; j++) row[j] = elementwise[layer.activation](row[j]);
      }
    }
    a = z;
    inSize = out;
  });
  return a;
}

/** A CLI-style metadata section: a numeric and a categorical feature, a 3-class target. */
function cliMeta(): ShardpropMetaInput {
  return {
    featureNames: ['sepal_length', 'colour'],
    targetNames: ['species'],
    encodings: {
      features: [
        { name: 'sepal_length', kind: 'numeric', mean: 5.84, std: 0.825 },
        { name: 'colour', kind: 'categorical', vocabulary: ['blue', 'red'], mode: 'red' },
      ],
      target: { task: 'multiclass', column: 'species', classes: ['setosa', 'versicolor', 'virginica'], numeric: false },
    },
    normalization: { mean: [5.84, 0, 0], std: [0.825, 1, 1] },
    task: 'multiclass',
    loss: 'categoricalCrossentropy',
    epoch: 12,
  };
}

const HIDDEN: ActivationName[] = ACTIVATIONS.filter((a) => a !== 'softmax');

// ---------------------------------------------------------------------------------------------------------------
// ONNX: ONNX Runtime predicts what shardprop predicts

describe('toOnnx in ONNX Runtime', () => {
  const inputSize = 6;
  const rows = 64;
  for (const act of ACTIVATIONS) {
    for (const withNorm of [true, false]) {
      it(`${act} (hidden and output${act === 'softmax' ? ' (output only; hidden tanh)' : ''}), ${withNorm ? 'with' : 'without'} standardisation`, async () => {
        const hidden = act === 'softmax' ? 'tanh' : act;
        const spec: ModelSpec = {
          inputSize,
          layers: [
            { units: 9, activation: hidden },
            { units: 5, activation: hidden },
            { units: 4, activation: act },
          ],
        };
        const params = randomParams(spec, 11 + ACTIVATIONS.indexOf(act));
        const norm = randomNormalization(inputSize, 5);
        const meta: ShardpropMetaInput | undefined = withNorm ? { normalization: norm } : undefined;
        const x = withNorm
          ? rawInputs(rows, norm.mean, norm.std, 3)
          : rawInputs(rows, Array(inputSize).fill(0), Array(inputSize).fill(1), 3);
        const expected = new Mlp(spec, params).predict(withNorm ? standardize(x, norm) : x);
        const bytes = toOnnx(spec, params, meta);
        const got = await runOnnx(bytes, x, rows, inputSize);
        expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
        // The activation is in the graph (negative pre-activations exist, so relu-like ops are exercised).
        const model = parseOnnx(bytes);
        const ops = model.graph.node.map((n) => n.opType);
        expect(ops.slice(0, 2)).toEqual(withNorm ? ['Sub', 'Div'] : ['MatMul', 'Add']);
        if (act === 'linear')
          expect(ops.filter((o) => o !== 'Sub' && o !== 'Div')).toEqual(
            Array(6)
              .fill(0)
              .map((_, i) => (i % 2 ? 'Add' : 'MatMul')),
          );
        expect(onnxMetadata(model).normalization_in_graph).toBe(String(withNorm));
      });
    }
  }

  it('the seed network (39-39-39-1 sigmoid) on 1,000 rows, standardisation in the graph', async () => {
    const spec: ModelSpec = {
      inputSize: 39,
      layers: [39, 39, 39, 1].map((units) => ({ units, activation: 'sigmoid' as const })),
    };
    const model = Mlp.create(spec, { seed: 3 });
    const norm = randomNormalization(39, 8);
    const x = rawInputs(1000, norm.mean, norm.std, 9);
    const expected = model.predict(standardize(x, norm));
    const got = await runOnnx(toOnnx(model.spec, model.params, { normalization: norm }), x, 1000, 39);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
  });

  it('mixed activations, a single row and a one-unit output', async () => {
    const spec: ModelSpec = {
      inputSize: 3,
      layers: [
        { units: 8, activation: 'leakyRelu' },
        { units: 8, activation: 'elu' },
        { units: 6, activation: 'relu' },
        { units: 5, activation: 'tanh' },
        { units: 1, activation: 'sigmoid' },
      ],
    };
    const params = randomParams(spec, 99, 1.5);
    const x = new Float32Array([0.3, -1.7, 2.2]);
    const got = await runOnnx(toOnnx(spec, params), x, 1, 3);
    expect(maxAbsDiff(got, new Mlp(spec, params).predict(x))).toBeLessThan(1e-5);
  });

  it('includeNormalization: false leaves the standardisation to the caller and says so', async () => {
    const spec: ModelSpec = { inputSize: 4, layers: [{ units: 3, activation: 'tanh' }] };
    const params = randomParams(spec, 4);
    const norm = randomNormalization(4, 2);
    const bytes = toOnnx(spec, params, { normalization: norm }, { includeNormalization: false });
    const model = parseOnnx(bytes);
    expect(model.graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Tanh']);
    expect(model.graph.initializer.map((t) => t.name)).toEqual(['dense_1/kernel', 'dense_1/bias']);
    const meta = onnxMetadata(model);
    expect(meta.normalization_in_graph).toBe('false');
    expect(JSON.parse(meta.normalization)).toEqual({ ...norm, in_graph: false });
    const x = standardize(rawInputs(10, norm.mean, norm.std, 1), norm);
    expect(maxAbsDiff(await runOnnx(bytes, x, 10, 4), new Mlp(spec, params).predict(x))).toBeLessThan(1e-5);
  });

  it(`loads in ONNX Runtime for every opset from ${MIN_ONNX_OPSET} to ${MAX_ONNX_OPSET}`, async () => {
    const spec: ModelSpec = {
      inputSize: 2,
      layers: [
        { units: 3, activation: 'leakyRelu' },
        { units: 3, activation: 'elu' },
        { units: 2, activation: 'softmax' },
      ],
    };
    const params = randomParams(spec, 1);
    const x = new Float32Array([0.5, -0.25, -2, 1]);
    const expected = new Mlp(spec, params).predict(x);
    for (let opset = MIN_ONNX_OPSET; opset <= MAX_ONNX_OPSET; opset++) {
      const bytes = toOnnx(spec, params, undefined, { opset });
      const model = parseOnnx(bytes);
      expect(model.opsetImport).toEqual([{ version: opset }]);
      expect(maxAbsDiff(await runOnnx(bytes, x, 2, 2), expected)).toBeLessThan(1e-5);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// ONNX: the model's structure and metadata

describe('toOnnx structure and metadata', () => {
  const spec: ModelSpec = {
    inputSize: 3,
    layers: [
      { units: 4, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
  };
  const params = randomParams(spec, 21);

  it('writes a ModelProto: ir_version 8, opset 17, producer shardprop, named input and output', async () => {
    const bytes = toOnnx(spec, params, cliMeta());
    const model = parseOnnx(bytes);
    expect(DEFAULT_ONNX_OPSET).toBe(17);
    expect(model.irVersion).toBe(8);
    expect(model.opsetImport).toEqual([{ version: 17 }]);
    expect(model.producerName).toBe('shardprop');
    expect(model.graph.input).toEqual([
      {
        name: 'input',
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] } } },
      },
    ]);
    expect(model.graph.output).toEqual([
      {
        name: 'output',
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] } } },
      },
    ]);
    expect(model.graph.node.map((n) => n.opType)).toEqual([
      'Sub',
      'Div',
      'MatMul',
      'Add',
      'Relu',
      'MatMul',
      'Add',
      'Softmax',
    ]);
    const softmax = model.graph.node[7];
    expect(softmax.attribute).toMatchObject([{ name: 'axis', type: 2, i: -1 }]);
    expect(softmax.output).toEqual(['output']);
    // Initializers: the standardisation, then per layer the [in, out] row-major kernel and the bias.
    const inits = Object.fromEntries(model.graph.initializer.map((t) => [t.name, t]));
    expect(Object.keys(inits)).toEqual([
      'input_mean',
      'input_std',
      'dense_1/kernel',
      'dense_1/bias',
      'dense_2/kernel',
      'dense_2/bias',
    ]);
    const layout = paramLayout(validateSpec(spec));
    for (const [i, l] of layout.layers.entries()) {
      const k = inits[`dense_${i + 1}/kernel`];
      expect(k.dims).toEqual([l.inSize, l.outSize]);
      expect(k.dataType).toBe(1);
      const raw = k.rawData as Uint8Array;
      const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      expect(values).toEqual(params.subarray(l.kernelOffset, l.biasOffset));
      expect(inits[`dense_${i + 1}/bias`].dims).toEqual([l.outSize]);
    }
    // ONNX Runtime agrees about the names.
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    await session.release();
  });

  it('carries class labels, feature and input names, standardisation and the shardprop metadata', () => {
    const meta = onnxMetadata(parseOnnx(toOnnx(spec, params, cliMeta())));
    expect(JSON.parse(meta.class_labels)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(JSON.parse(meta.feature_names)).toEqual(['sepal_length', 'colour']);
    expect(JSON.parse(meta.input_names)).toEqual(['sepal_length', 'colour=blue', 'colour=red']);
    expect(JSON.parse(meta.target_names)).toEqual(['species']);
    expect(meta.task).toBe('multiclass');
    expect(meta.loss).toBe('categoricalCrossentropy');
    expect(JSON.parse(meta.normalization)).toEqual({ mean: [5.84, 0, 0], std: [0.825, 1, 1], in_graph: true });
    expect(meta.normalization_in_graph).toBe('true');
    expect(meta.output_description).toMatch(/probability per class, in class_labels order/);
    const arch = JSON.parse(meta.architecture);
    expect(arch).toEqual(exportArchitecture(validateSpec(spec)));
    expect(arch.layers).toEqual([
      { units: 4, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ]);
    const shardprop = JSON.parse(meta.shardprop);
    expect(shardprop.formatVersion).toBe(1);
    expect(shardprop.epoch).toBe(12);
    expect(shardprop.encodings.target.classes).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('describes a binary sigmoid output and regression outputs', () => {
    const binary: ModelSpec = { inputSize: 2, layers: [{ units: 1, activation: 'sigmoid' }] };
    const m1 = onnxMetadata(
      parseOnnx(
        toOnnx(binary, randomParams(binary, 1), {
          encodings: { target: { task: 'binary', column: 'y', classes: ['no', 'yes'] } },
        }),
      ),
    );
    expect(m1.output_description).toMatch(/probability of class "yes"/);
    const reg: ModelSpec = { inputSize: 2, layers: [{ units: 2, activation: 'linear' }] };
    const m2 = onnxMetadata(parseOnnx(toOnnx(reg, randomParams(reg, 1), { targetNames: ['a', 'b'] })));
    expect(m2.output_description).toBe('predicted a, b');
    expect(m2.class_labels).toBeUndefined();
    // Without metadata: only the architecture and the description.
    const m3 = onnxMetadata(parseOnnx(toOnnx(reg, randomParams(reg, 1))));
    expect(Object.keys(m3)).toEqual(['architecture', 'output_description', 'normalization_in_graph']);
  });

  it('keeps LeakyRelu alpha 0.2 and Elu alpha 1 as attributes; a linear layer has no activation node', () => {
    const s: ModelSpec = {
      inputSize: 2,
      layers: [
        { units: 2, activation: 'leakyRelu' },
        { units: 2, activation: 'elu' },
        { units: 2, activation: 'linear' },
      ],
    };
    const nodes = parseOnnx(toOnnx(s, randomParams(s, 2))).graph.node;
    expect(nodes.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'LeakyRelu', 'MatMul', 'Add', 'Elu', 'MatMul', 'Add']);
    expect(nodes[2].attribute).toMatchObject([{ name: 'alpha', type: 1, f: expect.closeTo(0.2, 7) }]);
    expect(nodes[5].attribute).toMatchObject([{ name: 'alpha', type: 1, f: 1 }]);
    expect(nodes[7].output).toEqual(['output']);
  });

  it('takes other input and output names', async () => {
    const bytes = toOnnx(spec, params, undefined, { inputName: 'features', outputName: 'probabilities' });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual(['probabilities']);
    const x = new Float32Array([1, 2, 3]);
    const r = await session.run({ features: new ort.Tensor('float32', x, [1, 3]) });
    expect(maxAbsDiff(r.probabilities.data as Float32Array, new Mlp(spec, params).predict(x))).toBeLessThan(1e-5);
    await session.release();
  });

  it('exports a model directory read back with loadModel', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shardprop-export-'));
    try {
      const model = Mlp.create(spec, { seed: 5 });
      await saveModel(dir, modelToArtifacts(model.spec, model.params, cliMeta()));
      const loaded = await loadModel(dir);
      const bytes = toOnnx(loaded.spec, loaded.params, loaded.meta);
      const x = new Float32Array([6.1, 1, 0, 4.9, 0, 1]);
      const norm = cliMeta().normalization as { mean: number[]; std: number[] };
      const got = await runOnnx(bytes, x, 2, 3);
      expect(maxAbsDiff(got, model.predict(standardize(x, norm)))).toBeLessThan(1e-5);
      expect(JSON.parse(onnxMetadata(parseOnnx(bytes)).class_labels)).toEqual(['setosa', 'versicolor', 'virginica']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// safetensors

describe('toSafetensors', () => {
  const spec: ModelSpec = {
    inputSize: 5,
    layers: [
      { units: 4, activation: 'leakyRelu' },
      { units: 3, activation: 'linear' },
      { units: 2, activation: 'softmax' },
    ],
  };
  const params = randomParams(spec, 31);

  it('writes the header length, an 8-byte aligned space-padded JSON header, and F32 tensors in nn.Linear layout', () => {
    const bytes = toSafetensors(spec, params, cliMetaFor(5));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect((8 + n) % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText.startsWith('{"__metadata__":')).toBe(true);
    expect(headerText.trimEnd().endsWith('}')).toBe(true);
    expect(/^ *$/.test(headerText.slice(headerText.trimEnd().length))).toBe(true);
    const parsed = parseSafetensors(bytes);
    expect(parsed.headerLength).toBe(n);
    expect(Object.keys(parsed.tensors)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    const layout = paramLayout(validateSpec(spec));
    let offset = 0;
    for (const l of layout.layers) {
      const w = parsed.tensors[`${2 * l.index}.weight`];
      const b = parsed.tensors[`${2 * l.index}.bias`];
      expect(w.dtype).toBe('F32');
      expect(w.shape).toEqual([l.outSize, l.inSize]);
      expect(w.dataOffsets).toEqual([offset, offset + 4 * l.inSize * l.outSize]);
      offset = w.dataOffsets[1];
      expect(b.dtype).toBe('F32');
      expect(b.shape).toEqual([l.outSize]);
      expect(b.dataOffsets).toEqual([offset, offset + 4 * l.outSize]);
      offset = b.dataOffsets[1];
      // weight[o][i] is the Keras kernel[i][o]
      const data = w.data as Float32Array;
      for (let i = 0; i < l.inSize; i++) {
        for (let o = 0; o < l.outSize; o++) {
          expect(data[o * l.inSize + i]).toBe(params[l.kernelOffset + i * l.outSize + o]);
        }
      }
      expect(b.data).toEqual(params.subarray(l.biasOffset, l.biasOffset + l.outSize));
    }
    expect(bytes.byteLength).toBe(8 + n + offset);
    expect(offset).toBe(4 * params.length);
  });

  it('puts the architecture, nn.Sequential layout, standardisation and labels in __metadata__', () => {
    const { metadata, header } = parseSafetensors(toSafetensors(spec, params, cliMetaFor(5)));
    expect(header.__metadata__).toEqual(metadata);
    expect(metadata.format).toBe('pt');
    expect(metadata.producer).toBe('shardprop');
    const arch = JSON.parse(metadata.architecture);
    expect(arch.inputSize).toBe(5);
    expect(arch.outputSize).toBe(2);
    expect(arch.layers).toEqual([
      { units: 4, activation: 'leakyRelu', alpha: 0.2 },
      { units: 3, activation: 'linear' },
      { units: 2, activation: 'softmax' },
    ]);
    expect(arch.sequential).toEqual([
      { index: 0, module: 'Linear', kwargs: { in_features: 5, out_features: 4, bias: true } },
      { index: 1, module: 'LeakyReLU', kwargs: { negative_slope: 0.2 } },
      { index: 2, module: 'Linear', kwargs: { in_features: 4, out_features: 3, bias: true } },
      { index: 3, module: 'Identity', kwargs: {} },
      { index: 4, module: 'Linear', kwargs: { in_features: 3, out_features: 2, bias: true } },
      { index: 5, module: 'Softmax', kwargs: { dim: -1 } },
    ]);
    expect(JSON.parse(metadata.normalization)).toEqual({ ...cliMetaFor(5).normalization, in_graph: false });
    expect(JSON.parse(metadata.class_labels)).toEqual(['no', 'yes']);
    expect(JSON.parse(metadata.feature_names)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(JSON.parse(metadata.input_names)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(metadata.task).toBe('binary');
    expect(JSON.parse(metadata.shardprop).loss).toBe('categoricalCrossentropy');
    for (const v of Object.values(metadata)) expect(typeof v).toBe('string');
  });

  it('maps every activation to its torch.nn module (ELU alpha 1, Identity for linear)', () => {
    const modules = HIDDEN.map((act) => {
      const s: ModelSpec = { inputSize: 2, layers: [{ units: 2, activation: act }] };
      return JSON.parse(parseSafetensors(toSafetensors(s, randomParams(s, 1))).metadata.architecture).sequential[1];
    });
    expect(modules.map((m: { module: string }) => m.module)).toEqual([
      'Sigmoid',
      'Tanh',
      'ReLU',
      'LeakyReLU',
      'ELU',
      'Identity',
    ]);
    expect(modules[4].kwargs).toEqual({ alpha: 1 });
  });

  it('x W^T + b over the safetensors weights predicts what shardprop predicts, for every activation', () => {
    for (const act of ACTIVATIONS) {
      const hidden = act === 'softmax' ? 'relu' : act;
      const s: ModelSpec = {
        inputSize: 4,
        layers: [
          { units: 6, activation: hidden },
          { units: 3, activation: act },
        ],
      };
      const p = randomParams(s, 40 + ACTIVATIONS.indexOf(act));
      const x = rawInputs(20, [0, 0, 0, 0], [1, 1, 1, 1], 2);
      const { tensors } = parseSafetensors(toSafetensors(s, p));
      expect(maxAbsDiff(torchStyleForward(s, tensors, x, 20), new Mlp(s, p).predict(x))).toBeLessThan(1e-5);
    }
  });

  it('reads back with modelFromSafetensors: the same spec, the same parameters bit for bit, the same metadata', () => {
    const meta = cliMetaFor(5);
    const back = modelFromSafetensors(toSafetensors(spec, params, meta));
    expect(back.spec).toEqual(validateSpec(spec));
    expect(back.params).toEqual(params);
    expect(back.meta?.encodings).toEqual(meta.encodings);
    expect(back.meta?.normalization).toEqual(meta.normalization);
  });

  it('keeps the data 8-byte aligned whatever the header length', () => {
    for (let k = 0; k < 9; k++) {
      const bytes = toSafetensors(spec, params, { featureNames: ['x'.repeat(k), 'b', 'c', 'd', 'e'] });
      const n = new DataView(bytes.buffer).getUint32(0, true);
      expect((8 + n) % 8).toBe(0);
      expect(parseSafetensors(bytes).metadata.feature_names).toBe(JSON.stringify(['x'.repeat(k), 'b', 'c', 'd', 'e']));
    }
  });
});

function cliMetaFor(inputSize: number): ShardpropMetaInput & { normalization: { mean: number[]; std: number[] } } {
  const names = 'abcdefghij'.slice(0, inputSize).split('');
  return {
    featureNames: names,
    targetNames: ['y'],
    encodings: {
      features: names.map((name, i) => ({ name, kind: 'numeric', mean: i, std: 1 + i })),
      target: { task: 'binary', column: 'y', classes: ['no', 'yes'], numeric: false },
    },
    normalization: { mean: names.map((_, i) => i), std: names.map((_, i) => 1 + i) },
    task: 'binary',
    loss: 'categoricalCrossentropy',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Bad inputs

describe('bad exports', () => {
  const spec: ModelSpec = { inputSize: 3, layers: [{ units: 2, activation: 'sigmoid' }] };
  const params = randomParams(spec, 1);

  for (const [format, exporter] of [
    ['onnx', (s: ModelSpec, p: Float32Array, m?: ShardpropMetaInput) => toOnnx(s, p, m)],
    ['safetensors', (s: ModelSpec, p: Float32Array, m?: ShardpropMetaInput) => toSafetensors(s, p, m)],
  ] as const) {
    it(`${format}: a wrong parameter count, type, or a non-finite weight`, () => {
      expect(() => exporter(spec, new Float32Array(7))).toThrow(RangeError);
      expect(() => exporter(spec, new Float32Array(7))).toThrow('params has 7 values, the spec needs 8');
      expect(() => exporter(spec, Array.from(params) as unknown as Float32Array)).toThrow(TypeError);
      const bad = params.slice();
      bad[5] = Number.NaN;
      expect(() => exporter(spec, bad)).toThrow(ExportError);
      expect(() => exporter(spec, bad)).toThrow('params[5] is NaN');
    });

    it(`${format}: an invalid spec or metadata that does not fit the model`, () => {
      expect(() => exporter({ inputSize: 0, layers: [] }, params)).toThrow(ModelSpecError);
      expect(() => exporter(spec, params, { normalization: { mean: [0, 0], std: [1, 1] } })).toThrow(
        'invalid model metadata: shardprop.normalization.mean has 2 values, the model has 3 inputs',
      );
      expect(() => exporter(spec, params, { normalization: { mean: [0, 0, 0], std: [1, 0, 1] } })).toThrow(
        'shardprop.normalization.std[1] must be > 0',
      );
      expect(() => exporter(spec, params, { featureNames: [1] as unknown as string[] })).toThrow(ExportError);
    });
  }

  it('onnx: an unsupported opset or clashing names', () => {
    for (const opset of [12, MAX_ONNX_OPSET + 1, 17.5, Number.NaN]) {
      expect(() => toOnnx(spec, params, undefined, { opset })).toThrow(ExportError);
    }
    expect(() => toOnnx(spec, params, undefined, { opset: 11 })).toThrow(
      `opset 11 is not supported; shardprop writes ONNX opsets ${MIN_ONNX_OPSET} to ${MAX_ONNX_OPSET} (default 17)`,
    );
    expect(() => toOnnx(spec, params, undefined, { inputName: 'x', outputName: 'x' })).toThrow(ExportError);
    expect(() => toOnnx(spec, params, undefined, { inputName: 'dense_1/kernel' })).toThrow(
      'tensor name "dense_1/kernel" would be used twice',
    );
    expect(() => toOnnx(spec, params, undefined, { outputName: '' })).toThrow('outputName must be a non-empty string');
  });

  it('parseSafetensors: names what is wrong with a damaged file', () => {
    const good = toSafetensors(spec, params);
    const n = new DataView(good.buffer).getUint32(0, true);
    const withHeader = (header: unknown, data = new Uint8Array(0)): Uint8Array => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + data.length);
      new DataView(out.buffer).setUint32(0, json.length, true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    };
    const cases: Array<[Uint8Array, string]> = [
      [good.subarray(0, 5), 'fewer than the 8-byte header length'],
      [good.subarray(0, 8 + n - 1), 'runs past the end of the file'],
      [good.subarray(0, good.length - 4), 'the tensors need 32 bytes of data, the file has 28 (truncated?)'],
      [withHeader([1, 2]), 'the header does not start with "{"'],
      [withHeader('{'), 'the header does not start with "{"'],
      [withHeader({ a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'has dtype "F33"'],
      [withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), 'needs 8 bytes'],
      [withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'has shape [-1]'],
      [
        withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
        'the data has a gap at byte 0',
      ],
      [
        withHeader(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
          },
          new Uint8Array(8),
        ),
        'overlaps the tensor before it',
      ],
      [withHeader({ __metadata__: { a: 1 } }), '__metadata__.a must be a string'],
      [withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)), 'trailing bytes'],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseSafetensors(bytes)).toThrow(SafetensorsFormatError);
      expect(() => parseSafetensors(bytes)).toThrow(message);
    }
    const notJson = good.slice();
    notJson[9] = 0x7b; // '{' followed by '{'
    expect(() => parseSafetensors(notJson)).toThrow('the header is not valid JSON');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expect(() => parseSafetensors(huge)).toThrow('is larger than 100000000 bytes');
  });

  it('modelFromSafetensors: a file without shardprop metadata or with missing or misshapen tensors', () => {
    const good = toSafetensors(spec, params);
    const { tensors, metadata } = parseSafetensors(good);
    const rebuild = (meta: Record<string, string>, names: Record<string, { shape: number[]; data: Float32Array }>) => {
      const header: Record<string, unknown> = { __metadata__: meta };
      let off = 0;
      const parts: Float32Array[] = [];
      for (const [name, t] of Object.entries(names)) {
        header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
        off += t.data.byteLength;
        parts.push(t.data);
      }
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + off);
      new DataView(out.buffer).setUint32(0, json.length, true);
      out.set(json, 8);
      let at = 8 + json.length;
      for (const p of parts) {
        out.set(new Uint8Array(p.buffer), at);
        at += p.byteLength;
      }
      return out;
    };
    const w = { shape: tensors['0.weight'].shape, data: tensors['0.weight'].data as Float32Array };
    const b = { shape: tensors['0.bias'].shape, data: tensors['0.bias'].data as Float32Array };
    expect(modelFromSafetensors(rebuild(metadata, { '0.weight': w, '0.bias': b })).params).toEqual(params);
    expect(() => modelFromSafetensors(rebuild({}, { '0.weight': w, '0.bias': b }))).toThrow('no "architecture" entry');
    expect(() => modelFromSafetensors(rebuild(metadata, { '0.weight': w }))).toThrow('tensor "0.bias" is missing');
    expect(() =>
      modelFromSafetensors(rebuild(metadata, { '0.weight': { shape: [3, 2], data: w.data }, '0.bias': b })),
    ).toThrow('tensor "0.weight" has shape [3, 2], expected [2, 3]');
    expect(() => modelFromSafetensors(rebuild(metadata, { '0.weight': w, '0.bias': b, '2.weight': b }))).toThrow(
      'tensor "2.weight" does not belong to any layer',
    );
  });
});
