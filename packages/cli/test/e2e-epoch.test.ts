// `shardprop.epoch` in model.json is the number of epochs the saved weights have been trained for: after an
// interrupted run (the last full epoch), an early-stopped one (where it stopped, not the requested count) and a
// resumed one (the total). A writer that put the requested epoch count there would pass every other test.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, tempDir } from './helpers.js';

const dir = tempDir();
const csv = join(dir, 'small.csv');
const rows = ['a,b,y'];
for (let i = 0; i < 400; i++) rows.push(`${(i % 17) / 17},${(i % 5) / 5},${((i % 17) / 17 + (i % 5) / 5) / 2}`);
writeFileSync(csv, `${rows.join('\n')}\n`);
const common = ['--data', csv, '--layers', '4,1', '--threads', '1', '--batch-size', '32'];

function section(out: string): { epoch?: number; run?: { nextEpoch: number; status: string; history: unknown[] } } {
  return JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).shardprop;
}

function savedEpoch(out: string): number {
  try {
    return section(out).run?.nextEpoch ?? 0;
  } catch {
    return 0; // not written yet, or being replaced
  }
}

describe('shardprop.epoch in model.json', () => {
  it('after an interrupted run: the epochs of the checkpoint; after --resume: the total', async () => {
    const out = join(dir, 'interrupted');
    const epochs = 3000;
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'train', ...common, '--epochs', String(epochs), '--out', out], {
        stdio: 'ignore',
      });
      child.on('error', reject);
      const poll = setInterval(() => {
        if (savedEpoch(out) >= 2) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 10);
      child.on('close', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    const stopped = section(out);
    expect(stopped.run?.status).toBe('interrupted');
    expect(stopped.run?.nextEpoch).toBeLessThan(epochs);
    expect(stopped.epoch).toBe(stopped.run?.nextEpoch);
    expect(stopped.epoch).toBe(stopped.run?.history.length);

    expect((await cli(['train', '--resume', out, '--epochs', String(stopped.epoch! + 2)])).code).toBe(0);
    const resumed = section(out);
    expect(resumed.run?.status).toBe('complete');
    expect(resumed.epoch).toBe(stopped.epoch! + 2);
  }, 60_000);

  it('after early stopping: the epochs run, not the epochs asked for', async () => {
    const out = join(dir, 'early');
    const args = ['train', ...common, '--lr', '3', '--val-split', '0.2', '--early-stop', '1', '--epochs', '200'];
    expect((await cli([...args, '--out', out])).code).toBe(0);
    const saved = section(out);
    expect(saved.run?.status).toBe('stopped-early');
    expect(saved.epoch).toBe(saved.run?.history.length);
    expect(saved.epoch).toBeLessThan(200);
  }, 30_000);
});
