#!/usr/bin/env node
/**
 * `pnpm --filter @shardprop/web bench:threads`: the page's training speed on the seed problem (its default
 * settings: 39-39-39-1 sigmoid, batch 32) with Threads 1, 2 and auto, in headless Chromium, interleaved.
 * Prints the median [min-max] of each run's steady-state ms per epoch (the median of its epochs after the first
 * `--warmup`), over `--reps` runs, and the ratios to 1 worker. Not a test: speed is measured, not asserted.
 *
 *   node apps/web/bench/threads.mjs [--reps 5] [--epochs 30] [--warmup 5] [--batch 32]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    epochs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    batch: { type: 'string', default: '32' },
  },
});
const reps = Number(values.reps);
const epochs = Number(values.epochs);
const warmup = Number(values.warmup);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHOICES = ['1', '2', 'auto'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const outDir = await mkdtemp(join(tmpdir(), 'shardprop-web-bench-'));
await build({ root: ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
const server = await preview({
  root: ROOT,
  logLevel: 'warn',
  build: { outDir },
  preview: { host: '127.0.0.1', port: 0, open: false },
});
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  await page.fill('#epochs', String(epochs));
  await page.fill('#batch-size', values.batch);
  const results = Object.fromEntries(CHOICES.map((c) => [c, { ms: [], threads: [], why: '' }]));
  for (let r = 0; r < reps; r++) {
    for (const choice of r % 2 === 0 ? CHOICES : [...CHOICES].reverse()) {
      await page.selectOption('#threads', choice);
      await page.click('#train');
      await page.waitForFunction(
        () => ['trained', 'stopped', 'error'].includes(document.body.dataset.state ?? ''),
        null,
        {
          timeout: 600_000,
        },
      );
      const state = await page.evaluate(() => document.body.dataset.state);
      if (state !== 'trained') throw new Error(`run failed: ${await page.textContent('#train-error')}`);
      const ms = await page.$eval('#status', (el) => JSON.parse(el.dataset.epochMs ?? '[]'));
      results[choice].ms.push(median(ms.slice(warmup)));
      results[choice].threads.push(await page.$eval('#status', (el) => el.dataset.threads));
      results[choice].why = (await page.textContent('#s-threads-why')) ?? '';
    }
  }
  const base = median(results['1'].ms);
  console.log(
    `web app, seed problem, batch ${values.batch}, ${epochs} epochs (median of epochs ${warmup + 1}..), ${reps} runs interleaved; Chromium, ${cores} cores`,
  );
  for (const c of CHOICES) {
    const { ms, threads, why } = results[c];
    const m = median(ms);
    const label = c === 'auto' ? 'Threads auto' : `Threads ${c}`;
    console.log(
      `  ${label.padEnd(13)} ${m.toFixed(2).padStart(7)} ms/epoch [${Math.min(...ms).toFixed(2)}-${Math.max(...ms).toFixed(2)}]  vs 1 worker ${(base / m).toFixed(2)}x${c === 'auto' ? `  (ended on ${threads.join(', ')}; last: ${why})` : ''}`,
    );
  }
} finally {
  await browser.close();
  await server.close();
  await rm(outDir, { recursive: true, force: true });
}
