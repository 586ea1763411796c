// train's penalties, clipping, schedules and --monitor end to end: exact resume with a plateau schedule, the
// rate in every progress line and in --json, the regularizer in model.json, --config, and one-line usage errors.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, flags, nextEpoch, readDataFile, tempDir } from './helpers.js';

const dir = tempDir();
const IRIS = join(__dirname, '..', 'data', 'iris.csv');
const IRIS_ARGS = ['--data', IRIS, '--target', 'species', '--layers', '8,3', '--batch-size', '16', '--threads', '1'];

describe('train with --l2, --clip-norm and --lr-schedule plateau', () => {
  it('an interrupted and resumed run ends with the same bits as an uninterrupted one; lr in every line and in --json', async () => {
    const args = [
      'train',
      ...flags({
        optimizer: 'adam',
        lr: 0.01,
        epochs: 6,
        threads: 2,
        valSplit: 0.1,
        l2: 0.001,
        clipNorm: 0.5,
        lrSchedule: 'plateau',
        lrPatience: 1,
        lrDecay: 0.5,
      }),
    ];
    const straight = join(dir, 'straight');
    const interrupted = join(dir, 'interrupted');
    const [full, stopped] = await Promise.all([
      cli([...args, '--out', straight]),
      new Promise<{ code: number | null }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args, '--out', interrupted], { stdio: 'ignore' });
        child.on('error', reject);
        const poll = setInterval(() => {
          if ((nextEpoch(interrupted) ?? 0) >= 2) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 10);
        child.on('close', (code) => {
          clearInterval(poll);
          resolve({ code });
        });
      }),
    ]);
    expect(full.code).toBe(0);
    expect(stopped.code).toBe(130);
    const lines = full.stdout.split('\n').filter((l) => /^epoch +\d+\/6/.test(l));
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/ lr \d/);
    expect(full.stdout).toMatch(
      /regularization: lr x0\.5 after 1 epochs without val_loss improving .*l2 0\.001, clip norm 0\.5/,
    );

    const resumed = await cli(['train', '--resume', interrupted, '--threads', '1', '--json']);
    expect(resumed.code).toBe(0);
    const doc = JSON.parse(resumed.stdout);
    expect(doc.history).toHaveLength(6);
    const rates = doc.history.map((h: { learningRate: number }) => h.learningRate);
    // The plateau schedule acted, so its saved state mattered to the resumed epochs.
    expect(new Set(rates).size).toBeGreaterThan(1);
    expect(readDataFile(interrupted, 'weights').equals(readDataFile(straight, 'weights'))).toBe(true);
    expect(readDataFile(interrupted, 'optimizer').equals(readDataFile(straight, 'optimizer'))).toBe(true);

    // model.json carries the penalty as Keras' L1L2 on every Dense kernel.
    const model = JSON.parse(readFileSync(join(straight, 'model.json'), 'utf8'));
    const dense = model.modelTopology.config.layers.filter((l: { class_name: string }) => l.class_name === 'Dense');
    expect(dense.length).toBeGreaterThan(1);
    for (const l of dense)
      expect(l.config.kernel_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0, l2: 0.001 } });

    // A setting that contradicts the checkpoint is refused.
    const contra = await cli(['train', '--resume', interrupted, '--l2', '0.5', '--epochs', '7']);
    expect(contra.code).toBe(2);
    expect(contra.stderr).toMatch(/--l2 0\.5 contradicts the run/);
  }, 90_000);
});

describe('--config carries the same settings as the flags', () => {
  it('the weights are the same bits either way', async () => {
    const flags = join(dir, 'by-flags');
    const byConfig = join(dir, 'by-config');
    const settings = [
      '--l1',
      '0.0005',
      '--l2',
      '0.002',
      '--clip-value',
      '0.3',
      '--lr-schedule',
      'cosine',
      '--lr-min',
      '0.01',
      '--warmup-epochs',
      '2',
    ];
    const a = await cli(['train', ...IRIS_ARGS, '--epochs', '6', ...settings, '--out', flags]);
    expect(a.code).toBe(0);
    const config = join(dir, 'reg.json');
    writeFileSync(
      config,
      JSON.stringify({ l1: 0.0005, l2: 0.002, clipValue: 0.3, lrSchedule: 'cosine', lrMin: 0.01, warmupEpochs: 2 }),
    );
    const b = await cli(['train', ...IRIS_ARGS, '--epochs', '6', '--config', config, '--out', byConfig, '--json']);
    expect(b.code).toBe(0);
    expect(readDataFile(byConfig, 'weights').equals(readDataFile(flags, 'weights'))).toBe(true);
    const rates = JSON.parse(b.stdout).history.map((h: { learningRate: number }) => h.learningRate);
    // Warm-up 0.05, 0.1, then cosine from 0.1 to 0.01 over the remaining 4 epochs.
    expect(rates[0]).toBeCloseTo(0.05, 12);
    expect(rates[1]).toBeCloseTo(0.1, 12);
    expect(rates[3]).toBeCloseTo(0.01 + (0.09 * (1 + Math.cos(Math.PI / 4))) / 2, 12);
  }, 30_000);
});

describe('--early-stop --monitor', () => {
  it('watching accuracy (higher is better) stops when it stops rising and keeps the best epoch', async () => {
    const out = join(dir, 'monitor');
    const r = await cli([
      'train',
      ...IRIS_ARGS,
      '--epochs',
      '60',
      '--lr',
      '0.05',
      '--early-stop',
      '2',
      '--monitor',
      'accuracy',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const acc: number[] = doc.history.map((h: { accuracy: number }) => h.accuracy);
    expect(acc.every((a) => a >= 0 && a <= 1)).toBe(true);
    let best = 0;
    for (let e = 1; e < acc.length; e++) if (acc[e] > acc[best]) best = e;
    expect(doc.bestEpoch).toBe(best + 1);
    if (doc.status === 'stopped-early') expect(acc.slice(-2).every((a) => a <= acc[best])).toBe(true);
  }, 30_000);
});

describe('bad values are one-line usage errors (exit 2)', () => {
  it.each([
    [['--l2', '-1'], /--l2.*expected a number >= 0/],
    [['--l1', 'abc'], /--l1.*expected a number >= 0/],
    [['--clip-norm', '0'], /--clip-norm.*expected a positive number/],
    [['--clip-value', '-2'], /--clip-value.*expected a positive number/],
    [['--lr-schedule', 'linear'], /--lr-schedule.*expected one of constant, step, exponential, cosine, plateau/],
    [['--lr-decay', '-0.5', '--lr-schedule', 'step'], /--lr-decay.*expected a positive number/],
    [
      ['--lr-decay', '0.5'],
      /--lr-decay applies to --lr-schedule step or exponential or plateau, and no --lr-schedule was given/,
    ],
    [['--lr-schedule', 'step', '--lr-decay', '2'], /--lr-decay must be below 1 for step/],
    [
      ['--lr-schedule', 'cosine', '--lr', '0.1', '--lr-min', '0.5'],
      /--lr-min \(0\.5\) is above the learning rate|--lr-min \(0\.5\) is above --lr/,
    ],
    [['--lr-schedule', 'cosine', '--lr-patience', '3'], /--lr-patience applies to --lr-schedule plateau, not cosine/],
    [['--monitor', 'val_loss', '--early-stop', '2'], /--monitor val_loss needs validation data/],
    [['--monitor', 'val_f1'], /--monitor.*expected one of val_loss, val_accuracy, loss, accuracy/],
  ])('%j', async (extra, message) => {
    const r = await cli(['train', ...IRIS_ARGS, '--epochs', '1', ...extra, '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [{ l2: -1 }, /"l2"/],
    [{ lrSchedule: 'bogus' }, /"lrSchedule"/],
    [{ clipNorm: 0 }, /"clipNorm"/],
    [{ monitor: 'val_acc' }, /"monitor"/],
  ])('--config %j', async (json, message) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(json));
    const r = await cli(['train', ...IRIS_ARGS, '--epochs', '1', '--config', file, '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('tune searches penalties and schedules', () => {
  it('--l2 "0|0.01" --lr-schedule "step|exponential": four trials; the refit equals train with the best flags', async () => {
    const out = join(dir, 'tune');
    const common = [
      ...IRIS_ARGS.filter((a) => a !== '--threads' && a !== '1'),
      '--epochs',
      '4',
      '--lr',
      '0.2',
      '--lr-decay',
      '0.5',
      '--lr-step-epochs',
      '2',
    ];
    const r = await cli([
      'tune',
      ...common,
      '--l2',
      '0|0.01',
      '--lr-schedule',
      'step|exponential',
      '--folds',
      '2',
      '--threads',
      '2',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.trials).toHaveLength(4);
    for (const t of doc.trials) expect(Object.keys(t.settings)).toEqual(['l2', 'lr-schedule']);
    // Every setting changed the outcome.
    expect(new Set(doc.trials.map((t: { mean: number }) => t.mean)).size).toBe(4);
    const best = doc.best.settings;
    const trained = join(dir, 'tune-train');
    const t = await cli([
      'train',
      ...common,
      '--l2',
      best.l2,
      '--lr-schedule',
      best['lr-schedule'],
      '--threads',
      '1',
      '--out',
      trained,
    ]);
    expect(t.code).toBe(0);
    expect(readDataFile(trained, 'weights').equals(readDataFile(out, 'weights'))).toBe(true);
    const layer = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).modelTopology.config.layers[0];
    expect(layer.config.kernel_regularizer).toEqual(
      Number(best.l2) === 0 ? null : { class_name: 'L1L2', config: { l1: 0, l2: Number(best.l2) } },
    );
  }, 60_000);
});

describe('gradcheck --l2 --l1', () => {
  it('checks the penalized gradient of the seed network within 1e-6', async () => {
    const r = await cli(['gradcheck', '--l2', '0.01', '--l1', '0.001', '--max-per-tensor', '16', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.passed).toBe(true);
    expect(doc.maxRelError).toBeLessThan(1e-6);
  }, 30_000);
});
