import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Mlp, mlpSpec } from '@shardprop/core';
import { tfjsFileHandler } from '@shardprop/core/node';
import { seedCsv } from '@shardprop/tabular';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, dataFile, flags, PACKAGE_DIR, parseCsv, readDataFile, tempDir, writeFixtures } from './helpers.js';

const dir = tempDir();
const files = writeFixtures(dir);
const model = join(dir, 'model');
const COMMANDS = ['train', 'evaluate', 'predict', 'gradcheck', 'bench', 'inspect', 'export'];

beforeAll(async () => {
  const r = await cli([
    'train',
    ...flags({ data: files.multi, target: 'kind', layers: '6,3', epochs: 3, threads: 2, out: model }),
  ]);
  expect(r.code).toBe(0);
});

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')).version);
  });

  it.each(COMMANDS)('%s --help shows the flags and examples', async (command) => {
    const r = await cli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: shardprop ${command}`);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--json');
  });

  it('no arguments prints the help on stderr and exits 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: shardprop');
  });
});

describe('inspect', () => {
  it('shows the architecture, parameter count, encoding and training metadata', async () => {
    const r = await cli(['inspect', '--model', model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('5 inputs -> 6-3, 57 parameters, loss categoricalCrossentropy');
    expect(r.stdout).toMatch(/dense_1\s+5\s+6\s+sigmoid\s+36/);
    expect(r.stdout).toMatch(/dense_2\s+6\s+3\s+softmax\s+21/);
    expect(r.stdout).toContain('task: 3-class classification of "kind" (alpha, beta, gamma)');
    expect(r.stdout).toContain('one-hot over 3: blue, green, red');
    expect(r.stdout).toContain('training: complete, 3/3 epochs');
    const j = await cli(['inspect', '--model', model, '--json']);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({
      ok: true,
      inputSize: 5,
      outputSize: 3,
      paramCount: 57,
      loss: 'categoricalCrossentropy',
    });
    expect(doc.layers).toHaveLength(2);
    expect(doc.training.history).toHaveLength(3);
    expect(doc.files).toEqual(
      expect.arrayContaining(['model.json', dataFile(model, 'weights'), dataFile(model, 'optimizer'), 'training.svg']),
    );
  });
});

describe('gradcheck', () => {
  it('passes on the seed network and exits 0', async () => {
    const r = await cli(['gradcheck', '--max-per-tensor', '16']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dense_4\/bias/);
    expect(r.stdout).toMatch(/^passed: max relative error/m);
  });

  it('exits 1 above the threshold, and --json reports every tensor', async () => {
    const r = await cli([
      'gradcheck',
      ...flags({
        layers: '4,3',
        activation: 'tanh',
        data: files.multi,
        target: 'kind',
        threshold: '1e-30',
        json: true,
      }),
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ passed: false, loss: 'categoricalCrossentropy', inputSize: 5 });
    expect(doc.tensors.map((t: { name: string }) => t.name)).toEqual([
      'dense_1/kernel',
      'dense_1/bias',
      'dense_2/kernel',
      'dense_2/bias',
    ]);
    expect(doc.maxRelError).toBeLessThan(1e-5);
  });

  it('checks a saved model', async () => {
    const r = await cli(['gradcheck', '--model', model, '--data', files.multi]);
    expect(r.code).toBe(0);
  });
});

describe('bench', () => {
  it('compares thread counts on the built-in workload, with --json', async () => {
    const r = await cli(['bench', '--threads', '1,2', '--rows', '400', '--epochs', '1', '--warmup', '0', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { threads: unknown }) => x.threads)).toEqual(['main', 1, 2]);
    for (const x of doc.results) {
      expect(x.msPerEpoch).toBeGreaterThan(0);
      expect(x.rowsPerSec).toBeGreaterThan(0);
      expect(x.gflops).toBeGreaterThan(0);
      expect(x.sameWeights).toBe(true);
    }
    expect(doc.flopsPerRow).toBe(4 * 39 * 39 + 6 * 39 * 39 * 2 + 6 * 39);
  });
});

describe('the bundled seed data', () => {
  it('data/seed.csv holds exactly the numbers train uses without --data', () => {
    const file = readFileSync(join(PACKAGE_DIR, '..', '..', 'data', 'seed.csv'), 'utf8');
    const head = file.slice(0, 20_000).split('\n').slice(0, 50).join('\n');
    expect(seedCsv(49)).toBe(`${head}\n`);
    expect(file.trim().split('\n')).toHaveLength(10_001);
  });

  it('train without --data equals train --data data/seed.csv --target y, bit for bit', async () => {
    const a = join(dir, 'seed-a');
    const b = join(dir, 'seed-b');
    const builtIn = await cli(['train', '--epochs', '1', '--threads', '2', '--out', a]);
    expect(builtIn.code).toBe(0);
    expect(builtIn.stdout).toContain('data: the built-in seed problem');
    expect(builtIn.stdout).toContain(
      'model: 39 inputs -> 39-39-39-1 (sigmoid hidden, sigmoid output), 4,720 parameters',
    );
    const csv = join(PACKAGE_DIR, '..', '..', 'data', 'seed.csv');
    expect(
      (await cli(['train', '--data', csv, '--target', 'y', '--epochs', '1', '--threads', '2', '--out', b])).code,
    ).toBe(0);
    expect(readDataFile(a, 'weights').equals(readDataFile(b, 'weights'))).toBe(true);
  });
});

interface Tensor {
  dataSync(): Float32Array;
}
interface Tf {
  setBackend(name: string): Promise<boolean>;
  loadLayersModel(handler: unknown): Promise<{ predict(x: Tensor): Tensor }>;
  tensor2d(values: Float32Array, shape: [number, number]): Tensor;
}
/** tfjs is a dev dependency of @shardprop/core; resolved from there, or the test is skipped. */
function loadTf(): Tf | undefined {
  try {
    return createRequire(join(PACKAGE_DIR, '..', 'core', 'package.json'))('@tensorflow/tfjs') as Tf;
  } catch {
    return undefined;
  }
}
const tf = loadTf();

describe('TensorFlow.js interoperability', () => {
  it.skipIf(tf === undefined)(
    'a model trained by the CLI loads in tfjs and predicts the same',
    async () => {
      if (!tf) return;
      await tf.setBackend('cpu');
      const tfModel = await tf.loadLayersModel(tfjsFileHandler(model));
      const json = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
      const weights = new Float32Array(new Uint8Array(readDataFile(model, 'weights')).buffer);
      const ours = new Mlp(mlpSpec(5, [6, 3], 'sigmoid', 'softmax'), weights);
      // Encode the first rows as the CLI does (x1, one-hot color, x2), then compare both forward passes.
      const enc = json.shardprop.encodings.features;
      const rows = parseCsv(readFileSync(files.multi, 'utf8')).slice(1, 21);
      const x = new Float32Array(rows.length * 5);
      rows.forEach((r, i) => {
        x[i * 5] = (Number(r[0]) - enc[0].mean) / enc[0].std;
        x[i * 5 + 1 + enc[1].vocabulary.indexOf(r[1])] = 1;
        x[i * 5 + 4] = (Number(r[2]) - enc[2].mean) / enc[2].std;
      });
      const expected = ours.predict(x, rows.length);
      const got = tfModel.predict(tf.tensor2d(x, [rows.length, 5])).dataSync();
      for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
      // And the CLI's predict prints the same probabilities.
      const predicted = parseCsv((await cli(['predict', '--model', model, '--data', files.multi])).stdout).slice(1, 21);
      predicted.forEach((r, i) => {
        for (let k = 0; k < 3; k++) expect(Number(r[1 + k])).toBeCloseTo(expected[i * 3 + k], 6);
      });
    },
    30_000,
  );
});
