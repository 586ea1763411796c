/**
 * What every browser test file needs: the app built by Vite into a temporary folder, served by `vite preview`
 * (with its cross-origin isolation headers), and headless Chromium (Debian's `chromium`, driven by
 * playwright-core), plus small helpers to read the page's published state.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FitOptions, fit, Mlp, mlpSpec } from '@shardprop/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { seedTable } from '../src/datasets.js';
import { prepareProblem } from '../src/encoding.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS = join(ROOT, 'test-results');
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `apps/web browser tests skipped: ${CHROMIUM} is missing (install it with "apt-get install -y chromium"; .ci/run does)`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The test-only module that makes one worker's step barrier throw (see fault/worker-pool-with-fault.ts). */
const FAULT_MODULE = fileURLToPath(new URL('./fault/worker-pool-with-fault.ts', import.meta.url));

export interface ServedApp {
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the app and serves it on a free port. With `fault`, the build swaps `@shardprop/worker-pool/browser`
 * for the test module that fails one worker mid-run; the production build has no fault hook.
 */
export async function serveApp(options: { fault?: boolean } = {}): Promise<ServedApp> {
  const outDir = await mkdtemp(join(tmpdir(), 'shardprop-web-'));
  await build({
    root: ROOT,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
    ...(options.fault
      ? { resolve: { alias: [{ find: /^@shardprop\/worker-pool\/browser$/, replacement: FAULT_MODULE }] } }
      : {}),
  });
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: ROOT,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      await server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium with a fresh temporary profile (removed on close). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Opens `url` and waits until the page has wired its controls. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

/** The loss arrays the page publishes on the chart. */
export async function losses(page: Page): Promise<{ loss: number[]; valLoss: number[] }> {
  return page.$eval('#chart', (el) => ({
    loss: JSON.parse((el as HTMLElement).dataset.loss ?? '[]') as number[],
    valLoss: JSON.parse((el as HTMLElement).dataset.valLoss ?? '[]') as number[],
  }));
}

/** Waits for the run to end; throws with the page's message if it failed. */
export async function waitForEnd(page: Page, timeout = 90_000): Promise<string> {
  await page.waitForFunction(() => ['trained', 'stopped', 'error'].includes(document.body.dataset.state ?? ''), null, {
    timeout,
  });
  const state = await page.evaluate(() => document.body.dataset.state ?? '');
  if (state === 'error') throw new Error(`training failed in the page: ${await page.textContent('#train-error')}`);
  return state;
}

/** The raw network outputs of the page's last prediction. */
export async function outputs(page: Page): Promise<number[]> {
  return page.$eval('#predictions', (el) => JSON.parse((el as HTMLElement).dataset.outputs ?? '[]') as number[]);
}

/** Clicks a download button and returns the file's bytes. */
export async function downloadOf(page: Page, button: string): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const path = await dl.path();
  return readFile(path);
}

/** The weights the page downloads (its weights.bin), as float32 values. */
export async function downloadedWeights(page: Page): Promise<Float32Array> {
  const bytes = await downloadOf(page, '#download-weights');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * The Node reference of the page's seed-problem runs: core's single-thread `fit` with the settings the page uses
 * (layers 39-39-39-1, adam 0.01, validation split 0.2, seed 1, wasm kernels), `extra` fit options and `dropout`
 * after every hidden layer (the page's Dropout field). The page's weights must equal it, bit for bit, for any
 * number of Web Workers.
 */
export async function referenceSeedFit(
  epochs: number,
  batchSize: number,
  extra: Pick<FitOptions, 'l1' | 'l2' | 'lrSchedule' | 'clipNorm' | 'clipValue'> = {},
  dropout = 0,
): Promise<{ params: Float32Array; loss: number[]; learningRate: (number | undefined)[] }> {
  const problem = prepareProblem(seedTable(), 'y', 'error');
  const spec = mlpSpec(39, [39, 39, 39, 1], 'sigmoid', problem.outputActivation, dropout);
  const model = Mlp.create(spec, { seed: 1 });
  const result = await fit(model, problem.dataset, {
    loss: problem.loss,
    optimizer: { name: 'adam', learningRate: 0.01 },
    epochs,
    batchSize,
    validationSplit: 0.2,
    seed: 1,
    kernels: 'wasm',
    ...extra,
  });
  if (result.kernels !== 'wasm') throw new Error(`the reference fit ran on ${result.kernels} kernels, not wasm`);
  return {
    params: model.params,
    loss: result.history.map((h) => h.loss),
    learningRate: result.history.map((h) => h.learningRate),
  };
}

/** How many of the weights differ in their bits (Object.is: -0 and NaN count exactly). */
export function differingWeights(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) differing++;
  return differing;
}
