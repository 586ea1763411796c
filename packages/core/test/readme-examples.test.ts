// The README's examples are the files in examples/: the README shows each one verbatim, and each runs (against
// the built dist/, through the package's own name) and prints what its comments promise.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const examplesDir = new URL('../examples/', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const files = readdirSync(examplesDir).filter((f) => f.endsWith('.mjs'));

async function run(file: string): Promise<string[]> {
  const path = fileURLToPath(new URL(file, examplesDir));
  const { stdout } = await promisify(execFile)(process.execPath, [path], { timeout: 60_000 });
  // tfjs prints a banner about tfjs-node; the examples' own lines are the last ones.
  return stdout.trim().split('\n');
}

describe('README examples (examples/*.mjs)', () => {
  it('the README shows every example file verbatim, and no other js block', () => {
    expect(files.sort()).toEqual([
      'export.mjs',
      'parallel.mjs',
      'quickstart.mjs',
      'regularize.mjs',
      'save-load.mjs',
      'shared-dataset.mjs',
      'tfjs.mjs',
      'tune.mjs',
    ]);
    expect(blocks.sort()).toEqual(files.map((f) => readFileSync(new URL(f, examplesDir), 'utf8')).sort());
  });

  it('shared-dataset: fitParallel trains on rows written straight into shared memory', async () => {
    expect(await run('shared-dataset.mjs')).toEqual(['trained in place on 2 threads; loss fell: true']);
  });

  it('quickstart: XOR learned from your own arrays (predict near 0 1 1 0, accuracy 1)', async () => {
    const [preds, metrics] = await run('quickstart.mjs');
    expect(preds.split(' ').map((p) => Math.round(Number(p)))).toEqual([0, 1, 1, 0]);
    expect(metrics).toMatch(/accuracy: 1 }$/);
  });

  it('regularize: the step schedule after one warm-up epoch halves the rate every two epochs', async () => {
    const [rates] = (await run('regularize.mjs')).slice(-1);
    expect(rates).toBe('0.01 0.01 0.01 0.005 0.005 0.0025');
  });

  it('save-load: the loaded model predicts the same number and keeps the metadata', async () => {
    expect(await run('save-load.mjs')).toEqual(["true [ 'a', 'b', 'c' ] 2"]);
  });

  it('parallel: fitParallel gives fit bits; js and wasm kernels agree closely', async () => {
    expect(await run('parallel.mjs')).toEqual([
      'fit vs fitParallel, same backend: same bits',
      'js vs wasm kernels: max weight difference below 1e-4',
    ]);
  });

  it('export: safetensors and ONNX bytes, metadata read back', async () => {
    expect(await run('export.mjs')).toEqual(['true multiclass']);
  });

  it('tfjs: tf.loadLayersModel(tfjsFileHandler(dir)) predicts what shardprop predicts', async () => {
    expect((await run('tfjs.mjs')).at(-1)).toBe('tfjs and shardprop agree: true');
  });
  it('tune: four candidates scored by 3-fold CV, the best named and refit', async () => {
    const lines = await run('tune.mjs');
    const trials = lines.filter((l) => /^\{.*\} \d+\.\d{6} ± \d+\.\d{6}$/.test(l));
    expect(trials).toHaveLength(4);
    expect(lines.at(-2)).toMatch(/^best \{.*"learningRate":0\.(1|5)/);
    expect(lines.at(-1)).toBe('true');
  });
});
