import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, dataFile, flags, nextEpoch, readDataFile, tempDir } from './helpers.js';

const dir = tempDir();

describe('Ctrl-C and --resume', () => {
  // The built-in seed problem (10,000 rows) on 2 threads; adam has optimizer state (one fit call per epoch),
  // sgd has none (one fit call for every epoch, checkpoints from onEpochEnd).
  it.each([
    ['adam', '0.01', 6],
    ['sgd', '0.5', 30],
  ])(
    '%s: an interrupted and resumed run ends with the same weights, bit for bit, as an uninterrupted one',
    async (optimizer, lr, epochs) => {
      const args = ['train', ...flags({ optimizer, lr, epochs: String(epochs), threads: 2, valSplit: 0.1 })];
      const straight = join(dir, `straight-${optimizer}`);
      const interrupted = join(dir, `interrupted-${optimizer}`);
      const [full, stopped] = await Promise.all([
        cli([...args, '--out', straight]),
        new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
          const child = spawn(process.execPath, [BIN, ...args, '--out', interrupted], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, stderr }));
          // Interrupt once the first epoch's checkpoint is on disk.
          const poll = setInterval(() => {
            if ((nextEpoch(interrupted) ?? 0) >= 1) {
              clearInterval(poll);
              child.kill('SIGINT');
            }
          }, 10);
          child.on('close', () => clearInterval(poll));
        }),
      ]);
      expect(full.code).toBe(0);
      expect(stopped.code).toBe(130);
      expect(stopped.stderr).toMatch(
        /interrupted in epoch \d+; .* holds the checkpoint after epoch \d+\nresume with: shardprop train --resume /,
      );
      expect(stopped.stderr).not.toMatch(/\n\s+at /);

      // The checkpoint is valid: it loads, and says where it stopped.
      const saved = nextEpoch(interrupted) as number;
      expect(saved).toBeGreaterThanOrEqual(1);
      expect(saved).toBeLessThan(epochs);
      const inspect = await cli(['inspect', '--model', interrupted, '--json']);
      expect(inspect.code).toBe(0);
      expect(JSON.parse(inspect.stdout).training).toMatchObject({ status: 'interrupted', nextEpoch: saved });
      expect(existsSync(join(interrupted, dataFile(interrupted, 'optimizer')))).toBe(true);

      // Resuming with a different thread count still gives the same bits.
      const resumed = await cli(['train', '--resume', interrupted, '--threads', '1', '--json']);
      expect(resumed.code).toBe(0);
      const doc = JSON.parse(resumed.stdout);
      expect(doc.status).toBe('complete');
      expect(doc.history).toHaveLength(epochs);
      expect(readDataFile(interrupted, 'weights').equals(readDataFile(straight, 'weights'))).toBe(true);
      expect(readDataFile(interrupted, 'optimizer').equals(readDataFile(straight, 'optimizer'))).toBe(true);
    },
    60_000,
  );

  it('--resume of a finished run with more --epochs equals training that long from the start', async () => {
    const short = join(dir, 'short');
    const long = join(dir, 'long');
    const common = [
      '--layers',
      '4,4,1',
      '--optimizer',
      'momentum',
      '--lr',
      '0.05',
      '--threads',
      '2',
      '--batch-size',
      '64',
    ];
    const csv = join(dir, 'small.csv');
    const rows = ['a,b,y'];
    for (let i = 0; i < 300; i++) rows.push(`${(i % 17) / 17},${(i % 5) / 5},${((i % 17) / 17 + (i % 5) / 5) / 2}`);
    writeFileSync(csv, `${rows.join('\n')}\n`);
    expect((await cli(['train', '--data', csv, ...common, '--epochs', '2', '--out', short])).code).toBe(0);
    expect((await cli(['train', '--resume', short, '--epochs', '5'])).code).toBe(0);
    expect((await cli(['train', '--data', csv, ...common, '--epochs', '5', '--out', long])).code).toBe(0);
    expect(readDataFile(short, 'weights').equals(readDataFile(long, 'weights'))).toBe(true);
  }, 30_000);
});
