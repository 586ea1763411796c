import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('README example (examples/encode.mjs)', () => {
  it('runs and prints the encoded sizes, targets and the error', async () => {
    const file = fileURLToPath(new URL('../examples/encode.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 20_000 });
    expect(stdout).toBe(
      `4 4 [ 1, 0, 1, 0 ]\ndata bad.csv:3:2: non-numeric value "x" in numeric column "b" (the column's first value (line 2) is a number)\n`,
    );
  });

  it('is the example the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = readme.match(/```js\n([\s\S]*?)```/)?.[1];
    expect(block).toBe(readFileSync(new URL('../examples/encode.mjs', import.meta.url), 'utf8'));
  });
});
