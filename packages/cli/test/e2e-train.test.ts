import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mlp, mlpSpec } from '@shardprop/core';
import { describe, expect, it } from 'vitest';
import { cli, dataFile, flags, PACKAGE_DIR, parseCsv, readDataFile, tempDir, writeFixtures } from './helpers.js';

const dir = tempDir();
const files = writeFixtures(dir);
const IRIS = join(PACKAGE_DIR, 'data', 'iris.csv');

describe('train -> evaluate -> predict', () => {
  it('regression: --json documents parse and have the documented fields', async () => {
    const out = join(dir, 'reg-model');
    const train = await cli([
      'train',
      ...flags({
        data: files.reg,
        target: 'y',
        layers: '8,1',
        activation: 'tanh',
        lr: 0.05,
        epochs: 30,
        threads: 2,
        out,
        json: true,
      }),
    ]);
    expect(train.stderr).not.toMatch(/\n\s+at /);
    expect(train.code).toBe(0);
    const doc = JSON.parse(train.stdout);
    expect(doc).toMatchObject({
      ok: true,
      status: 'complete',
      task: 'regression',
      target: ['y'],
      outputActivation: 'linear',
      loss: 'meanSquaredError',
      epochs: 30,
      epochsRun: 30,
      rows: 160,
      layers: [8, 1],
      paramCount: 3 * 8 + 8 + 8 + 1,
      threads: 2,
    });
    expect(doc.history).toHaveLength(30);
    expect(doc.history[29].loss).toBeLessThan(doc.history[0].loss);
    expect(doc.metrics.train.r2).toBeGreaterThan(0.9);
    expect(doc.inputs).toEqual(['x1', 'x2', 'x3']);
    expect(readFileSync(join(out, 'training.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>\n$/);

    const evaluation = await cli(['evaluate', '--model', out, '--data', files.reg, '--json']);
    expect(evaluation.code).toBe(0);
    const e = JSON.parse(evaluation.stdout);
    expect(e).toMatchObject({ ok: true, rows: 160, task: 'regression', loss: 'meanSquaredError' });
    expect(e.metrics.loss).toBeCloseTo(doc.metrics.train.loss, 6);
    expect(e.metrics.r2).toBeGreaterThan(0.9);

    const predictions = join(dir, 'reg-preds.csv');
    const predict = await cli(['predict', '--model', out, '--data', files.reg, '--out', predictions]);
    expect(predict.code).toBe(0);
    expect(predict.stdout).toBe('');
    const rows = parseCsv(readFileSync(predictions, 'utf8'));
    expect(rows[0]).toEqual(['predicted_y']);
    expect(rows).toHaveLength(161);
    const truth = parseCsv(readFileSync(files.reg, 'utf8'))
      .slice(1)
      .map((r) => Number(r[3]));
    const mae = rows.slice(1).reduce((s, r, i) => s + Math.abs(Number(r[0]) - truth[i]), 0) / 160;
    expect(mae).toBeCloseTo(e.metrics.mae, 3);
  });

  it('binary classification with string labels: decoded labels and probabilities, in the input order', async () => {
    const out = join(dir, 'bin-model');
    const train = await cli([
      'train',
      ...flags({ data: files.bin, target: 'label', layers: '6,1', lr: 0.5, epochs: 40, threads: 2, out }),
    ]);
    expect(train.code).toBe(0);
    expect(train.stdout).toContain(
      'task: binary classification of "label" (no, yes) -> sigmoid output, binaryCrossentropy',
    );
    expect(train.stdout).toMatch(/epoch 40\/40/);
    const evaluation = await cli(['evaluate', '--model', out, '--data', files.bin]);
    expect(evaluation.code).toBe(0);
    expect(evaluation.stdout).toMatch(/accuracy\s+(0\.9|1\.0)/);
    expect(evaluation.stdout).toContain('confusion matrix');

    // Predict on the rows reversed (and without the label): the output follows the input order.
    const lines = readFileSync(files.bin, 'utf8').trim().split('\n');
    const reversed = join(dir, 'bin-reversed.csv');
    writeFileSync(
      reversed,
      `x1,x2\n${lines
        .slice(1)
        .reverse()
        .map((l) => l.split(',').slice(0, 2).join(','))
        .join('\n')}\n`,
    );
    const forward = parseCsv((await cli(['predict', '--model', out, '--data', files.bin])).stdout);
    const backward = parseCsv((await cli(['predict', '--model', out, '--data', reversed])).stdout);
    expect(forward[0]).toEqual(['predicted_label', 'p_no', 'p_yes']);
    expect(backward.slice(1).reverse()).toEqual(forward.slice(1));
    const labels = lines.slice(1).map((l) => l.split(',')[2]);
    const correct = forward.slice(1).filter((r, i) => r[0] === labels[i]).length;
    expect(correct / labels.length).toBeGreaterThan(0.9);
    for (const r of forward.slice(1)) expect(Number(r[1]) + Number(r[2])).toBeCloseTo(1, 5);
  });

  it('multi-class with a string feature column: one-hot inputs, softmax, decoded labels', async () => {
    const out = join(dir, 'multi-model');
    const train = await cli([
      'train',
      ...flags({
        data: files.multi,
        target: 'kind',
        layers: '12,3',
        activation: 'relu',
        lr: 0.2,
        epochs: 60,
        threads: 2,
        out,
        json: true,
      }),
    ]);
    expect(train.code).toBe(0);
    const doc = JSON.parse(train.stdout);
    expect(doc).toMatchObject({
      task: 'multiclass',
      classes: ['alpha', 'beta', 'gamma'],
      outputActivation: 'softmax',
      loss: 'categoricalCrossentropy',
    });
    expect(doc.inputs).toEqual(['x1', 'color=blue', 'color=green', 'color=red', 'x2']);
    expect(doc.metrics.train.accuracy).toBeGreaterThan(0.9);
    const predict = await cli(['predict', '--model', out, '--data', files.multi, '--json']);
    expect(predict.code).toBe(0);
    const p = JSON.parse(predict.stdout);
    expect(p.columns).toEqual(['predicted_kind', 'p_alpha', 'p_beta', 'p_gamma']);
    expect(p.predictions).toHaveLength(180);
    expect(p.predictions[0].predicted_kind).toBe('alpha'); // row 1 is red
    expect(p.predictions[2].predicted_kind).toBe('gamma'); // row 3 is blue
    // An unseen category: an error naming file, line and column, or zeros with --unknown zeros.
    const unseen = join(dir, 'unseen.csv');
    writeFileSync(unseen, 'x1,color,x2\n0.5,red,0.1\n0.2,purple,0.3\n');
    const bad = await cli(['predict', '--model', out, '--data', unseen]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `shardprop: error: ${unseen}:3:2: category "purple" of column "color" was not seen in training (known: blue, green, red); pass --unknown zeros to encode it as all zeros\n`,
    );
    const zeros = await cli(['predict', '--model', out, '--data', unseen, '--unknown', 'zeros']);
    expect(zeros.code).toBe(0);
    expect(parseCsv(zeros.stdout)).toHaveLength(3);
  });

  it('iris (bundled real data): species classification, then petal width regression with a category feature', async () => {
    const out = join(dir, 'iris-model');
    const train = await cli([
      'train',
      ...flags({
        data: IRIS,
        target: 'species',
        layers: '16,3',
        lr: 0.3,
        epochs: 60,
        batchSize: 16,
        threads: 2,
        out,
        json: true,
      }),
    ]);
    expect(train.code).toBe(0);
    expect(JSON.parse(train.stdout).metrics.train.accuracy).toBeGreaterThan(0.9);
    const reg = await cli([
      'train',
      ...flags({
        data: IRIS,
        target: 'petal_width',
        layers: '8,1',
        activation: 'tanh',
        optimizer: 'momentum',
        lr: 0.05,
        epochs: 20,
        valSplit: 0.2,
        threads: 2,
        out: join(dir, 'iris-reg'),
        json: true,
      }),
    ]);
    expect(reg.code).toBe(0);
    const doc = JSON.parse(reg.stdout);
    expect(doc.task).toBe('regression');
    expect(doc.inputs).toContain('species=setosa');
    expect(doc.validationRows).toBe(30);
    expect(doc.history[19].valLoss).toBeDefined();
  });

  it('--epochs 0 writes the initialised model', async () => {
    const out = join(dir, 'init0');
    const train = await cli(['train', ...flags({ data: files.reg, epochs: 0, layers: '5,1', seed: 3, out })]);
    expect(train.code).toBe(0);
    const weights = new Float32Array(new Uint8Array(readDataFile(out, 'weights')).buffer);
    const expected = Mlp.create(mlpSpec(3, [5, 1], 'sigmoid', 'linear'), { seed: 3 }).params;
    expect(Array.from(weights)).toEqual(Array.from(expected));
    const inspect = await cli(['inspect', '--model', out, '--json']);
    const doc = JSON.parse(inspect.stdout);
    expect(doc.training).toMatchObject({ status: 'complete', nextEpoch: 0, history: [] });
  });

  it('the default target is the last column, and a config file is overridden by flags', async () => {
    const config = join(dir, 'train.json');
    writeFileSync(config, JSON.stringify({ data: 'reg.csv', layers: [4, 1], epochs: 5, lr: 0.01, out: 'cfg-model' }));
    const plain = await cli(['train', '--config', config, '--epochs', '1', '--threads', '1']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('task: regression on "y" (the last column; pass --target to choose)');
    const r = await cli(['train', '--config', config, '--epochs', '2', '--threads', '1', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.epochs).toBe(2);
    expect(doc.history).toHaveLength(2);
    expect(doc.optimizer.learningRate).toBe(0.01);
    expect(doc.out).toBe(join(dir, 'cfg-model'));
  });

  it('missing values: an error by default, rows left out with --drop-missing, means with --impute mean', async () => {
    const holes = join(dir, 'holes.csv');
    writeFileSync(holes, 'a,b,y\n1,2,0.5\nNA,3,0.1\n2,,0.9\n3,4,0.4\n');
    const strict = await cli(['train', '--data', holes, '--epochs', '1']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(
      `shardprop: error: ${holes}:3:1: missing value in column "a"; pass --drop-missing or --impute mean\n`,
    );
    const drop = await cli([
      'train',
      ...flags({ data: holes, epochs: 1, layers: '2,1', dropMissing: true, out: join(dir, 'drop'), json: true }),
    ]);
    expect(drop.code).toBe(0);
    expect(JSON.parse(drop.stdout)).toMatchObject({ rows: 2, droppedRows: 2 });
    const impute = await cli([
      'train',
      ...flags({ data: holes, epochs: 1, layers: '2,1', impute: 'mean', out: join(dir, 'impute'), json: true }),
    ]);
    expect(impute.code).toBe(0);
    expect(JSON.parse(impute.stdout)).toMatchObject({ rows: 4, droppedRows: 0 });
  });

  it('--early-stop stops after the patience runs out and keeps the best weights', async () => {
    // A learning rate too small to change float32 weights: the loss never improves after the first epoch.
    const out = join(dir, 'early');
    const r = await cli([
      'train',
      ...flags({
        data: files.reg,
        layers: '3,1',
        lr: '1e-30',
        noShuffle: true,
        epochs: 10,
        earlyStop: 2,
        threads: 2,
        out,
        json: true,
      }),
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ status: 'stopped-early', epochsRun: 3, bestEpoch: 1 });
    const inspect = JSON.parse((await cli(['inspect', '--model', out, '--json'])).stdout);
    expect(inspect.training).toMatchObject({
      status: 'stopped-early',
      nextEpoch: 3,
      earlyStopping: { bestEpoch: 0, waited: 2 },
    });
    expect(inspect.files).toContain(dataFile(out, 'best-weights'));
    const again = await cli(['train', '--resume', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('stopped early at epoch 3; nothing to resume');
  });

  it('--early-stop keeps the weights of the best epoch: those of a run that ends there', async () => {
    // A rate at which the validation loss bottoms out at epoch 17 and the weights keep moving after it.
    const base = { data: files.reg, target: 'y', layers: '8,1', optimizer: 'sgd', lr: 0.3, valSplit: 0.25, threads: 1 };
    const early = join(dir, 'early-best');
    expect((await cli(['train', ...flags({ ...base, epochs: 40, earlyStop: 2, out: early })])).code).toBe(0);
    const inspect = JSON.parse((await cli(['inspect', '--model', early, '--json'])).stdout);
    const { bestEpoch } = inspect.training.earlyStopping;
    expect(inspect.training.nextEpoch).toBe(bestEpoch + 3);
    // The reference: the same run stopped by --epochs right after the best epoch, no early stopping.
    const ended = join(dir, 'ended-at-best');
    expect((await cli(['train', ...flags({ ...base, epochs: bestEpoch + 1, out: ended })])).code).toBe(0);
    const last = join(dir, 'ended-at-last');
    expect((await cli(['train', ...flags({ ...base, epochs: bestEpoch + 3, out: last })])).code).toBe(0);
    const kept = readDataFile(early, 'weights');
    expect(kept.equals(readDataFile(ended, 'weights'))).toBe(true);
    // The weights moved after the best epoch, so keeping the last ones instead would show.
    expect(kept.equals(readDataFile(last, 'weights'))).toBe(false);
  });
});
