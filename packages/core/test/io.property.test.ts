// Property tests (fast-check) of the model format: random architectures, parameters (any float32 bit pattern)
// and metadata round-trip bit for bit, through memory, JSON text and a directory; random models load in
// TensorFlow.js and predict like a float64 reference; truncated or altered files are always rejected.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import {
  ModelFormatError,
  modelFromArtifacts,
  modelToArtifacts,
  optimizerStateFromBytes,
  optimizerStateToBytes,
  type ShardpropMetaInput,
  toTfjsArtifacts,
} from '../src/io/artifacts.js';
import { ACTIVATIONS } from '../src/model/activation-names.js';
import { INITIALIZERS } from '../src/model/initializer-names.js';
import { paramLayout } from '../src/model/layout.js';
import { type LayerSpec, type ModelSpec, validateSpec } from '../src/model/spec.js';
import { loadModel, saveModel } from '../src/node.js';
import { referenceForward } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const hidden = ACTIVATIONS.filter((a) => a !== 'softmax');

const specArb: fc.Arbitrary<ModelSpec> = fc
  .record({
    inputSize: fc.integer({ min: 1, max: 12 }),
    layers: fc.array(
      fc.record(
        {
          units: fc.integer({ min: 1, max: 10 }),
          activation: fc.constantFrom(...hidden),
          kernelInitializer: fc.constantFrom(...INITIALIZERS),
          biasInitializer: fc.constantFrom(...INITIALIZERS),
        },
        { requiredKeys: ['units', 'activation'] },
      ),
      { minLength: 1, maxLength: 4 },
    ),
    softmaxOutput: fc.boolean(),
  })
  .map(({ inputSize, layers, softmaxOutput }) => {
    const all: LayerSpec[] = layers;
    if (softmaxOutput) all[all.length - 1].activation = 'softmax';
    return validateSpec({ inputSize, layers: all });
  });

/** Parameters of any bit pattern (NaNs with payloads, infinities, -0, subnormals). */
const paramsFor = (spec: ModelSpec) =>
  fc
    .array(fc.integer({ min: 0, max: 0xffffffff }), {
      minLength: paramLayout(spec).paramCount,
      maxLength: paramLayout(spec).paramCount,
    })
    .map((words) => new Float32Array(new Uint32Array(words).buffer));

const metaFor = (spec: ModelSpec): fc.Arbitrary<ShardpropMetaInput> =>
  fc.record(
    {
      featureNames: fc.array(fc.string(), { maxLength: 5 }),
      targetNames: fc.array(fc.string(), { maxLength: 3 }),
      encodings: fc.jsonValue({ maxDepth: 3 }),
      normalization: fc.record({
        mean: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
          minLength: spec.inputSize,
          maxLength: spec.inputSize,
        }),
        std: fc.array(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), {
          minLength: spec.inputSize,
          maxLength: spec.inputSize,
        }),
      }),
      task: fc.string(),
      loss: fc.constantFrom('meanSquaredError', 'binaryCrossentropy', 'categoricalCrossentropy'),
      optimizer: fc.record(
        {
          name: fc.constantFrom('sgd', 'momentum', 'adam', 'adamw', 'rmsprop' as const),
          learningRate: fc.double({ min: 1e-6, max: 1, noNaN: true }),
          nesterov: fc.boolean(),
        },
        { requiredKeys: ['name'] },
      ),
      training: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      epoch: fc.nat(),
      kernels: fc.constantFrom('js', 'wasm-simd'),
      extra: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<ShardpropMetaInput>;

const modelArb = specArb.chain((spec) => fc.tuple(fc.constant(spec), paramsFor(spec), metaFor(spec)));

/** What a JSON round trip makes of a value (-0 becomes 0). */
const viaJson = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('model format properties', () => {
  it('spec, params (bitwise) and meta round-trip through memory and JSON text', () => {
    fc.assert(
      fc.property(modelArb, ([spec, params, meta]) => {
        const a = modelToArtifacts(spec, params, meta);
        const text = JSON.stringify(a.modelJson);
        const back = modelFromArtifacts(JSON.parse(text), a.weightData.slice());
        expect(back.spec).toEqual(spec);
        expect(bits(back.params)).toEqual(bits(params));
        expect(back.meta).toEqual(viaJson({ formatVersion: 1, ...meta }));
        // Writing what was read gives the same file.
        expect(JSON.stringify(modelToArtifacts(back.spec, back.params, back.meta).modelJson)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips through a directory with optimizer state', async () => {
    const root = await mkdtemp(join(tmpdir(), 'shardprop-io-prop-'));
    try {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          modelArb,
          fc.integer({ min: 0, max: 3 }),
          fc.nat(),
          async ([spec, params, meta], slots, step) => {
            const dir = join(root, `m${n++}`);
            const state = new Float32Array(slots * params.length).map((_, i) => i * 0.5 - 3);
            await saveModel(dir, modelToArtifacts(spec, params, meta), { optimizer: { step, state } });
            const back = await loadModel(dir);
            expect(back.spec).toEqual(spec);
            expect(bits(back.params)).toEqual(bits(params));
            expect(back.meta).toEqual(viaJson({ formatVersion: 1, ...meta }));
            expect(back.optimizer?.step).toBe(step);
            expect(bits(back.optimizer!.state)).toEqual(bits(state));
          },
        ),
        { numRuns: 30 },
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('random models load in tfjs and predict like the float64 reference', async () => {
    const finiteParams = (spec: ModelSpec) =>
      fc
        .array(fc.float({ min: -1, max: 1, noNaN: true }), {
          minLength: paramLayout(spec).paramCount,
          maxLength: paramLayout(spec).paramCount,
        })
        .map((v) => new Float32Array(v));
    const inputs = (spec: ModelSpec) =>
      fc
        .array(fc.float({ min: -2, max: 2, noNaN: true }), {
          minLength: spec.inputSize * 3,
          maxLength: spec.inputSize * 3,
        })
        .map((v) => new Float32Array(v));
    await fc.assert(
      fc.asyncProperty(
        specArb.chain((s) => fc.tuple(fc.constant(s), finiteParams(s), inputs(s))),
        async ([spec, params, x]) => {
          const a = modelToArtifacts(spec, params);
          const model = await tf.loadLayersModel(
            tf.io.fromMemory(toTfjsArtifacts(a.modelJson, a.weightData) as tf.io.ModelArtifacts),
          );
          const input = tf.tensor2d(x, [3, spec.inputSize]);
          const out = model.predict(input) as tf.Tensor;
          const got = await out.data();
          tf.dispose([input, out]);
          model.dispose();
          const want = referenceForward(spec, params, x, 3);
          for (let i = 0; i < want.length; i++) {
            expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('truncated or altered weight data is always rejected', () => {
    fc.assert(
      fc.property(
        specArb.chain((s) => fc.tuple(fc.constant(s), paramsFor(s), fc.nat(), fc.integer({ min: 1, max: 255 }))),
        ([spec, params, at, xor]) => {
          const a = modelToArtifacts(spec, params);
          const n = a.weightData.byteLength;
          const cut = at % n;
          expect(() => modelFromArtifacts(a.modelJson, a.weightData.subarray(0, cut))).toThrow(
            new ModelFormatError(
              'weights.bin',
              `expected ${n} bytes for ${n / 4} float32 parameters, got ${cut} (truncated)`,
            ),
          );
          const altered = a.weightData.slice();
          altered[at % n] ^= xor;
          expect(() => modelFromArtifacts(a.modelJson, altered)).toThrow(/^weights\.bin: checksum mismatch/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('optimizer.bin round-trips, and any truncation or change of its state is rejected', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }),
        fc.maxSafeNat(),
        fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (words, step, weightsCrc32, at, xor) => {
          const state = new Float32Array(new Uint32Array(words).buffer);
          const bytes = optimizerStateToBytes({ step, state, weightsCrc32 });
          const back = optimizerStateFromBytes(bytes, state.length);
          expect(back.step).toBe(step);
          expect(bits(back.state)).toEqual(bits(state));
          expect(back.weightsCrc32).toBe(weightsCrc32);
          expect(() => optimizerStateFromBytes(bytes.subarray(0, at % bytes.length))).toThrow(ModelFormatError);
          if (state.length > 0) {
            const altered = bytes.slice();
            altered[32 + (at % (state.length * 4))] ^= xor;
            expect(() => optimizerStateFromBytes(altered)).toThrow(/state checksum mismatch/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
