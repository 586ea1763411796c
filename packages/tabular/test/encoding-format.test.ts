import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Encoding } from '../src/features.js';
import { parseEncoding } from '../src/index.js';

const name = fc.string({ minLength: 1, maxLength: 8 });
const feature = fc.oneof(
  fc.record({
    name,
    kind: fc.constant('numeric' as const),
    // JSON has no -0 (it reads back as 0), and model.json is JSON.
    mean: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
    std: fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
  }),
  fc.record({
    name,
    kind: fc.constant('categorical' as const),
    vocabulary: fc.array(name, { minLength: 1, maxLength: 4 }),
    mode: name,
  }),
);
const target = fc.oneof(
  fc.record({ task: fc.constant('regression' as const), columns: fc.array(name, { minLength: 1, maxLength: 3 }) }),
  fc.record({
    task: fc.constantFrom('binary' as const, 'multiclass' as const),
    column: name,
    classes: fc.array(name, { minLength: 2, maxLength: 4 }),
    numeric: fc.boolean(),
  }),
);
const encoding: fc.Arbitrary<Encoding> = fc.record({
  features: fc.array(feature, { minLength: 1, maxLength: 5 }),
  target,
});

describe('parseEncoding', () => {
  it('reads back every encoding as saved in model.json (JSON round trip)', () => {
    fc.assert(
      fc.property(encoding, (e) => {
        expect(parseEncoding(JSON.parse(JSON.stringify(e)))).toEqual(e);
      }),
    );
  });

  it('names the first wrong field by its path', () => {
    const good = {
      features: [
        { name: 'a', kind: 'numeric', mean: 0, std: 1 },
        { name: 'b', kind: 'categorical', vocabulary: ['x'], mode: 'x' },
      ],
      target: { task: 'binary', column: 'y', classes: ['0', '1'], numeric: true },
    };
    const broken = (edit: (e: typeof good & Record<string, unknown>) => void) => {
      const e = structuredClone(good) as typeof good & Record<string, unknown>;
      edit(e);
      return () => parseEncoding(e);
    };
    expect(parseEncoding(good)).toEqual(good);
    expect(broken((e) => ((e.features[0] as Record<string, unknown>).std = 0))).toThrow(
      'features.0.std: must be a positive number',
    );
    expect(broken((e) => ((e.features[0] as Record<string, unknown>).mean = null))).toThrow(
      'features.0.mean: must be a finite number',
    );
    expect(broken((e) => ((e.features[1] as Record<string, unknown>).vocabulary = []))).toThrow(
      'features.1.vocabulary: expected at least 1 entry',
    );
    expect(broken((e) => ((e.features[1] as Record<string, unknown>).kind = 'text'))).toThrow(
      'features.1.kind: expected "numeric" or "categorical"',
    );
    expect(broken((e) => (e.features = []))).toThrow('features: expected at least 1 entry');
    expect(broken((e) => ((e.target as Record<string, unknown>).classes = ['0']))).toThrow(
      'target.classes: expected at least 2 entries',
    );
    expect(broken((e) => ((e.target as Record<string, unknown>).task = 'ranking'))).toThrow('target.task: expected');
    expect(broken((e) => delete (e.target as Record<string, unknown>).numeric)).toThrow(
      'target.numeric: expected a boolean',
    );
    expect(() => parseEncoding([])).toThrow('(root): expected an object');
  });
});
