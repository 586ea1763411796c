/**
 * predict writes its CSV in blocks of rows (to a temporary file renamed over --out, or to stdout): the same text as
 * one string would be, across block ends, with empty cells for rows left out, and an existing --out replaced whole.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, flags, lcg, tempDir } from './helpers.js';

const dir = tempDir('shardprop-predict-');
const model = join(dir, 'model');
const data = join(dir, 'many.csv');
/** Rows with a missing x2 (left out under --drop-missing). */
const missing = new Set([0, 8191, 8192, 8193, 16384, 19999]);

beforeAll(async () => {
  const rnd = lcg(11);
  const train = ['x1,x2,y'];
  for (let r = 0; r < 200; r++) {
    const [a, b] = [rnd(), rnd()];
    train.push(`${a.toFixed(4)},${b.toFixed(4)},${(a + 2 * b).toFixed(4)}`);
  }
  writeFileSync(join(dir, 'train.csv'), `${train.join('\n')}\n`);
  const run = await cli(['train', ...flags({ data: join(dir, 'train.csv'), layers: '4,1', epochs: 1, out: model })]);
  expect(run.code, run.stderr).toBe(0);
  const lines = ['x1,x2'];
  for (let r = 0; r < 20000; r++) lines.push(`${rnd().toFixed(4)},${missing.has(r) ? '' : rnd().toFixed(4)}`);
  writeFileSync(data, `${lines.join('\n')}\n`);
}, 120_000);

describe('predict streaming', () => {
  it('writes every row in input order across block ends, the same to --out and to stdout', async () => {
    const out = join(dir, 'preds.csv');
    writeFileSync(out, 'an older file that must be replaced whole\n');
    const toFile = await cli(['predict', '--model', model, '--data', data, '--drop-missing', '--out', out]);
    expect(toFile.code, toFile.stderr).toBe(0);
    const toStdout = await cli(['predict', '--model', model, '--data', data, '--drop-missing']);
    expect(toStdout.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(toStdout.stdout).toBe(text);
    const lines = text.split('\n');
    expect(lines).toHaveLength(20002); // header, 20,000 rows, and the empty string after the last newline
    expect(lines[0]).toBe('predicted_y');
    lines.slice(1, -1).forEach((line, r) => {
      if (missing.has(r)) expect(line).toBe('');
      else expect(Number.isFinite(Number(line)) && line !== '').toBe(true);
    });
    // Only the final file: no temporary file left beside it.
    expect(readdirSync(dir).filter((f) => f.includes('preds'))).toEqual(['preds.csv']);
  }, 120_000);

  it('names --out in one line when it cannot be written', async () => {
    const run = await cli([
      'predict',
      ...flags({ model, data, dropMissing: true, out: join(dir, 'no-such-dir', 'p.csv') }),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('--out');
  });
});
