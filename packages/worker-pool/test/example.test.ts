import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('README example (examples/histogram)', () => {
  it('runs and prints the same histogram as a sequential count', async () => {
    const main = fileURLToPath(new URL('../examples/histogram/main.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [main], { timeout: 20_000 });
    const hist = stdout.trim().split(' ').map(Number);
    const n = 1_000_000;
    const bins = 10;
    const expected = new Array(bins).fill(0);
    for (let i = 0; i < n; i++) expected[Math.floor(((Math.sin(i) + 1) / 2.000001) * bins)]++;
    expect(hist).toEqual(expected);
  });
});

describe('README example (examples/slot-tree)', () => {
  it('runs and reads the pre-summed slots back as the bits of one thread', async () => {
    const main = fileURLToPath(new URL('../examples/slot-tree/main.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [main], { timeout: 20_000 });
    expect(stdout.trim()).toBe('same bits as one thread: true');
  });
});

describe('README', () => {
  it('shows exactly the example files', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.slice(0, 3)).toEqual([
      readFileSync(new URL('../examples/histogram/main.mjs', import.meta.url), 'utf8'),
      readFileSync(new URL('../examples/histogram/worker.mjs', import.meta.url), 'utf8'),
      readFileSync(new URL('../examples/slot-tree/main.mjs', import.meta.url), 'utf8'),
    ]);
  });
});
