// train --dropout, --class-weight and --weight-column end to end: the same bits for any thread count, through
// --config and across --resume; Dropout layers in model.json; one-line usage errors (exit 2) for bad values.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, flags, PACKAGE_DIR, readDataFile, tempDir } from './helpers.js';

const dir = tempDir();
const iris = readFileSync(join(PACKAGE_DIR, 'data', 'iris.csv'), 'utf8')
  .trimEnd()
  .split('\n');

/** iris with a weight column `w` after the first column; `bad` replaces the weight of data row `at`. */
function irisWithWeights(name: string, bad?: { at: number; value: string }): string {
  const lines = iris.map((line, i) => {
    const cells = line.split(',');
    const w = i === 0 ? 'w' : bad && i === bad.at ? bad.value : String(1 + (i % 3));
    return [cells[0], w, ...cells.slice(1)].join(',');
  });
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const data = irisWithWeights('iris-w.csv');
const common = ['--target', 'species', '--layers', '16,8,3', '--activation', 'relu', '--lr', '0.1', '--seed', '3'];
const weighted = ['--dropout', '0.2,0.1', '--class-weight', '{"setosa": 1, "versicolor": 2, "virginica": 0.5}'];

describe('train --dropout --class-weight --weight-column', () => {
  it('trains the same bits on 1 and 3 threads; model.json has Dropout layers; evaluate and predict ignore them', async () => {
    const runs = await Promise.all(
      ['1', '3'].map((threads) =>
        cli([
          'train',
          '--data',
          data,
          ...common,
          ...weighted,
          '--weight-column',
          'w',
          '--batch-size',
          '16',
          '--epochs',
          '3',
          '--threads',
          threads,
          '--out',
          join(dir, `t${threads}`),
        ]),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs[0].stdout).toContain('dropout 0.2, 0.1');
    expect(runs[0].stdout).toContain('row weights from w');
    expect(readDataFile(join(dir, 't1'), 'weights').equals(readDataFile(join(dir, 't3'), 'weights'))).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 't1', 'model.json'), 'utf8'));
    const layers = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
    expect(layers).toEqual(['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    // The weight column is not a feature.
    const ev = await cli(['evaluate', '--model', join(dir, 't1'), '--data', data, '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const pr = await cli(['predict', '--model', join(dir, 't1'), '--data', data, '--out', join(dir, 'pred.csv')]);
    expect(pr.code, pr.stderr).toBe(0);
  });

  it('the weights and the dropout change training; --dropout 0 trains the bits of no dropout', async () => {
    const run = (name: string, extra: string[]) =>
      cli(['train', '--data', data, ...common, '--epochs', '2', '--threads', '1', ...extra, '--out', join(dir, name)]);
    const results = await Promise.all([
      run('plain', []),
      run('zero', ['--dropout', '0']),
      run('drop', ['--dropout', '0.3']),
      run('cw', ['--class-weight', 'balanced', '--weight-column', 'w']),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const w = (name: string) => readDataFile(join(dir, name), 'weights');
    expect(w('zero').equals(w('plain'))).toBe(true);
    expect(w('drop').equals(w('plain'))).toBe(false);
    expect(w('cw').equals(w('plain'))).toBe(false);
  });

  it('a --config file gives the bits of the flags, and --resume continues exactly', async () => {
    const config = join(dir, 'settings.json');
    writeFileSync(
      config,
      JSON.stringify({
        data,
        dropout: [0.2, 0.1],
        classWeight: { setosa: 1, versicolor: 2, virginica: 0.5 },
        weightColumn: 'w',
        epochs: 4,
      }),
    );
    const flagArgs = ['train', '--data', data, ...common, ...weighted, '--weight-column', 'w', '--threads', '2'];
    const [straight, viaConfig, firstHalf] = await Promise.all([
      cli([...flagArgs, '--epochs', '4', '--out', join(dir, 'straight')]),
      cli(['train', '--config', config, ...common, '--threads', '2', '--out', join(dir, 'config')]),
      cli([...flagArgs, '--epochs', '2', '--out', join(dir, 'resumed')]),
    ]);
    for (const r of [straight, viaConfig, firstHalf]) expect(r.code, r.stderr).toBe(0);
    const resumed = await cli(['train', '--resume', join(dir, 'resumed'), '--epochs', '4', '--threads', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const w = (name: string) => readDataFile(join(dir, name), 'weights');
    expect(w('config').equals(w('straight'))).toBe(true);
    expect(w('resumed').equals(w('straight'))).toBe(true);
    const contradicts = await cli(['train', '--resume', join(dir, 'resumed'), '--epochs', '5', '--dropout', '0.5']);
    expect(contradicts.code).toBe(2);
    expect(contradicts.stderr).toMatch(/^shardprop: error: --dropout 0.5 contradicts the run in .* \(0.2,0.1\)/);
  });

  it('--resume refuses row weights that changed since the checkpoint: they are training data', async () => {
    const file = irisWithWeights('iris-w-resume.csv');
    const out = join(dir, 'w-resume');
    const args = ['train', '--data', file, ...common, '--weight-column', 'w', '--threads', '1'];
    const first = await cli([...args, '--epochs', '1', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    irisWithWeights('iris-w-resume.csv', { at: 5, value: '7' });
    const edited = await cli(['train', '--resume', out, '--epochs', '2']);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(
      /^shardprop: error: --resume .*: the training data changed since the checkpoint \(.*iris-w-resume\.csv: it gives as many rows \(150\) but different values\)/,
    );
    // The same weights again: the run resumes.
    irisWithWeights('iris-w-resume.csv');
    const restored = await cli(['train', '--resume', out, '--epochs', '2']);
    expect(restored.code, restored.stderr).toBe(0);
  });

  it('with the penalties, clipping and a schedule too: 2 threads and --resume give the bits of 1 thread straight', async () => {
    // The cosine's length is fixed (by default it is the run's epochs, which differ between the two runs).
    const rules = [
      '--l2',
      '1e-3',
      '--clip-norm',
      '1',
      '--lr-schedule',
      'cosine',
      '--lr-step-epochs',
      '4',
      '--weight-column',
      'w',
    ];
    const args = ['train', '--data', data, ...common, ...weighted, ...rules, '--batch-size', '16'];
    const [straight, half] = await Promise.all([
      cli([...args, '--epochs', '4', '--threads', '1', '--out', join(dir, 'rules-straight')]),
      cli([...args, '--epochs', '2', '--threads', '2', '--out', join(dir, 'rules-resumed')]),
    ]);
    for (const r of [straight, half]) expect(r.code, r.stderr).toBe(0);
    expect(straight.stdout).toContain('dropout 0.2, 0.1');
    expect(straight.stdout).toMatch(/regularization: lr cosine .*kernel penalty l2 0.001, clip norm 1/);
    const resumed = await cli(['train', '--resume', join(dir, 'rules-resumed'), '--epochs', '4', '--threads', '2']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const w = (name: string) => readDataFile(join(dir, name), 'weights');
    expect(w('rules-resumed').equals(w('rules-straight'))).toBe(true);
    const contradicts = await cli([
      'train',
      '--resume',
      join(dir, 'rules-resumed'),
      '--epochs',
      '5',
      '--class-weight',
      'balanced',
    ]);
    expect(contradicts.code).toBe(2);
    expect(contradicts.stderr).toMatch(
      /^shardprop: error: --class-weight balanced contradicts the run in .* \(\{"setosa":1,"versicolor":2,"virginica":0.5\}\)/,
    );
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['a rate of 1', ['--dropout', '1'], /--dropout <rates>' argument '1' is invalid. expected a rate in \[0, 1\)/],
    ['a negative rate', ['--dropout=-0.1'], /argument '-0.1' is invalid. expected a rate in \[0, 1\)/],
    [
      'a list of the wrong length',
      ['--dropout', '0.1,0.2,0.3'],
      /--dropout 0.1,0.2,0.3: dropout lists 3 rates, the model has 2 hidden layers/,
    ],
    [
      'a label the target does not have',
      ['--class-weight', '{"setosa": 1, "versicolor": 1, "virginica": 1, "rose": 2}'],
      /--class-weight: species has no class "rose" \(its classes: "setosa", "versicolor", "virginica"\)/,
    ],
    [
      'a class without a weight',
      ['--class-weight', '{"setosa": 1}'],
      /--class-weight: give every class of species a weight \(missing: "versicolor", "virginica"\)/,
    ],
    [
      'a negative class weight',
      ['--class-weight', '{"setosa": -1}'],
      /the weight of class "setosa" must be a number >= 0/,
    ],
    ['class weights that are not JSON', ['--class-weight', 'setosa=1'], /expected balanced or a JSON object/],
    [
      'a weight column that is not there',
      ['--weight-column', 'nope'],
      /--weight-column: .* has no column named "nope"/,
    ],
    ['the target as weight column', ['--weight-column', 'species'], /"species" is also the target/],
  ];
  it.each(usage)('%s is a one-line usage error (exit 2)', async (_what, args, message) => {
    const r = await cli(['train', '--data', data, ...common, ...args, '--epochs', '1', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['not a number', 'heavy', /iris-text\.csv:5:2: "heavy" is not a number/],
    ['negative', '-2', /iris-neg\.csv:5:2: weight -2 is negative/],
  ])('a weight that is %s is a usage error naming file, line and column', async (what, value, message) => {
    const file = irisWithWeights(what === 'negative' ? 'iris-neg.csv' : 'iris-text.csv', { at: 4, value });
    const r = await cli(['train', '--data', file, ...common, '--weight-column', 'w', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('class weights on a regression target, and bad values in --config, are usage errors', async () => {
    const reg = await cli([
      'train',
      ...flags({ data, target: 'petal_width', classWeight: 'balanced', out: join(dir, 'bad') }),
    ]);
    expect(reg.code).toBe(2);
    expect(reg.stderr).toMatch(/--class-weight needs a classification target; petal_width is a regression target/);
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ data, dropout: 1.5 }));
    const bad = await cli(['train', '--config', config, '--out', join(dir, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--config .*bad\.json: "dropout": Too big: expected number to be <1/);
  });

  it('tune searches over --dropout alternatives (with class weights on every fit); the refit keeps the best rate', async () => {
    const out = join(dir, 'tune');
    const r = await cli([
      'tune',
      '--data',
      data,
      ...common,
      '--dropout',
      '0|0.5|0.1,0.3',
      '--class-weight',
      'balanced',
      '--epochs',
      '3',
      '--folds',
      '3',
      '--threads',
      '2',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const csv = readFileSync(join(out, 'tune.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^trial,dropout,/);
    expect(csv.slice(1).map((line) => line.match(/^\d+,("[^"]*"|[^,]*),/)?.[1])).toEqual(['0', '0.5', '"0.1,0.3"']);
    // Different rates train different models: the three mean scores differ.
    const means = csv.slice(1).map((line) => line.split(',').at(-4));
    expect(new Set(means).size).toBe(3);
    const best = r.stdout.match(/best: dropout (\S+):/)?.[1];
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const drops = json.modelTopology.config.layers.filter((l: { class_name: string }) => l.class_name === 'Dropout');
    expect(drops.map((l: { config: { rate: number } }) => String(l.config.rate)).join(',')).toBe(
      best === '0' ? '' : best === '0.5' ? '0.5,0.5' : '0.1,0.3',
    );
    const weights = await cli(['tune', '--data', data, ...common, '--weight-column', 'w', '--out', join(dir, 'bad')]);
    expect(weights.code).toBe(2);
  });
});
