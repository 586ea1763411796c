/** Float64Blocks: every value back in order, whatever the size hint (none, too small, too large, exact). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Float64Blocks, releaseBelow, resizableFloat64 } from '../src/blocks.js';

describe('Float64Blocks', () => {
  it('gives back the values pushed, in order, with or without a reserve at any point', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300_000 }),
        fc.option(fc.record({ at: fc.nat(300_000), capacity: fc.nat(400_000) })),
        (count, hint) => {
          const blocks = new Float64Blocks();
          for (let i = 0; i < count; i++) {
            if (hint && hint.at === i) blocks.reserve(hint.capacity);
            blocks.push(i * 0.5);
          }
          expect(blocks.length).toBe(count);
          const out = blocks.take();
          expect(out.length).toBe(count);
          for (let i = 0; i < count; i++) if (out[i] !== i * 0.5) expect.fail(`value ${i} is ${out[i]}`);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('hands out the reserved array itself when the estimate was close (its unused end given back), and a copy when it was far off', () => {
    const close = new Float64Blocks();
    close.reserve(100_000);
    for (let i = 0; i < 95_000; i++) close.push(i);
    const kept = close.take();
    expect(kept.length).toBe(95_000);
    expect((kept.buffer as ArrayBuffer).maxByteLength).toBe(100_000 * 8); // the reserved buffer
    expect(kept.buffer.byteLength).toBe(95_000 * 8); // its slack released
    const far = new Float64Blocks();
    far.reserve(200_000);
    for (let i = 0; i < 95_000; i++) far.push(i);
    const copied = far.take();
    expect((copied.buffer as ArrayBuffer).maxByteLength).toBe(95_000 * 8);
    expect(copied[94_999]).toBe(94_999);
  });
});

describe('releaseBelow', () => {
  it("shrinks a column's own resizable buffer, keeping the values below the cut, and leaves other arrays alone", () => {
    const values = resizableFloat64(1000);
    for (let i = 0; i < values.length; i++) values[i] = i;
    releaseBelow(values, 600);
    expect(values.length).toBe(600);
    expect(values.buffer.byteLength).toBe(600 * 8);
    expect(values[599]).toBe(599);
    releaseBelow(values, 700); // never grows
    expect(values.length).toBe(600);
    releaseBelow(values, 0);
    expect(values.length).toBe(0);

    const plain = Float64Array.from({ length: 10 }, (_, i) => i);
    releaseBelow(plain, 2);
    expect(plain.length).toBe(10);
    const whole = resizableFloat64(10);
    const part = whole.subarray(0, 5);
    releaseBelow(part, 2); // a view of part of a buffer: the rest may be someone else's
    expect(whole.length).toBe(10);
  });
});
