/** Float64Blocks: every value back in order, whatever the size hint (none, too small, too large, exact). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Float64Blocks } from '../src/blocks.js';

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

  it('hands out the reserved array itself when the estimate was close, and a copy when it was far off', () => {
    const close = new Float64Blocks();
    close.reserve(100_000);
    for (let i = 0; i < 95_000; i++) close.push(i);
    expect(close.take().buffer.byteLength).toBe(100_000 * 8);
    const far = new Float64Blocks();
    far.reserve(200_000);
    for (let i = 0; i < 95_000; i++) far.push(i);
    expect(far.take().buffer.byteLength).toBe(95_000 * 8);
  });
});
