import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, flags, tempDir, writeFixtures } from './helpers.js';

const dir = tempDir();
const files = writeFixtures(dir);
const at = (name: string) => join(dir, name);
const model = at('model');

beforeAll(async () => {
  writeFileSync(at('ragged.csv'), 'a,b,y\n1,2,3\n4,5\n');
  writeFileSync(at('text.csv'), 'a,b,y\n1,2,3\n4,5,6\n7,oops,9\n');
  writeFileSync(at('empty.csv'), '');
  writeFileSync(at('header.csv'), 'a,b,y\n');
  mkdirSync(at('corrupt'));
  writeFileSync(at('corrupt/model.json'), '{ not json');
  const r = await cli(['train', ...flags({ data: files.reg, layers: '3,1', epochs: 1, threads: 1, out: model })]);
  expect(r.code).toBe(0);
});

// [name, args, exit code, message pattern]
const cases: [string, () => string[], number, RegExp][] = [
  ['unknown flag', () => ['train', '--bogus'], 2, /^unknown option '--bogus' \(see shardprop train --help\)$/],
  [
    'unknown flag with a suggestion',
    () => ['train', '--epoch', '3'],
    2,
    /^unknown option '--epoch'\s+\(Did you mean --epochs\?\)/,
  ],
  ['unknown command', () => ['fly'], 2, /^unknown command 'fly'/],
  [
    'bad number',
    () => ['train', '--lr', 'fast'],
    2,
    /^option '--lr <rate>' argument 'fast' is invalid\. expected a positive number/,
  ],
  ['bad integer', () => ['train', '--epochs', '2.5'], 2, /argument '2\.5' is invalid\. expected an integer >= 0/],
  ['bad layer list', () => ['train', '--layers', '8,x'], 2, /expected comma-separated integers/],
  ['bad choice', () => ['train', '--optimizer', 'adagrad'], 2, /expected one of sgd, momentum, adam, adamw, rmsprop/],
  ['missing flag value', () => ['evaluate', '--model'], 2, /option '--model <dir>' argument missing/],
  ['missing required flag', () => ['predict', '--model', model], 2, /required option '--data <file>' not specified/],
  ['missing file', () => ['train', '--data', at('nope.csv')], 1, /nope\.csv: no such file$/],
  [
    'unknown column',
    () => ['train', '--data', files.reg, '--target', 'zz'],
    2,
    /--target: .*reg\.csv has no column named "zz" \(columns: x1, x2, x3, y\)$/,
  ],
  [
    'ragged row',
    () => ['train', '--data', at('ragged.csv')],
    1,
    /ragged\.csv:3: ragged row: 2 fields, expected 3 as in the header$/,
  ],
  [
    'non-numeric value',
    () => ['train', '--data', at('text.csv')],
    1,
    /text\.csv:4:2: non-numeric value "oops" in numeric column "b"/,
  ],
  ['empty file', () => ['train', '--data', at('empty.csv')], 1, /empty\.csv: empty file/],
  [
    'header without rows',
    () => ['train', '--data', at('header.csv')],
    1,
    /header\.csv: no data rows after the header$/,
  ],
  [
    'unknown activation',
    () => ['train', '--data', files.reg, '--activation', 'swish'],
    2,
    /--activation: unknown activation "swish"/,
  ],
  ['unknown loss', () => ['train', '--data', files.reg, '--loss', 'hinge'], 2, /--loss: unknown loss "hinge"/],
  [
    'output layer of the wrong size',
    () => ['train', '--data', files.multi, '--target', 'kind', '--layers', '4,1'],
    2,
    /--layers 4,1: the last entry is the output layer and must be 3/,
  ],
  [
    'contradicting missing-value flags',
    () => ['train', '--data', files.reg, '--drop-missing', '--impute', 'mean'],
    2,
    /cannot be used together/,
  ],
  ['model directory missing', () => ['evaluate', '--model', at('no-model'), '--data', files.reg], 1, /does not exist/],
  [
    'model directory corrupt',
    () => ['predict', '--model', at('corrupt'), '--data', files.reg],
    1,
    /model\.json is not valid JSON/,
  ],
  [
    'model of the wrong shape for the data',
    () => ['evaluate', '--model', model, '--data', files.bin],
    1,
    /bin\.csv has no column "x3"/,
  ],
  [
    'data without the target',
    () => ['evaluate', '--model', model, '--data', at('text.csv')],
    1,
    /has no column "x1", "x2", "x3"/,
  ],
  [
    'bad config key',
    () => ['train', '--config', at('bad.json')],
    2,
    /--config .*bad\.json: unknown key "learning_rate"/,
  ],
  [
    '--resume and --init together',
    () => ['train', '--resume', model, '--init', model],
    2,
    /--resume and --init cannot be used together/,
  ],
];

describe('user errors: one line on stderr, the promised exit code, no stack', () => {
  beforeAll(() => writeFileSync(at('bad.json'), JSON.stringify({ learning_rate: 0.1 })));
  it.each(cases)('%s', async (_name, args, code, pattern) => {
    const r = await cli(args());
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith('shardprop: error: ')).toBe(true);
    expect(lines[0].slice('shardprop: error: '.length)).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--json errors also print one JSON document on stdout', async () => {
    const r = await cli(['train', '--data', at('nope.csv'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 1 });
  });

  it('--debug shows the stack', async () => {
    const r = await cli(['train', '--data', at('ragged.csv'), '--debug']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('architecture flags contradicting --init or --resume are usage errors', async () => {
    const init = await cli(['train', '--data', files.reg, '--init', model, '--layers', '5,1', '--out', at('x')]);
    expect(init.code).toBe(2);
    expect(init.stderr).toMatch(/--layers 5,1 contradicts the model in .* \(--init\), which has layers 3,1/);
    const act = await cli(['train', '--data', files.reg, '--init', model, '--activation', 'relu', '--out', at('x')]);
    expect(act.code).toBe(2);
    expect(act.stderr).toMatch(/--activation relu contradicts the model/);
    const agree = await cli([
      'train',
      ...flags({
        data: files.reg,
        init: model,
        layers: '3,1',
        activation: 'sigmoid',
        epochs: 1,
        threads: 1,
        out: at('x'),
      }),
    ]);
    expect(agree.code).toBe(0);
    const resume = await cli(['train', '--resume', model, '--lr', '0.5']);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/--lr 0\.5 contradicts the run in .*\(0\.1\)/);
    const resumeLayers = await cli(['train', '--resume', model, '--layers', '4,1']);
    expect(resumeLayers.code).toBe(2);
  });
});
