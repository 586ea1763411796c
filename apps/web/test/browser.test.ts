/**
 * End-to-end tests in real headless Chromium (Debian's `chromium`, driven by playwright-core): the production
 * build served by `vite preview` with its cross-origin isolation headers. Skipped, with the reason printed, only
 * where /usr/bin/chromium is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelJson, toTfjsArtifacts } from '@shardprop/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  differingWeights,
  downloadedWeights,
  downloadOf,
  hasChromium,
  launchChromium,
  losses,
  openApp,
  outputs,
  RESULTS,
  ROOT,
  referenceSeedFit,
  type ServedApp,
  serveApp,
  waitForEnd,
} from './harness.js';

/** Epochs of the seed-problem run (about 20 ms each on 2 workers). */
const EPOCHS = 20;

describe.skipIf(!hasChromium)('apps/web in headless Chromium', () => {
  let app: ServedApp;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(RESULTS, { recursive: true });
    app = await serveApp();
    url = app.url;
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 1100 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    await openApp(page, url);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('loads cross-origin isolated, with SharedArrayBuffer and the isolation notice', async () => {
    const env = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      sab: typeof SharedArrayBuffer === 'function',
      cores: navigator.hardwareConcurrency,
      threads: (document.getElementById('threads') as HTMLSelectElement).value,
      choices: Array.from((document.getElementById('threads') as HTMLSelectElement).options, (o) => o.value),
    }));
    expect(env.isolated).toBe(true);
    expect(env.sab).toBe(true);
    expect(env.threads).toBe('auto');
    expect(env.choices).toEqual(['auto', ...Array.from({ length: env.cores }, (_, i) => String(i + 1))]);
    expect(await page.textContent('#isolation')).toMatch(
      /^Cross-origin isolated: this page can share memory between threads, so training can use up to \d+ Web Worker/,
    );
    expect(await page.getAttribute('#isolation', 'class')).toContain('ok');
    // The seed problem is selected and ready, with the CLI's choices for its target.
    expect(await page.textContent('#data-summary')).toContain('10,000 rows, 39 network inputs');
    expect(await page.textContent('#task')).toBe('Task: regression on "y".');
    expect(await page.textContent('#output-layer')).toContain('1 unit, sigmoid activation, loss meanSquaredError');
  });

  it('trains the seed problem on 2 workers: the loss falls, the page stays responsive', async () => {
    await page.selectOption('#threads', '2');
    await page.fill('#epochs', String(EPOCHS));
    // Long tasks on the main thread while training (the page must stay responsive).
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    await page.click('#train');
    await page.waitForFunction(() => document.body.dataset.state === 'training');
    // While it trains, the main thread answers promptly.
    const t0 = Date.now();
    await page.evaluate(() => 1 + 1);
    const roundTrip = Date.now() - t0;
    expect(await waitForEnd(page)).toBe('trained');

    const status = await page.$eval('#status', (el) => ({ ...(el as HTMLElement).dataset }));
    expect(status).toMatchObject({ mode: 'parallel', threads: '2', kernels: 'wasm' });
    const { loss, valLoss } = await losses(page);
    expect(loss).toHaveLength(EPOCHS);
    expect(valLoss).toHaveLength(EPOCHS);
    expect(loss.every(Number.isFinite)).toBe(true);
    const last = EPOCHS - 1;
    expect(loss[last]).toBeLessThan(loss[0] * 0.5);
    expect(valLoss[last]).toBeLessThan(valLoss[0] * 0.7);
    const rows = await page.textContent('#s-rows');
    expect(rows).toMatch(/^[\d,]+ \(mean\)$/);
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    console.log(
      `seed problem, 2 workers: loss ${loss[0].toPrecision(4)} -> ${loss[last].toPrecision(4)}, val ${valLoss[0].toPrecision(4)} -> ${valLoss[last].toPrecision(4)}, ${rows} rows/s; main-thread round trip ${roundTrip} ms; long tasks ${JSON.stringify(longTasks.map(Math.round))}`,
    );
    expect(roundTrip).toBeLessThan(1_000);
    expect(Math.max(0, ...longTasks)).toBeLessThan(500);
    // The model is ready: the page predicted the rows in the box.
    expect((await outputs(page)).length).toBe(5);
    await page.screenshot({ path: join(RESULTS, 'trained.png'), fullPage: true });
    // The README's screenshot: written when missing, or refreshed on request (so test runs leave the tree clean).
    const readmeShot = join(ROOT, 'screenshot.png');
    if (!existsSync(readmeShot) || process.env.SHARDPROP_UPDATE_SCREENSHOT === '1') {
      await copyFile(join(RESULTS, 'trained.png'), readmeShot);
    }
    expect(pageErrors).toEqual([]);
  });

  it('downloads a model that tfjs loads and that predicts the same as the page; loads it back', async () => {
    const pagePredictions = await outputs(page);
    expect(pagePredictions).toHaveLength(5);
    const jsonBytes = await downloadOf(page, '#download-json');
    const weights = await downloadOf(page, '#download-weights');
    const modelJson = JSON.parse(jsonBytes.toString('utf8')) as ModelJson;
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(weights.byteLength).toBe(4720 * 4);
    const encoding = modelJson.shardprop.encodings as {
      features: { name: string; kind: string; mean: number; std: number }[];
    };
    expect(encoding.features).toHaveLength(39);
    expect(modelJson.shardprop.training).toMatchObject({ threads: 2, mode: 'parallel' });

    // Encode the page's input rows with the model's own metadata, and predict with TensorFlow.js in Node.
    const text = await page.inputValue('#predict-input');
    const [header, ...lines] = text.trim().split('\n');
    const names = header.split(',');
    const x = new Float32Array(lines.length * names.length);
    lines.forEach((line, r) => {
      line.split(',').forEach((cell, j) => {
        const f = encoding.features[j];
        expect(f.name).toBe(names[j]);
        x[r * names.length + j] = (Number(cell) - f.mean) / f.std;
      });
    });
    const tf = await import('@tensorflow/tfjs');
    const model = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(modelJson, new Uint8Array(weights))));
    const y = model.predict(tf.tensor2d(x, [lines.length, names.length])) as import('@tensorflow/tfjs').Tensor;
    const tfPredictions = Array.from(await y.data());
    expect(tfPredictions).toHaveLength(pagePredictions.length);
    const maxDiff = Math.max(...tfPredictions.map((v, i) => Math.abs(v - pagePredictions[i])));
    console.log(`tfjs vs page predictions: max |diff| ${maxDiff.toExponential(2)} over ${lines.length} rows`);
    expect(maxDiff).toBeLessThan(1e-5);

    // Load the downloaded files back into the page: the same predictions, bit for bit.
    await page.evaluate(() => {
      (document.getElementById('predictions') as HTMLElement).dataset.outputs = '[]';
    });
    await page.setInputFiles('#model-files', [
      { name: 'model.json', mimeType: 'application/json', buffer: jsonBytes },
      { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: weights },
    ]);
    await page.waitForFunction(() =>
      (document.getElementById('model-summary')?.textContent ?? '').startsWith('Loaded'),
    );
    expect(await page.textContent('#model-summary')).toContain(
      '39 inputs, layers 39 sigmoid, 39 sigmoid, 39 sigmoid, 1 sigmoid',
    );
    await page.click('#predict');
    expect(await outputs(page)).toEqual(pagePredictions);
  });

  it("trains the same bits as core's single-thread fit in Node (same seed, shards and wasm kernels)", async () => {
    // The page's run above: 2 Web Workers. Here: one thread, in Node, on the same data.
    const weights = await downloadedWeights(page);
    const reference = await referenceSeedFit(EPOCHS, 32);
    expect(differingWeights(weights, reference.params)).toBe(0);
    expect((await losses(page)).loss).toEqual(reference.loss);
  });

  it("trains with the L2 and schedule controls: the bits of core's fit with l2 and lrSchedule; model.json has the L1L2 regularizer", async () => {
    await page.selectOption('#threads', '2');
    await page.fill('#epochs', '4');
    await page.fill('#l2', '0.001');
    await page.selectOption('#lr-schedule', 'exponential');
    await page.click('#train');
    expect(await waitForEnd(page)).toBe('trained');
    const weights = await downloadedWeights(page);
    const modelJson = JSON.parse((await downloadOf(page, '#download-json')).toString('utf8')) as ModelJson;
    const dense = (modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config
      .layers;
    for (const l of dense)
      expect(l.config.kernel_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0, l2: 0.001 } });
    expect(modelJson.shardprop.training).toMatchObject({ l2: 0.001, lrSchedule: 'exponential' });
    const reference = await referenceSeedFit(4, 32, { l2: 0.001, lrSchedule: { name: 'exponential' } });
    for (const [e, rate] of reference.learningRate.entries()) expect(rate).toBeCloseTo(0.01 * 0.9 ** e, 15);
    expect(differingWeights(weights, reference.params)).toBe(0);
    // Back to the defaults for the tests that follow.
    await page.fill('#l2', '0');
    await page.selectOption('#lr-schedule', 'constant');
  });

  it('shows the CLI error messages for malformed CSV files, with line and column', async () => {
    await page.check('input[name="dataset"][value="csv"]');
    const cases: [string, string, string][] = [
      ['ragged.csv', 'a,b,y\n1,2,3\n4,5\n', 'ragged.csv:3: ragged row: 2 fields, expected 3 as in the header'],
      [
        'nonnum.csv',
        'a,b,y\n1,2,3\n4,x,6\n',
        `nonnum.csv:3:2: non-numeric value "x" in numeric column "b" (the column's first value (line 2) is a number; correct the cell, or empty it to mark it missing, and choose the file again)`,
      ],
      ['empty.csv', '', 'empty.csv: empty file (expected a header row and data rows)'],
      [
        'quote.csv',
        'a,b,y\n1,"2,3\n4,5,6\n',
        'quote.csv:3: CSV syntax error: Quote Not Closed: the parsing is finished with an opening quote at line 3',
      ],
    ];
    for (const [name, text, message] of cases) {
      await page.setInputFiles('#csv-file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
      await page
        .waitForFunction((m) => document.getElementById('data-error')?.textContent === m, message, { timeout: 10_000 })
        .catch(async (error) => {
          throw new Error(`${name}: expected "${message}", the page shows "${await page.textContent('#data-error')}"`, {
            cause: error,
          });
        });
      expect(await page.isVisible('#data-error')).toBe(true);
      expect(await page.isDisabled('#train')).toBe(true);
    }
    // A good file clears the error and is ready to train (classification inferred from a text target).
    await page.setInputFiles('#csv-file', {
      name: 'good.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('size,color,label\n1.5,red,yes\n2.5,blue,no\n0.5,red,yes\n3,green,no\n'),
    });
    await page.waitForFunction(() => document.getElementById('data-error')?.hidden === true);
    expect(await page.textContent('#task')).toBe('Task: binary classification of "label" (no, yes).');
    expect(await page.isDisabled('#train')).toBe(false);
  });

  it('reads Parquet and Arrow files as the CLI does, fetching their libraries only for such a file', async () => {
    const loaded = () =>
      page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name.replace(/.*\//, '')));
    expect((await loaded()).filter((name) => /^Arrow\.dom-/.test(name))).toEqual([]);
    await page.check('input[name="dataset"][value="csv"]');
    const fixture = (name: string) => readFileSync(join(ROOT, '../../packages/cli/test/fixtures', name));
    const iris = readFileSync(join(ROOT, '../../packages/cli/data/iris.csv'));
    const summaries: string[] = [];
    for (const [name, buffer] of [
      ['iris.csv', iris],
      ['iris.parquet', fixture('iris.parquet')],
      ['iris.arrow', fixture('iris.arrow')],
    ] as const) {
      await page.setInputFiles('#csv-file', { name, mimeType: 'application/octet-stream', buffer });
      await page.waitForFunction(
        (n) => document.getElementById('data-summary')?.textContent?.startsWith(`${n}:`),
        name,
      );
      expect(await page.isHidden('#data-error')).toBe(true);
      expect(await page.isDisabled('#train')).toBe(false);
      await page.selectOption('#target', 'species');
      await page.waitForFunction(() => document.getElementById('task')?.textContent?.includes('"species"'));
      summaries.push(
        `${await page.textContent('#data-summary')} ${await page.textContent('#task')}`.replace(name, 'FILE'),
      );
    }
    expect(summaries[0]).toContain('FILE: 150 rows');
    expect(summaries[1]).toBe(summaries[0]);
    expect(summaries[2]).toBe(summaries[0]);
    expect((await loaded()).filter((name) => /^Arrow\.dom-/.test(name))).toHaveLength(1);
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'arrow-file.png'), fullPage: true });
    // A file that is not what its name says: one line naming it, and nothing to train.
    await page.setInputFiles('#csv-file', { name: 'bad.parquet', mimeType: 'application/octet-stream', buffer: iris });
    await page.waitForFunction(() => document.getElementById('data-error')?.hidden === false);
    const message = (await page.textContent('#data-error')) ?? '';
    expect(message).toMatch(/^bad\.parquet: not a Parquet file \(.+\)$/);
    expect(message).not.toContain('\n');
    expect(await page.isDisabled('#train')).toBe(true);
  });

  it('without cross-origin isolation, falls back to one worker with a visible notice', async () => {
    const plain = await browser.newContext();
    try {
      const p = await plain.newPage();
      // Serve the same build without the isolation headers.
      await p.route('**/*', async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response, headers });
      });
      await p.goto(url);
      await p.waitForFunction(() => document.body.dataset.ready === 'true');
      expect(await p.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
      expect(await p.getAttribute('#isolation', 'class')).toContain('warn');
      expect(await p.textContent('#isolation')).toContain('not cross-origin isolated');
      expect(await p.isDisabled('#threads')).toBe(true);
      await p.check('input[name="dataset"][value="iris"]');
      await p.fill('#epochs', '15');
      await p.click('#train');
      expect(await waitForEnd(p)).toBe('trained');
      const status = await p.$eval('#status', (el) => ({ ...(el as HTMLElement).dataset }));
      expect(status).toMatchObject({ mode: 'single-worker', threads: '1', kernels: 'js' });
      const { loss, valLoss } = await losses(p);
      expect(loss).toHaveLength(15);
      expect(valLoss).toHaveLength(15);
      expect(loss[14]).toBeLessThan(loss[0] * 0.5);
      // Iris predictions are labels with class probabilities.
      expect(await p.textContent('#predictions thead')).toContain('predicted_species');

      // Stopping terminates the worker and keeps the epochs completed so far.
      await p.check('input[name="dataset"][value="seed"]');
      await p.fill('#epochs', '500');
      await p.click('#train');
      await p.waitForFunction(() => JSON.parse(document.getElementById('chart')?.dataset.loss ?? '[]').length >= 1);
      await p.click('#stop');
      expect(await waitForEnd(p)).toBe('stopped');
      const stopped = await losses(p);
      expect(stopped.loss.length).toBeGreaterThanOrEqual(1);
      expect(stopped.loss.length).toBeLessThan(500);
      expect(await p.textContent('#model-summary')).toMatch(/^Stopped after \d+ complete epochs?/);
    } finally {
      await plain.close();
    }
  });

  it('stops a long run on request and keeps the epochs trained so far', async () => {
    await page.check('input[name="dataset"][value="seed"]');
    await page.selectOption('#threads', '2');
    await page.fill('#epochs', '500');
    await page.click('#train');
    await page.waitForFunction(() => JSON.parse(document.getElementById('chart')?.dataset.loss ?? '[]').length >= 2);
    await page.keyboard.press('Escape');
    expect(await waitForEnd(page)).toBe('stopped');
    const { loss } = await losses(page);
    expect(loss.length).toBeGreaterThanOrEqual(2);
    expect(loss.length).toBeLessThan(500);
    expect(await page.textContent('#model-summary')).toMatch(/^Stopped after \d+ complete epochs/);
    expect(await page.isEnabled('#download-json')).toBe(true);
    expect(await page.isEnabled('#train')).toBe(true);
  });
});

describe.skipIf(!hasChromium)('apps/web in headless Chromium, with a worker that fails', () => {
  let faulty: ServedApp;
  let browser: Browser;

  beforeAll(async () => {
    faulty = await serveApp({ fault: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await faulty?.close();
  });

  it('reports a worker that fails mid-run, releases the others, and trains again afterwards', async () => {
    const p = await browser.newPage();
    const warnings: string[] = [];
    p.on('console', (msg) => {
      if (msg.type() === 'warning' || msg.type() === 'error') warnings.push(msg.text());
    });
    try {
      // The fault build: worker 1's step barrier throws at optimizer step 40 (test/fault/).
      await openApp(p, faulty.url);
      await p.selectOption('#threads', '2');
      await p.fill('#epochs', '3');
      await p.click('#train');
      await p.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 30_000 });
      expect(await p.textContent('#train-error')).toBe(
        'parallel training failed: worker 1: injected fault in worker 1 at step 40',
      );
      expect(await p.isEnabled('#train')).toBe(true);
      // Every worker returned on its own: the failing one with its error, the other released from the barrier.
      expect(warnings).toEqual([]);
      // The page trains again: the same workers are not reused, and a run that ends before step 40 succeeds.
      await p.check('input[name="dataset"][value="iris"]');
      await p.fill('#epochs', '2');
      await p.click('#train');
      expect(await waitForEnd(p)).toBe('trained');
    } finally {
      await p.close();
    }
  });
});
