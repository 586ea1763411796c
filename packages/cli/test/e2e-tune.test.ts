// `shardprop tune` end to end: alternatives parse (mistakes are one-line usage errors, exit 2), results and the
// refit do not depend on --threads, the refit equals `train` with the best flags bit for bit, the model loads
// and predicts, --json has the documented shape, and --resume skips the trials already in tune.csv.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, tempDir, writeFixtures } from './helpers.js';

let dir: string;
let files: ReturnType<typeof writeFixtures>;

beforeAll(() => {
  dir = tempDir('shardprop-tune-');
  files = writeFixtures(dir);
});

const grid = () => [
  'tune',
  '--data',
  files.reg,
  '--layers',
  '4,1|8,1',
  '--activation',
  'tanh',
  '--optimizer',
  'adam',
  '--lr',
  '0.01|0.05',
  '--batch-size',
  '16',
  '--epochs',
  '4',
  '--folds',
  '3',
];

const withoutMs = (trials: { ms: number }[]) => trials.map(({ ms: _ms, ...rest }) => rest);

/** A model directory's weights file, by the name its model.json gives it. */
const weights = (dir: string) => {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return readFileSync(join(dir, json.weightsManifest[0].paths[0]));
};

describe('shardprop tune: flags', () => {
  it.each([
    [['--lr', '0.1|x'], /--lr .*alternative "x": expected a positive number/],
    [['--lr', '0.1|0.1'], /"0.1" is listed twice/],
    [['--layers', '4,1|'], /alternative 2 is empty/],
    [['--data', 'a.csv|b.csv'], /--data takes one value, not alternatives separated by \|/],
    [['--optimizer', 'adam|sgdd'], /alternative "sgdd": expected one of sgd, momentum/],
    [
      ['--layers', '4,2|4,1'],
      /--layers 4,2: the last entry is the output layer and must be 1 .*\(candidate layers 4,2\)/,
    ],
    [['--metric', 'accuracy'], /--metric: .*accuracy" needs a classification loss/],
    [['--folds', '1'], /--folds .*expected an integer >= 2/],
    [['--threads', 'many'], /--threads .*expected "auto" or an integer >= 1/],
    [['--folds', '3', '--val-split', '0.2'], /--folds and --val-split cannot be used together/],
  ])('%j is a one-line usage error (exit 2)', async (flags, message) => {
    const r = await cli(['tune', '--data', files.reg, '--epochs', '1', ...(flags as string[])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists its flags, train flags included, with the alternatives noted', async () => {
    const r = await cli(['tune', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--lr <rate>\s+learning rate[^-]*\(alternatives:\s+a\|b\|\.\.\.\)/);
    expect(r.stdout).toMatch(/--folds <k>/);
    expect(r.stdout).toMatch(/--threads <n> .*auto/);
    expect(r.stdout).not.toMatch(/--init </);
  });
});

describe('shardprop tune: results', () => {
  it('gives the same trials and model for --threads 1 and 2; the refit equals train with the best flags', async () => {
    const one = join(dir, 'one');
    const two = join(dir, 'two');
    const [a, b] = await Promise.all([
      cli([...grid(), '--threads', '1', '--out', one, '--json']),
      cli([...grid(), '--threads', '2', '--out', two, '--json']),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const docA = JSON.parse(a.stdout);
    const docB = JSON.parse(b.stdout);
    // The documented shape.
    expect(Object.keys(docA)).toEqual(expect.arrayContaining(['trials', 'best', 'metric', 'out']));
    expect(docA.trials).toHaveLength(4);
    for (const t of docA.trials) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['settings', 'folds', 'mean', 'std', 'ms']));
      expect(t.folds).toHaveLength(3);
      expect(Object.keys(t.settings)).toEqual(['layers', 'lr']);
    }
    expect(Object.keys(docA.best)).toEqual(['settings', 'mean', 'std']);
    expect(docA.metric).toBe('loss');
    expect(docA.out).toBe(one);
    expect(withoutMs(docB.trials)).toEqual(withoutMs(docA.trials));
    expect(docB.best).toEqual(docA.best);
    expect(weights(one).equals(weights(two))).toBe(true);
    const best = Math.min(...docA.trials.map((t: { mean: number }) => t.mean));
    expect(docA.best.mean).toBe(best);

    // The refit is `train` with the best alternatives on all rows, bit for bit.
    const trained = join(dir, 'trained');
    const flags = grid().slice(1);
    flags[flags.indexOf('--layers') + 1] = docA.best.settings.layers;
    flags[flags.indexOf('--lr') + 1] = docA.best.settings.lr;
    flags.splice(flags.indexOf('--folds'), 2);
    const t = await cli(['train', ...flags, '--threads', '1', '--out', trained]);
    expect(t.code).toBe(0);
    expect(weights(trained).equals(weights(one))).toBe(true);

    // tune.csv: one row per trial; the model's metadata holds the search.
    const csv = readFileSync(join(one, 'tune.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('trial,layers,lr,budget,rung,fold1,fold2,fold3,mean,std,ms,error');
    expect(csv).toHaveLength(5);
    const meta = JSON.parse(readFileSync(join(one, 'model.json'), 'utf8')).shardprop;
    expect(meta.tune.best).toEqual(docA.best);
    expect(meta.tune.trials).toHaveLength(4);

    // The best model loads and predicts.
    const p = await cli(['predict', '--model', one, '--data', files.reg]);
    expect(p.code).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(161);
    const e = await cli(['evaluate', '--model', one, '--data', files.reg, '--json']);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).metrics.loss).toBeLessThan(Number.POSITIVE_INFINITY);
  }, 120_000);

  it('--resume skips the trials already in tune.csv and runs the rest', async () => {
    const full = join(dir, 'full');
    const first = await cli([...grid(), '--threads', '2', '--out', full, '--json']);
    expect(first.code).toBe(0);
    const lines = readFileSync(join(full, 'tune.csv'), 'utf8').trim().split('\n');
    // An interrupted search that finished trials 1 and 3; trial 1's first fold marked, to see it is not rerun.
    const partial = join(dir, 'partial');
    const marked = lines[1].split(',');
    const fold1 = lines[0].split(',').indexOf('fold1') + 1; // "4,1" is one quoted field spanning two cells
    marked[fold1] = '0.125';
    mkdirSync(partial);
    writeFileSync(join(partial, 'tune.csv'), `${[lines[0], marked.join(','), lines[3]].join('\n')}\n`);
    const resumed = await cli([...grid(), '--threads', '2', '--resume', partial, '--json']);
    expect(resumed.code).toBe(0);
    const doc = JSON.parse(resumed.stdout);
    const before = JSON.parse(first.stdout);
    expect(doc.out).toBe(partial);
    expect(doc.trials[0].folds[0]).toBe(0.125);
    expect(withoutMs(doc.trials.slice(1))).toEqual(withoutMs(before.trials.slice(1)));
    expect(readFileSync(join(partial, 'tune.csv'), 'utf8').trim().split('\n')).toHaveLength(5);

    // Different flags: the rows are not candidates of this search.
    const other = await cli([...grid().map((a) => (a === '0.01|0.05' ? '0.02|0.05' : a)), '--resume', partial]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/is not a candidate of this search: give the same flags/);
  }, 120_000);

  it('Ctrl-C keeps the finished trials in tune.csv and exits 130', async () => {
    const out = join(dir, 'stopped');
    // Three candidates of the same cost: when the first has finished, two more of its length remain, so the
    // signal lands mid-search even on a slow, loaded machine (costliest-first order would leave the short ones).
    const args = [
      'tune',
      '--layers',
      '16,1',
      '--lr',
      '0.5|0.3|0.1',
      '--epochs',
      '40',
      '--folds',
      '2',
      '--threads',
      '1',
    ];
    const stopped = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      const poll = setInterval(() => {
        if (existsSync(join(out, 'tune.csv'))) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 10);
      child.on('close', (code) => {
        clearInterval(poll);
        resolve({ code, stderr });
      });
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(
      /interrupted; \d of 3 trials finished, kept in .*tune.csv\nresume with: shardprop tune --resume/,
    );
    const rows = readFileSync(join(out, 'tune.csv'), 'utf8').trim().split('\n').length - 1;
    expect(rows).toBeGreaterThanOrEqual(1);
    expect(rows).toBeLessThan(3);
    expect(existsSync(join(out, 'model.json'))).toBe(false);
  }, 120_000);

  it('stratified folds and accuracy for classes; successive halving', async () => {
    const r = await cli([
      'tune',
      '--data',
      files.bin,
      '--layers',
      '4,1|8,1',
      '--lr',
      '0.1|0.5|1',
      '--epochs',
      '6',
      '--folds',
      '4',
      '--metric',
      'accuracy',
      '--halving',
      '--json',
      '--out',
      join(dir, 'halving'),
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.metric).toBe('accuracy');
    expect(doc.trials.filter((t: { rung?: number }) => t.rung === 1)).toHaveLength(2);
    expect(doc.trials.every((t: { folds: number[] }) => t.folds.every((a) => a >= 0 && a <= 1))).toBe(true);
    const finalists = doc.trials.filter((t: { rung?: number }) => t.rung === 1);
    expect(doc.best.mean).toBe(Math.max(...finalists.map((t: { mean: number }) => t.mean)));
  }, 120_000);
});
