// Divergence: training that turns the loss or a weight non-finite exits 1 naming the epoch and step, and the
// model directory keeps the last finite checkpoint; evaluate and predict refuse a model with non-finite weights.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModelDir, saveModelDir } from '../src/modeldir.js';
import { cli, flags, readDataFile, tempDir } from './helpers.js';

const IRIS = fileURLToPath(new URL('../data/iris.csv', import.meta.url));
const dir = tempDir();

/** The case: petal width regression, one step per epoch, a learning rate that overflows the weights. */
const diverging = (lr: string, out: string) => [
  'train',
  ...flags({
    data: IRIS,
    target: 'petal_width',
    layers: '16,1',
    activation: 'relu',
    lr,
    epochs: 4,
    batchSize: 150,
    threads: 1,
    out,
  }),
];

function savedWeights(out: string): Float32Array {
  const bytes = readDataFile(out, 'weights');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

describe('divergence', () => {
  it.each([
    // lr 5: the loss stays finite (a float64 sum) while the 4th epoch's update overflows a weight.
    ['5', 4, 3],
    // lr 1e300: the very first update overflows every weight.
    ['1e300', 1, 0],
  ])(
    '--lr %s: exit 1 naming the epoch and step; the last finite checkpoint stays',
    async (lr, epoch, kept) => {
      const out = join(dir, `lr-${lr}`);
      const r = await cli(diverging(lr, out));
      expect(r.code).toBe(1);
      const last = r.stderr.trimEnd().split('\n').pop();
      const keeps = kept === 0 ? 'the initialised model' : `the checkpoint after epoch ${kept}`;
      expect(last).toBe(
        `shardprop: error: training diverged in epoch ${epoch}, step 1: a weight became ${last?.match(/became (\S+);/)?.[1]}; lower --lr and train again (${out} keeps ${keeps})`,
      );
      expect(last).toMatch(/became (NaN|Infinity|-Infinity);/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(savedWeights(out).every(Number.isFinite)).toBe(true);
      const inspect = JSON.parse((await cli(['inspect', '--model', out, '--json'])).stdout);
      expect(inspect.training.nextEpoch).toBe(kept);
      // What is kept is a model evaluate accepts.
      expect((await cli(['evaluate', '--model', out, '--data', IRIS])).code).toBe(0);
    },
    30_000,
  );

  it('evaluate and predict refuse a model with a non-finite weight, in one line', async () => {
    const out = join(dir, 'poisoned');
    expect((await cli(diverging('0.01', out))).code).toBe(0);
    // Written through the CLI's own save path, so the directory is consistent apart from the weight.
    const loaded = await loadModelDir(out, '--model');
    loaded.model.params[5] = Number.NaN;
    await saveModelDir(out, loaded.model, loaded.meta as NonNullable<typeof loaded.meta>);
    for (const command of ['evaluate', 'predict']) {
      const r = await cli([command, '--model', out, '--data', IRIS]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `shardprop: error: --model ${out}: weight 5 is NaN (did training diverge?); train it again with a lower --lr\n`,
      );
    }
  }, 30_000);
});
