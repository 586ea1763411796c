import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flopsPerRow, paramLayout } from '../src/model/layout.js';
import { Mlp } from '../src/model/mlp.js';
import { ModelSpecError, mlpSpec, parseActivation, validateSpec } from '../src/model/spec.js';

describe('model spec validation', () => {
  it('names the layer and the field', () => {
    expect(() =>
      validateSpec({
        inputSize: 3,
        layers: [
          { units: 4, activation: 'relu' },
          { units: 0, activation: 'relu' },
        ],
      }),
    ).toThrow('layer 2: units must be a positive integer, got 0');
    expect(() => validateSpec({ inputSize: 0, layers: [{ units: 1, activation: 'relu' }] })).toThrow(
      'inputSize must be a positive integer, got 0',
    );
    expect(() => validateSpec({ inputSize: 2, layers: [] })).toThrow(ModelSpecError);
    expect(() => mlpSpec(2, [3, 1], 'swishy' as never)).toThrow('layer 1: unknown activation "swishy"');
    expect(() => mlpSpec(2, [3, 1], 'softmax', 'linear')).toThrow(
      'layer 1: softmax is only supported on the output layer',
    );
    expect(() =>
      validateSpec({ inputSize: 2, layers: [{ units: 1, activation: 'relu', kernelInitializer: 'magic' as never }] }),
    ).toThrow('layer 1: unknown kernelInitializer "magic"');
  });

  it('accepts aliases and fills initialiser defaults', () => {
    expect(parseActivation('leaky_relu')).toBe('leakyRelu');
    const spec = mlpSpec(39, [39, 39, 39, 1]);
    expect(spec.layers[0]).toEqual({
      units: 39,
      activation: 'sigmoid',
      kernelInitializer: 'glorotUniform',
      biasInitializer: 'zeros',
    });
  });

  it('the seed network has 4,720 parameters', () => {
    expect(paramLayout(mlpSpec(39, [39, 39, 39, 1])).paramCount).toBe(4720);
    expect(flopsPerRow(paramLayout(mlpSpec(39, [39, 39, 39, 1])))).toBe(2 * (39 * 39 * 3 + 39) + 39 * 3 + 1);
  });

  it('layout: tensors tile the parameter vector exactly, in Keras order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        (input, units) => {
          const layout = paramLayout(mlpSpec(input, units, 'relu', 'linear'));
          let expected = 0;
          let inSize = input;
          for (const [i, l] of layout.layers.entries()) {
            expect(l.inSize).toBe(inSize);
            expect(l.outSize).toBe(units[i]);
            expect(l.kernelOffset).toBe(expected);
            expect(l.biasOffset).toBe(expected + inSize * units[i]);
            expected = l.biasOffset + units[i];
            inSize = units[i];
          }
          expect(layout.paramCount).toBe(expected);
          expect(layout.maxWidth).toBe(Math.max(input, ...units));
        },
      ),
    );
  });
});

describe('initialisation', () => {
  it('same seed gives identical bits, another seed differs; biases start at zero', () => {
    const spec = mlpSpec(39, [39, 39, 39, 1]);
    const a = Mlp.create(spec, { seed: 42 });
    const b = Mlp.create(spec, { seed: 42 });
    const c = Mlp.create(spec, { seed: 43 });
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(c.params.buffer))).toBe(false);
    const l = a.layout.layers[1];
    expect(Array.from(a.params.subarray(l.biasOffset, l.biasOffset + l.outSize))).toEqual(new Array(39).fill(0));
  });

  it('glorotUniform stays within its limit and has the right variance', () => {
    const spec = mlpSpec(200, [300], 'linear');
    const m = Mlp.create(spec, { seed: 1 });
    const limit = Math.sqrt(6 / 500);
    const k = m.params.subarray(0, 200 * 300);
    let sumSq = 0;
    for (const v of k) {
      expect(Math.abs(v)).toBeLessThanOrEqual(limit);
      sumSq += v * v;
    }
    expect(sumSq / k.length).toBeCloseTo((limit * limit) / 3, 4);
  });

  it('heNormal is truncated at two standard deviations with the requested variance', () => {
    const spec = validateSpec({
      inputSize: 400,
      layers: [{ units: 400, activation: 'relu', kernelInitializer: 'heNormal' }],
    });
    const m = Mlp.create(spec, { seed: 2 });
    const k = m.params.subarray(0, 400 * 400);
    const std = Math.sqrt(2 / 400);
    let sumSq = 0;
    for (const v of k) {
      expect(Math.abs(v)).toBeLessThanOrEqual((2 * std) / 0.8796256610342398 + 1e-6);
      sumSq += v * v;
    }
    expect(Math.sqrt(sumSq / k.length) / std).toBeCloseTo(1, 1);
  });
});
