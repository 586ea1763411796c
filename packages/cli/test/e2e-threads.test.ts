// --threads: auto (the default) trains the same bits as --threads 1, and says which count it used (start line,
// epoch lines, --json, model.json); bad values are usage errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readDataFile, tempDir } from './helpers.js';

const dir = tempDir();

describe('train --threads', () => {
  it('auto gives the weights of --threads 1 bit for bit and reports its choice', async () => {
    const common = ['train', '--epochs', '2', '--batch-size', '64', '--optimizer', 'adam'];
    const one = await cli([...common, '--threads', '1', '--out', join(dir, 'one'), '--json']);
    expect(one.code).toBe(0);
    const auto = await cli([...common, '--threads', 'auto', '--out', join(dir, 'auto'), '--json']);
    expect(auto.stderr).not.toMatch(/\n\s+at /);
    expect(auto.code).toBe(0);
    const weights = (name: string) => readDataFile(join(dir, name), 'weights');
    expect(weights('auto').equals(weights('one'))).toBe(true);
    const doc = JSON.parse(auto.stdout);
    expect(Number.isInteger(doc.threads) && doc.threads >= 1).toBe(true);
    expect(Array.isArray(doc.threadTrials)).toBe(true);
    for (const t of doc.threadTrials)
      expect(t).toMatchObject({ threads: expect.any(Number), msPerStep: expect.any(Number) });
    expect(doc.history.at(-1).threads).toBe(doc.threads);
    const meta = JSON.parse(readFileSync(join(dir, 'auto', 'model.json'), 'utf8')).shardprop.run;
    expect(meta.threads).toEqual({ requested: 'auto', used: doc.threads, trials: doc.threadTrials });
    expect(JSON.parse(one.stdout).threads).toBe(1);
  });

  it('the default is auto: the start line and every epoch line say so', async () => {
    const r = await cli(['train', '--epochs', '1', '--out', join(dir, 'default')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/training: .*threads auto \(/);
    expect(r.stdout).toMatch(/epoch 1\/1 .* \d+ threads?\n/);
  });

  it.each(['0', 'two', '1.5'])('--threads %s is a usage error naming the flag', async (value) => {
    const r = await cli(['train', '--epochs', '1', '--threads', value, '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads');
    expect(r.stderr).toContain('expected auto or an integer >= 1');
  });
});
