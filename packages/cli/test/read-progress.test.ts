import { describe, expect, it, vi } from 'vitest';
import { createReadProgress, LINE_EVERY_MS } from '../src/read-progress.js';

describe('read progress off a terminal', () => {
  it('prints a line every few seconds while the read goes on, and none for a short read', () => {
    let now = 1000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const lines: string[] = [];
      const p = createReadProgress('big.csv', false, (line) => lines.push(line));
      p.update(10e6, 100e6, 20000);
      expect(lines).toEqual([]);
      now += LINE_EVERY_MS;
      p.update(50e6, 100e6, 100000);
      now += LINE_EVERY_MS / 2;
      p.update(60e6, 100e6, 120000);
      now += LINE_EVERY_MS / 2;
      p.update(100e6, 100e6, 200000); // the read is complete: nothing more to report
      p.stop();
      expect(lines).toEqual(['reading big.csv: 50% (50 of 100 MB, 100,000 rows, 20,000 rows/s)']);
    } finally {
      clock.mockRestore();
    }
  });
});
