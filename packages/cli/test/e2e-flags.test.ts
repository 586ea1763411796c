// Bad flag values, unreadable files and changed data: one line each, exit 2 for a usage mistake, 1 for a data or
// model problem (issue 12's "also fix" list), and absurd batch sizes that cost nothing.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir, saveModelDir } from '../src/modeldir.js';
import { cli, type RunResult, tempDir, writeFixtures } from './helpers.js';

const IRIS = fileURLToPath(new URL('../data/iris.csv', import.meta.url));
const dir = tempDir();
const files = writeFixtures(dir);
const at = (name: string) => join(dir, name);
const model = at('model');
const small = ['--layers', '3,1', '--epochs', '1', '--threads', '1'];

/** The one line a failed command prints, without the prefix. */
function errorLine(r: RunResult): string {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith('shardprop: error: ')).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at |--debug/);
  return lines[0].slice('shardprop: error: '.length);
}

beforeAll(async () => {
  expect((await cli(['train', '--data', files.reg, ...small, '--out', model])).code).toBe(0);
}, 30_000);

describe('flag values', () => {
  it.each([
    [
      '--momentum 5',
      ['train', '--optimizer', 'momentum', '--momentum', '5'],
      "option '--momentum <m>' argument '5' is invalid. expected a number in [0, 1] (see shardprop train --help)",
    ],
    [
      "--delimiter ''",
      ['train', '--delimiter', ''],
      `option '--delimiter <char>' argument '' is invalid. expected one character, e.g. ";" or a tab (not a quote or a line break) (see shardprop train --help)`,
    ],
    [
      "evaluate --delimiter ';;'",
      ['evaluate', '--model', model, '--data', files.reg, '--delimiter', ';;'],
      `option '--delimiter <char>' argument ';;' is invalid. expected one character, e.g. ";" or a tab (not a quote or a line break) (see shardprop evaluate --help)`,
    ],
    [
      "train --out ''",
      ['train', '--out', ''],
      "option '--out <dir>' argument '' is invalid. expected a path, got an empty string (see shardprop train --help)",
    ],
    [
      "predict --out ''",
      ['predict', '--model', model, '--data', files.reg, '--out', ''],
      "option '--out <file>' argument '' is invalid. expected a path, got an empty string (see shardprop predict --help)",
    ],
    [
      "export --out ''",
      ['export', '--model', model, '--format', 'onnx', '--out', ''],
      "option '--out <file>' argument '' is invalid. expected a path, got an empty string (see shardprop export --help)",
    ],
    [
      "--resume ''",
      ['train', '--resume', ''],
      "option '--resume <dir>' argument '' is invalid. expected a path, got an empty string (see shardprop train --help)",
    ],
  ])('%s is a usage error (exit 2)', async (_name, args, message) => {
    // In a scratch directory: an empty path used to mean the current one.
    const r = await cli(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(message);
  });

  it('--val-split 0.9999 of 10,000 rows holds out 9,999 rows and trains on 1 (no floating-point floor to 0)', async () => {
    const r = await cli([
      'train',
      '--val-split',
      '0.9999',
      '--epochs',
      '1',
      '--threads',
      '1',
      '--json',
      '--out',
      at('vs'),
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 10_000, trainRows: 1, validationRows: 9_999 });
    const none = await cli(['train', '--val-split', '0.99999', '--epochs', '1', '--out', at('vs2')]);
    expect(none.code).toBe(2);
    expect(errorLine(none)).toBe('--val-split 0.99999: 10,000 rows leave nothing to train on');
  }, 30_000);

  it('a semicolon file read with "," suggests --delimiter \';\' (from the header line)', async () => {
    const semi = at('semi.csv');
    writeFileSync(semi, readFileSync(IRIS, 'utf8').replaceAll(',', ';'));
    const r = await cli(['train', '--data', semi, '--epochs', '0', '--out', at('semi')]);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(
      `${semi}: no feature columns left besides the target; the header is one column "sepal_length;sepal_width;petal_length;petal_width;species": pass --delimiter ';'`,
    );
    const named = await cli(['train', '--data', semi, '--target', 'species', '--epochs', '0', '--out', at('semi')]);
    expect(errorLine(named)).toMatch(/has no column named "species" .*: pass --delimiter ';'$/);
    // With the delimiter, the same file trains.
    const ok = await cli(['train', '--data', semi, '--delimiter', ';', '--epochs', '0', '--out', at('semi')]);
    expect(ok.code).toBe(0);
  }, 30_000);
});

describe('files and models', () => {
  it('an unreadable --data file is a one-line data error (exit 1), not an internal error', async (context) => {
    // Root reads any file: run the CLI as nobody where this process is root.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const locked = join(tempDir('shardprop-eacces-'), 'locked.csv');
    // Writable by nobody too: train takes its --out lock before it reads the data.
    chmodSync(join(locked, '..'), 0o777);
    copyFileSync(files.reg, locked);
    chmodSync(locked, 0o000);
    if ((await cli(['--version'], asUser)).code !== 0) context.skip(); // the build is not readable by nobody
    const r = await cli(['train', '--data', locked, '--epochs', '0', '--out', join(locked, '..', 'm')], asUser);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toBe(`${locked}: permission denied (cannot read the file)`);
  });

  it('a model.json whose loss is not a loss name is refused, not read as MSE', async () => {
    const edited = at('edited');
    mkdirSync(edited);
    const loaded = await loadModelDir(model, '--model');
    await saveModelDir(edited, loaded.model, {
      ...(loaded.meta as NonNullable<typeof loaded.meta>),
      loss: 'hinge' as 'meanSquaredError',
    });
    for (const args of [
      ['evaluate', '--model', edited, '--data', files.reg],
      ['inspect', '--model', edited],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(1);
      expect(errorLine(r)).toBe(
        `${join(edited, 'model.json')}: corrupt shardprop.loss: unknown loss "hinge" (expected one of meanSquaredError, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy)`,
      );
    }
  });

  it('--resume refuses training data that changed since the checkpoint (rows lost, or values edited)', async () => {
    const csv = at('resume.csv');
    const original = readFileSync(files.reg, 'utf8');
    writeFileSync(csv, original);
    const out = at('resumed');
    expect((await cli(['train', '--data', csv, ...small, '--epochs', '2', '--out', out])).code).toBe(0);
    const lines = original.trimEnd().split('\n');

    writeFileSync(csv, `${lines.slice(0, -10).join('\n')}\n`);
    const fewer = await cli(['train', '--resume', out, '--epochs', '3']);
    expect(fewer.code).toBe(1);
    expect(errorLine(fewer)).toBe(
      `--resume ${out}: the training data changed since the checkpoint (${csv}: it now gives 150 rows of 3 inputs and 1 targets, the run trained on 160 rows of 3 inputs and 1 targets); resume needs the same data: restore it, or start a new run from these weights with --init ${out}`,
    );

    writeFileSync(csv, `${[...lines.slice(0, -1), lines[lines.length - 1].replace(/^[^,]+/, '0.5')].join('\n')}\n`);
    const edited = await cli(['train', '--resume', out, '--epochs', '3']);
    expect(edited.code).toBe(1);
    expect(errorLine(edited)).toMatch(
      /it gives as many rows \(160\) but different values\); resume needs the same data/,
    );

    // The same data again: the run resumes.
    writeFileSync(csv, original);
    expect((await cli(['train', '--resume', out, '--epochs', '3'])).code).toBe(0);
  }, 60_000);
});

describe('absurd batch sizes', () => {
  it.each(['10000000', '2147483647', '9007199254740991'])(
    '--batch-size %s on 2 threads trains (buffers sized by the rows, not the batch)',
    async (batch) => {
      // The seed network: before the fix, 10,000,000 sized every worker's workspace for 625,000-row shards.
      const r = await cli(
        [
          'train',
          '--epochs',
          '1',
          '--threads',
          '2',
          '--batch-size',
          batch,
          '--out',
          at(`b${batch}`),
          // Killed after 50 s: before the fix, 2^53 - 1 looped for hours sizing the workspaces.
        ],
        { timeout: 50_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        `batch ${Number(batch).toLocaleString('en-US')} (more than the 10,000 training rows: one step per epoch)`,
      );
    },
    60_000,
  );

  it('shards that do not fit the WebAssembly memory are named in flag terms, without an API hint', async () => {
    const r = await cli([
      'train',
      '--layers',
      '256,256,1',
      '--threads',
      '2',
      '--shards',
      '10000',
      '--batch-size',
      '10000',
      '--kernels',
      'wasm',
      '--epochs',
      '1',
      '--out',
      at('shards'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('maximumBytes');
    expect(errorLine(r)).toBe(
      'training needs more memory than the WebAssembly kernels can address: the data takes 2 MB and the gradients of 10,000 shards 2,911 MB; pass fewer --shards, or --kernels js',
    );
  }, 30_000);
});
