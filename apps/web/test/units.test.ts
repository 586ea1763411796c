/**
 * The page's pure rules, without a browser: the chart's layout and number formats.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chartLayout, formatTicks } from '../src/chart.js';
import { formatDuration, formatProbability, formatValue } from '../src/format.js';

/** A text measure like a 12 px sans-serif font: 7 px per character. */
const measure = (text: string) => text.length * 7;

describe('chart layout', () => {
  it('labels every tick of an axis in one notation', () => {
    expect(formatTicks([0.0005, 0.001, 0.002, 0.005])).toEqual(['0.0005', '0.001', '0.002', '0.005']);
    expect(formatTicks([0.00005, 0.0001, 0.0002])).toEqual(['5e-5', '1e-4', '2e-4']);
    expect(formatTicks([0.2, 0.5, 1, 2])).toEqual(['0.2', '0.5', '1', '2']);
  });

  it('keeps a log scale, a legend above the plot and epoch labels apart, for any losses and width', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-7, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 300, max: 1400 }),
        (loss, planned, width) => {
          const layout = chartLayout({ loss, valLoss: loss, epochs: planned }, width, 280, measure);
          expect(layout.scale).toBe('log');
          expect(layout.xMax).toBe(Math.max(planned, loss.length));
          for (let i = 1; i < layout.xTicks.length; i++) {
            expect(layout.xTicks[i].left).toBeGreaterThan(layout.xTicks[i - 1].right + 4);
          }
          for (const item of layout.legend) {
            expect(item.bottom).toBeLessThanOrEqual(layout.plot.top);
            expect(item.left).toBeGreaterThanOrEqual(layout.plot.left);
          }
          for (const v of loss) {
            expect(v).toBeGreaterThanOrEqual(layout.yMin);
            expect(v).toBeLessThanOrEqual(layout.yMax);
          }
          const labels = layout.yTicks.map((t) => t.label);
          expect(labels.every((l) => l.includes('e')) || labels.every((l) => !l.includes('e'))).toBe(true);
          expect(layout.yTicks.length).toBeGreaterThanOrEqual(Math.min(2, new Set(labels).size));
        },
      ),
    );
  });
});

describe('formats', () => {
  it('prints probabilities with 4 decimals, values with 4 significant digits, durations in ms or s', () => {
    expect([1, 0.5, 3.2e-9, 0.99999].map(formatProbability)).toEqual(['1.0000', '0.5000', '0.0000', '1.0000']);
    expect([0.573, 0.40741, 12.5, 12_345.6, 0, -2e-7].map(formatValue)).toEqual([
      '0.5730',
      '0.4074',
      '12.50',
      '12346',
      '0.000',
      '-2.000e-7',
    ]);
    expect([38.24, 234.4, 1234, 12_345].map(formatDuration)).toEqual(['38.2 ms', '234 ms', '1.2 s', '12.3 s']);
  });
});
