// `shardprop evaluate` reports: for classifiers the confusion matrix and per-class precision, recall, F1 and support
// (checked against the predictions `predict` writes for the same rows), for regression RMSE, MAE and R^2.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, flags, tempDir, writeFixtures } from './helpers.js';

let dir: string;
let files: ReturnType<typeof writeFixtures>;

beforeAll(() => {
  dir = tempDir();
  files = writeFixtures(dir);
});

describe('evaluate metrics', () => {
  it('classification: the confusion matrix and per-class scores agree with the predictions', async () => {
    const out = join(dir, 'multi');
    const train = await cli([
      'train',
      ...flags({
        data: files.multi,
        target: 'kind',
        layers: '8,3',
        activation: 'relu',
        optimizer: 'adam',
        lr: 0.02,
        epochs: 5,
        threads: 1,
        out,
      }),
    ]);
    expect(train.code, train.stderr).toBe(0);
    const evaluation = await cli(['evaluate', '--model', out, '--data', files.multi, '--json']);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const r = JSON.parse(evaluation.stdout);
    const classes: string[] = r.classes;
    const k = classes.length;

    // Recount the matrix from `predict`'s labels and the file's true labels.
    const lines = readFileSync(files.multi, 'utf8').trim().split('\n').slice(1);
    const truth = lines.map((l) => l.split(',')[3]);
    const predicted = (await cli(['predict', '--model', out, '--data', files.multi])).stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    const expected = classes.map(() => new Array<number>(k).fill(0));
    truth.forEach((t, i) => {
      expected[classes.indexOf(t)][classes.indexOf(predicted[i])]++;
    });
    expect(r.confusionMatrix).toEqual(expected);

    expect(r.perClass.map((c: { class: string }) => c.class)).toEqual(classes);
    classes.forEach((_, c) => {
      const tp = expected[c][c];
      const support = expected[c].reduce((a, b) => a + b, 0);
      const predictedAs = expected.reduce((a, row) => a + row[c], 0);
      expect(r.perClass[c].support).toBe(support);
      expect(r.perClass[c].recall).toBeCloseTo(support ? tp / support : 0, 12);
      expect(r.perClass[c].precision).toBeCloseTo(predictedAs ? tp / predictedAs : 0, 12);
    });
    const meanF1 = r.perClass.reduce((a: number, c: { f1: number }) => a + c.f1, 0) / k;
    expect(r.macroF1).toBeCloseTo(meanF1, 12);
    const diagonal = expected.reduce((a, row, i) => a + row[i], 0);
    expect(r.metrics.accuracy).toBeCloseTo(diagonal / lines.length, 6);

    const text = await cli(['evaluate', '--model', out, '--data', files.multi]);
    expect(text.stdout).toMatch(/macro F1\s+\d\.\d{4}/);
    expect(text.stdout).toMatch(/class\s+precision\s+recall\s+f1\s+support/);
  });

  it('regression: RMSE is the root of the MSE loss, beside MAE and R^2', async () => {
    const out = join(dir, 'reg');
    const train = await cli([
      'train',
      ...flags({
        data: files.reg,
        target: 'y',
        layers: '8,1',
        activation: 'relu',
        outputActivation: 'linear',
        optimizer: 'adam',
        lr: 0.01,
        epochs: 3,
        threads: 1,
        out,
      }),
    ]);
    expect(train.code, train.stderr).toBe(0);
    const r = JSON.parse((await cli(['evaluate', '--model', out, '--data', files.reg, '--json'])).stdout);
    expect(r.loss).toBe('meanSquaredError');
    expect(r.metrics.rmse).toBeGreaterThan(0);
    expect(r.metrics.rmse * r.metrics.rmse).toBeCloseTo(r.metrics.loss, 3);
    expect(r.metrics.mae).toBeLessThanOrEqual(r.metrics.rmse + 1e-9);
    expect(r.confusionMatrix).toBeUndefined();
    const text = await cli(['evaluate', '--model', out, '--data', files.reg]);
    expect(text.stdout).toMatch(/rmse\s+\S+/);
  });
});
