#!/usr/bin/env node
// Measures how many realistic single bugs the test suite catches. For each planted bug: apply it to a temporary
// copy of the repository at REV (default HEAD), re-emit the changed file into dist/ (workers and the CLI run the
// built code), run the affected package's tests, and record caught (a test failed) or survived. The copy is
// built once; each bug is reverted before the next.
//
//   node scripts/planted-bugs.mjs [--rev REV] [--only id,id] [--tests file,file] [--json FILE] [--dry]
//
// --tests runs only the given test files (paths from the repository root) instead of the bugs' packages' suites:
// a quick check that a named test catches a bug; a "survived" then says nothing about the rest of the suite.
//
// --dry only checks that every bug's text occurs once in REV's sources (no copy, no build, no tests).
//
// Comparing two revisions (e.g. before and after a change to the tests) shows what the new tests catch. A bug
// whose text is not in REV's sources is reported as "n/a" and left out of the rate.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rev = flag('--rev') ?? 'HEAD';
const only = flag('--only')?.split(',');
const jsonOut = flag('--json');
const dry = args.includes('--dry');
const tests = flag('--tests')?.split(',');

/**
 * One bug each: `file` (relative to the repository), `find` (one of these texts must occur exactly once) and
 * `replace` (the same index), and the package (or packages) whose tests judge it. Each is a slip a person could make.
 */
const BUGS = [
  {
    id: 'shuffle-seed-without-epoch',
    file: 'packages/core/src/train/loop.ts',
    find: ['Math.imul(epoch + 1, 0x9e3779b1)'],
    replace: ['Math.imul(1, 0x9e3779b1)'],
    pkg: 'core',
  },
  {
    id: 'model-json-epoch-is-requested-count',
    file: 'packages/cli/src/modeldir.ts',
    find: ['epoch: run.nextEpoch,'],
    replace: ['epoch: run.settings.epochs,'],
    pkg: 'cli',
  },
  {
    id: 'partial-batch-divides-by-batch-size',
    file: 'packages/core/src/train/epoch-steps.ts',
    find: ['k.reduceSlotTree(gradSlots, shards, P, runs, grad, from, to, 1 / batchRows, slotScratch);'],
    replace: ['k.reduceSlotTree(gradSlots, shards, P, runs, grad, from, to, 1 / batchSize, slotScratch);'],
    pkg: 'core',
  },
  {
    id: 'cross-entropy-no-upper-clip',
    file: 'packages/core/src/losses/loss.ts',
    find: ['return Math.min(Math.max(p, EPSILON), 1 - EPSILON);', 'return Math.min(Math.max(p, CLIP_LO), CLIP_HI);'],
    replace: ['return Math.max(p, EPSILON);', 'return Math.max(p, CLIP_LO);'],
    pkg: 'core',
  },
  {
    id: 'sigmoid-derivative-1-minus-a',
    file: 'packages/core/src/kernels/activations.ts',
    find: ['g[gOff + i] *= y * (1 - y);'],
    replace: ['g[gOff + i] *= 1 - y;'],
    pkg: 'core',
  },
  {
    id: 'tanh-derivative-1-minus-a',
    file: 'packages/core/src/kernels/activations.ts',
    find: ['g[gOff + i] *= 1 - y * y;'],
    replace: ['g[gOff + i] *= 1 - y;'],
    pkg: 'core',
  },
  {
    id: 'relu-derivative-at-zero-is-1',
    file: 'packages/core/src/kernels/activations.ts',
    find: ['for (let i = 0; i < n; i++) if (a[aOff + i] <= 0) g[gOff + i] = 0;'],
    replace: ['for (let i = 0; i < n; i++) if (a[aOff + i] < 0) g[gOff + i] = 0;'],
    pkg: 'core',
  },
  {
    id: 'leaky-relu-backward-forgets-alpha',
    file: 'packages/core/src/kernels/activations.ts',
    find: ['for (let i = 0; i < n; i++) if (a[aOff + i] <= 0) g[gOff + i] *= LEAKY_RELU_ALPHA;'],
    replace: ['for (let i = 0; i < n; i++) if (a[aOff + i] <= 0) g[gOff + i] = 0;'],
    pkg: 'core',
  },
  {
    id: 'mse-gradient-missing-factor-2',
    file: 'packages/core/src/losses/loss.ts',
    find: ['const scale = 2 / cols;'],
    replace: ['const scale = 1 / cols;'],
    pkg: 'core',
  },
  {
    id: 'adam-no-bias-correction-of-m',
    file: 'packages/core/src/optim/adam.ts',
    find: ['const stepSize = lr / (1 - beta1 ** step);'],
    replace: ['const stepSize = lr;'],
    pkg: 'core',
  },
  {
    id: 'nesterov-uses-plain-momentum',
    file: 'packages/core/src/optim/momentum.ts',
    find: ['params[i] = c * (g + accum * m) + params[i];'],
    replace: ['params[i] = c * accum + params[i];'],
    pkg: 'core',
  },
  {
    id: 'rmsprop-epsilon-outside-sqrt',
    file: 'packages/core/src/optim/rmsprop.ts',
    find: ['const mom = mu * state[momOffset + i] + (g * lr) / Math.sqrt(ms + eps);'],
    replace: ['const mom = mu * state[momOffset + i] + (g * lr) / (Math.sqrt(ms) + eps);'],
    pkg: 'core',
  },
  {
    id: 'validation-split-takes-first-rows',
    file: 'packages/core/src/data/split.ts',
    find: ['return { train: sliceRows(ds, 0, splitAt), validation: sliceRows(ds, splitAt, ds.rows) };'],
    replace: [
      'return { train: sliceRows(ds, ds.rows - splitAt, ds.rows), validation: sliceRows(ds, 0, ds.rows - splitAt) };',
    ],
    pkg: 'core',
  },
  {
    id: 'early-stopping-ignores-min-delta',
    file: 'packages/core/src/train/loop.ts',
    find: ['if (value < best - es.minDelta) {'],
    replace: ['if (value < best) {'],
    pkg: 'core',
  },
  {
    id: 'weights-checksum-not-verified',
    file: 'packages/core/src/io/artifacts.ts',
    find: ['      if (actual !== stored) {'],
    replace: ['      if (actual !== stored && false) {'],
    pkg: 'core',
  },
  {
    id: 'standardizer-sample-std',
    file: 'packages/core/src/data/standardize.ts',
    find: ['const variance = (sq - (dev * dev) / rows) / rows;'],
    replace: ['const variance = (sq - (dev * dev) / rows) / (rows - 1);'],
    pkg: 'core',
  },
  {
    // (Replaces 'shard-bounds-overlap', floor -> ceil in shardStart: an equivalent mutant, since ceil boundaries
    // still partition the batch and fit and fitParallel share them; only the rounding of the shard sums moves.)
    id: 'shard-loss-sum-skips-first-shard',
    file: 'packages/core/src/train/step.ts',
    find: ['for (let s = 0; s < shardTotal; s++) total += lossSlots[s];'],
    replace: ['for (let s = 1; s < shardTotal; s++) total += lossSlots[s];'],
    pkg: 'core',
  },
  {
    id: 'evaluate-r2-without-mean',
    file: 'packages/core/src/train/metrics.ts',
    find: ['const sst = total[3 + cols + j] - (sumY * sumY) / rows;'],
    replace: ['const sst = total[3 + cols + j];'],
    pkg: 'core',
  },
  {
    id: 'elu-derivative-off-by-alpha',
    file: 'packages/core/src/kernels/activations.ts',
    find: ['if (y <= 0) g[gOff + i] *= y + ELU_ALPHA;'],
    replace: ['if (y <= 0) g[gOff + i] *= y;'],
    pkg: 'core',
  },
  {
    id: 'bce-unfused-gradient-sign',
    file: 'packages/core/src/losses/loss.ts',
    find: ['dz[dzOff + i] = fused ? (a[aOff + i] - t) / cols : (p - t) / (p * (1 - p) * cols);'],
    replace: ['dz[dzOff + i] = fused ? (a[aOff + i] - t) / cols : (t - p) / (p * (1 - p) * cols);'],
    pkg: 'core',
  },
  {
    id: 'adamw-decay-not-scaled-by-lr',
    file: 'packages/core/src/optim/adam.ts',
    find: ['      learningRate * this.#weightDecay,\n'],
    replace: ['      this.#weightDecay,\n'],
    pkg: 'core',
  },
  {
    id: 'optimizer-step-count-not-resumed',
    file: 'packages/core/src/train/fit.ts',
    find: ['if (!snap) return { step: 0, state: new Float32Array(length) };'],
    replace: ['if (!snap || snap) return { step: 0, state: new Float32Array(length) };'],
    pkg: 'core',
  },
  {
    id: 'write-atomic-writes-in-place',
    file: 'packages/core/src/io/file-system.ts',
    find: ['const tmp = join(dir, tempFileName(basename(path)));'],
    replace: ['const tmp = path;'],
    pkg: ['core', 'cli'],
  },
  {
    id: 'l2-gradient-missing-factor-2',
    file: 'packages/core/src/train/penalty.ts',
    find: ['const twoL2 = 2 * l2;'],
    replace: ['const twoL2 = l2;'],
    pkg: 'core',
  },
  {
    id: 'cosine-schedule-not-clamped-after-t',
    file: 'packages/core/src/train/lr-schedule.ts',
    find: ['const t = Math.min(e, schedule.stepEpochs) / schedule.stepEpochs;'],
    replace: ['const t = e / schedule.stepEpochs;'],
    pkg: 'core',
  },
  {
    id: 'dropout-not-inverted',
    file: 'packages/core/src/model/dropout.ts',
    find: ['const scale = 1 / (1 - rate);'],
    replace: ['const scale = 1 - rate;'],
    pkg: 'core',
  },
  {
    id: 'shuffle-sattolo-never-fixes-a-row',
    file: 'packages/core/src/data/shuffle.ts',
    find: ['const j = rng.int(i + 1);'],
    replace: ['const j = rng.int(i);'],
    pkg: 'core',
  },
  {
    id: 'parallel-partition-drops-remainder',
    file: 'packages/worker-pool/src/reduce.ts',
    find: ['const endUnit = startUnit + base + (index < extra ? 1 : 0);'],
    replace: ['const endUnit = startUnit + base;'],
    pkg: ['worker-pool', 'core'],
  },
  {
    id: 'parallel-reduce-f32-sums-in-f64',
    file: 'packages/worker-pool/src/reduce.ts',
    find: ['acc = fround(acc + slots[j]);'],
    replace: ['acc = acc + slots[j];'],
    pkg: ['worker-pool', 'core'],
  },
  {
    id: 'slot-tree-splits-in-half',
    file: 'packages/worker-pool/src/reduce.ts',
    find: ['return lo + 2 ** (31 - Math.clz32(hi - lo - 1));'],
    replace: ['return lo + ((hi - lo) >> 1);'],
    pkg: ['worker-pool', 'core'],
  },
  {
    id: 'slot-tree-presums-across-runs',
    file: 'packages/worker-pool/src/reduce.ts',
    find: ['  if (first <= lo && hi <= last) {'],
    replace: ['  if (first <= lo && hi <= last + 1) {'],
    pkg: ['worker-pool', 'core'],
  },
  {
    id: 'step-skips-presum',
    file: 'packages/core/src/train/epoch-steps.ts',
    find: ['    if (share.threads > 1) k.presumSlotRun(gradSlots, shards, P, first, last, slotScratch);\n'],
    replace: [''],
    pkg: 'core',
  },
  {
    id: 'cli-second-signal-ignored',
    file: 'packages/cli/src/checkpoint.ts',
    find: ['        process.exit(signalExitCode(sig));\n'],
    replace: [''],
    pkg: 'cli',
  },
  {
    id: 'cli-usage-error-exits-1',
    file: 'packages/cli/src/errors.ts',
    find: ['return new UserError(message, EXIT_USAGE);'],
    replace: ['return new UserError(message, EXIT_DATA);'],
    pkg: 'cli',
  },
  {
    id: 'cli-resume-drops-optimizer-state',
    file: 'packages/cli/src/train/loop.ts',
    find: ['optState: resumed?.optimizer,'],
    replace: ['optState: undefined,'],
    pkg: 'cli',
  },
  {
    id: 'cli-best-weights-alias-live-params',
    file: 'packages/cli/src/train/loop.ts',
    find: ['p.bestParams = model.params.slice();'],
    replace: ['p.bestParams = model.params;'],
    pkg: 'cli',
  },
  {
    id: 'tabular-standardize-precedence',
    file: 'packages/tabular/src/features.ts',
    find: ['x[at] = (v - mean) / std;'],
    replace: ['x[at] = v - mean / std;'],
    pkg: ['tabular', 'cli'],
  },
  {
    id: 'arena-reuse-not-zeroed',
    file: 'packages/core/src/kernels/wasm/arena.ts',
    find: ['const used = Math.min(end, raiseHigh(end)) - start;'],
    replace: ['const used = Math.min(start, raiseHigh(end)) - start;'],
    pkg: 'core',
  },
  {
    id: 'metric-parts-one-chunk-short',
    file: 'packages/core/src/train/metrics.ts',
    find: ['for (let at = 0; at < metricChunks(rows) * width; at += width) {'],
    replace: ['for (let at = width; at < metricChunks(rows) * width; at += width) {'],
    pkg: 'core',
  },
  {
    id: 'evaluate-share-overlaps',
    file: 'packages/core/src/parallel/worker.ts',
    find: ['evaluate(evalParams, rows, chunks.from, chunks.to, metricParts);'],
    replace: ['evaluate(evalParams, rows, 0, chunks.to, metricParts);'],
    pkg: 'core',
  },
  {
    id: 'shared-data-targets-elsewhere-in-place',
    file: 'packages/core/src/parallel/shared-data.ts',
    find: ['data.y.byteOffset === y.byteOffset &&'],
    replace: ['data.y.byteOffset >= y.byteOffset &&'],
    pkg: 'core',
  },
  {
    id: 'tile-copy-off-by-one',
    file: 'packages/tabular/src/features.ts',
    find: ['let v = rows === null ? values[i - start] : values[rows[i]];'],
    replace: ['let v = rows === null ? values[i - start + 1] : values[rows[i]];'],
    pkg: ['tabular', 'cli'],
  },
  {
    id: 'rng-int-floor-off',
    file: 'packages/core/src/random.ts',
    find: ['return x - Math.floor(x / n) * n;'],
    replace: ['return x - Math.round(x / n) * n;'],
    pkg: 'core',
  },
  {
    // A kept instance handed out again without leaving the stock: two runs at once train in one memory.
    id: 'kernel-lease-shared',
    file: 'packages/core/src/kernels/lease.ts',
    find: ["stock.length > 0 && resolveBackend(preference, () => true) === 'wasm' ? stock.pop() : undefined;"],
    replace: [
      "stock.length > 0 && resolveBackend(preference, () => true) === 'wasm' ? stock[stock.length - 1] : undefined;",
    ],
    pkg: 'core',
  },
  {
    // The seed of an epoch's shuffle changed by the int32 form: a different order from the first formula's.
    id: 'epoch-order-seed-changed',
    file: 'packages/core/src/train/loop.ts',
    find: ['new Rng(Math.imul(seed | 0, 0x2c1b3c6d) ^ Math.imul(epoch + 1, 0x9e3779b1))'],
    replace: ['new Rng(Math.imul(seed | 0, 0x2c1b3c6d) + Math.imul(epoch + 1, 0x9e3779b1))'],
    pkg: 'core',
  },
  {
    // The search's fits handed to the pool all at once: the pool's queue does not keep the costliest-first order.
    id: 'tune-order-not-kept',
    file: 'packages/core/src/parallel/tune.ts',
    find: ['while (next < queue.length && !aborted) await runJob(queue[next++], run);'],
    replace: ['await Promise.all(queue.splice(next).map((job) => runJob(job, run)));'],
    pkg: 'core',
  },
  {
    // A worker's views made from its own read of memory.buffer again (foreign to its kernels after a growth).
    id: 'worker-views-own-buffer',
    file: 'packages/core/src/parallel/worker.ts',
    find: ['const buffer: unknown = k.view(Uint8Array, 0, 0).buffer;'],
    replace: ['const buffer: unknown = k.memory.buffer;'],
    pkg: 'core',
  },
  {
    // The default shards back to one per 8 rows (batch 32 in 4 shards again).
    id: 'shard-count-per-8-rows',
    file: 'packages/core/src/train/step.ts',
    find: ['Math.max(Math.floor(batchRows / DEFAULT_SHARD_ROWS),'],
    replace: ['Math.max(Math.floor(batchRows / DEFAULT_MIN_SHARD_ROWS),'],
    pkg: 'core',
  },
  {
    // The wasm gather's destination row taken as a float offset (rows from outRow > 0 land in the wrong place).
    id: 'wasm-gather-out-row-in-floats',
    file: 'packages/core/src/kernels/wasm/direct.ts',
    find: ['order.byteOffset, start, end, at(out, outRow * cols), srcRows);'],
    replace: ['order.byteOffset, start, end, at(out, outRow), srcRows);'],
    pkg: 'core',
  },
  {
    // fit on wasm kernels never copies the epoch's order into the kernels' memory (every batch reads row 0).
    id: 'fit-order-not-copied',
    file: 'packages/core/src/train/fit.ts',
    find: ['    if (this.order) this.order.set(order);\n'],
    replace: [''],
    pkg: 'core',
  },
  {
    // The search's fit on the calling thread never gives the event loop a turn (Ctrl-C waits for its end).
    id: 'tune-here-no-turns',
    file: 'packages/core/src/parallel/tune.ts',
    find: ['callbacks: { onEpochEnd: nextTurn } }'],
    replace: ['callbacks: {} }'],
    pkg: 'core',
  },
  {
    // A search worker keeps the first search's splits for every later search (same shape, wrong rows).
    id: 'search-worker-stale-data',
    file: 'packages/core/src/parallel/tune-worker.ts',
    find: ['if (latest?.id !== data.id) {'],
    replace: ['if (latest === undefined) {'],
    pkg: 'core',
  },
  {
    // A finished search closes its workers: the next one starts and warms up new ones.
    id: 'search-workers-not-kept',
    file: 'packages/core/src/parallel/search-workers.ts',
    find: ['if (broken || kept !== entry || idleMs <= 0) return forget(entry);'],
    replace: ['return forget(entry);'],
    pkg: 'core',
  },
  {
    // A search beside a running one shares its workers, and the first to end leaves them to the timer.
    id: 'search-workers-shared-while-lent',
    file: 'packages/core/src/parallel/search-workers.ts',
    find: ['  if (kept?.lent) {\n    const pool'],
    replace: ['  if (kept?.lent && threads < 0) {\n    const pool'],
    pkg: 'core',
  },
  {
    // A bundled core looks for its worker files in the installed package's root instead of its dist/parallel.
    id: 'worker-files-installed-root',
    file: 'packages/core/src/parallel/worker-files.ts',
    find: ['return new URL(`dist/parallel/${name}`, pathToFileURL(manifest));'],
    replace: ['return new URL(name, pathToFileURL(manifest));'],
    pkg: 'core',
  },
  {
    // The idle workers' timer holds the process open until it fires.
    id: 'search-workers-timer-ref',
    file: 'packages/core/src/parallel/search-workers.ts',
    find: ['      entry.timer.unref();\n'],
    replace: [''],
    pkg: 'core',
  },
];

// Packaging tests measure the packages, not the numerics; they need the network and add minutes.
const SKIP_TESTS = new Set(['pack-install.test.ts', 'readme-examples.test.ts']);

function sh(cmd, argv, cwd, timeoutMs = 600_000) {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  return spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
}

function makeCopy() {
  const copy = mkdtempSync(join(tmpdir(), 'shardprop-planted-'));
  execFileSync('bash', ['-c', `git -C "${root}" archive "${rev}" | tar -x -C "${copy}"`]);
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const nm = join(root, 'packages', pkg, 'node_modules');
    if (existsSync(nm) && existsSync(join(copy, 'packages', pkg))) {
      cpSync(nm, join(copy, 'packages', pkg, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    }
  }
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = sh(
    process.execPath,
    [tsc, '-b', 'packages/cli', 'packages/core', 'packages/tabular', 'packages/worker-pool'],
    copy,
  );
  if (build.status !== 0) throw new Error(`build of ${rev} failed:\n${build.stdout}${build.stderr}`);
  bundleWorkers(copy);
  return copy;
}

/**
 * core's worker threads and the `shardprop` command load bundles of dist/ (packages/core/scripts/bundle-workers.mjs
 * and packages/cli/scripts/bundle-bin.mjs, part of their builds): made after the build, and again after every
 * change to dist/, so that a bug planted in code they run is in them.
 */
function bundleWorkers(copy) {
  for (const script of ['packages/core/scripts/bundle-workers.mjs', 'packages/cli/scripts/bundle-bin.mjs']) {
    if (!existsSync(join(copy, script))) continue;
    const bundled = sh(process.execPath, [join(copy, script)], copy);
    if (bundled.status !== 0) throw new Error(`${script} failed:\n${bundled.stdout}${bundled.stderr}`);
  }
}

/** What tsc emits for one source (isolatedModules: a per-file transpile is exactly the build's JavaScript). */
async function transpile(source, file) {
  const ts = (await import(join(root, 'node_modules', 'typescript', 'lib', 'typescript.js'))).default;
  return ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
    fileName: file,
  }).outputText;
}

/** The test files of the package(s) that judge a bug (`pkg`: a name or a list of names). */
function testFiles(copy, pkg) {
  return [pkg].flat().flatMap((name) => {
    const dir = join('packages', name, 'test');
    return readdirSync(join(copy, dir))
      .filter((f) => f.endsWith('.test.ts') && !SKIP_TESTS.has(f))
      .map((f) => join(dir, f));
  });
}

if (dry) {
  let missing = 0;
  for (const bug of BUGS) {
    if (only && !only.includes(bug.id)) continue;
    const source = execFileSync('git', ['-C', root, 'show', `${rev}:${bug.file}`], { encoding: 'utf8' });
    const k = bug.find.findIndex((f) => source.split(f).length === 2);
    if (k < 0) missing++;
    console.log(`${k < 0 ? 'n/a' : 'ok '} ${bug.id} (${bug.pkg})`);
  }
  console.log(`${BUGS.length - missing} of ${BUGS.length} bugs apply at ${rev}`);
  process.exit(0);
}

const copy = makeCopy();
const results = [];
// A signal (Ctrl-C, a time limit) must not leave the copy behind.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    rmSync(copy, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  for (const bug of BUGS) {
    if (only && !only.includes(bug.id)) continue;
    const path = join(copy, bug.file);
    const original = readFileSync(path, 'utf8');
    const k = bug.find.findIndex((f) => original.split(f).length === 2);
    if (k < 0) {
      results.push({ id: bug.id, outcome: 'n/a' });
      console.log(`n/a       ${bug.id} (text not found once in ${bug.file} at ${rev})`);
      continue;
    }
    const dist = join(copy, bug.file.replace('/src/', '/dist/').replace(/\.ts$/, '.js'));
    const built = readFileSync(dist, 'utf8');
    // The transpile must reproduce the build, or a "caught" could come from a broken dist/ file.
    if ((await transpile(original, bug.file)) !== built.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n')) {
      throw new Error(`transpiling ${bug.file} does not reproduce its dist/ file`);
    }
    const distBackup = `${dist}.orig`;
    copyFileSync(dist, distBackup);
    const planted = original.replace(bug.find[k], bug.replace[k]);
    writeFileSync(path, planted);
    writeFileSync(dist, await transpile(planted, bug.file));
    bundleWorkers(copy);
    const started = Date.now();
    const run = sh(
      process.execPath,
      // No test time limits: on a loaded machine a slow test must not pass for a caught bug.
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        '--bail=1',
        '--reporter=dot',
        '--testTimeout=0',
        '--hookTimeout=0',
        ...(tests ?? testFiles(copy, bug.pkg)),
      ],
      copy,
      900_000,
    );
    writeFileSync(path, original);
    copyFileSync(distBackup, dist);
    rmSync(distBackup);
    bundleWorkers(copy);
    const text = `${run.stdout}${run.stderr}`;
    // A failure that is only a time limit (a test's own spawn timeout) is reported apart: it proves nothing.
    // (Vitest's and spawnSync's words: "timed out", ETIMEDOUT; not any line naming setTimeout or clearTimeout.)
    const timedOut = text.match(/.*(?:timed out|ETIMEDOUT).*/i)?.[0];
    const outcome = run.status === 0 ? 'survived' : timedOut ? 'timeout' : 'caught';
    const failed = text.match(/FAIL\s+(\S+.*?)(?:\n|$)/)?.[1];
    const by =
      outcome === 'caught' ? (failed ?? text.slice(-300)) : outcome === 'timeout' ? `${failed} [${timedOut}]` : '';
    results.push({ id: bug.id, outcome, seconds: Math.round((Date.now() - started) / 1000), by });
    console.log(`${outcome.padEnd(9)} ${bug.id}${by ? `  <- ${by.trim()}` : ''}`);
  }
} finally {
  rmSync(copy, { recursive: true, force: true });
}
const counted = results.filter((r) => r.outcome === 'caught' || r.outcome === 'survived');
const caught = counted.filter((r) => r.outcome === 'caught').length;
console.log(
  `${rev}: ${caught} of ${counted.length} planted bugs caught (${((100 * caught) / Math.max(1, counted.length)).toFixed(0)}%)`,
);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ rev, results }, null, 2)}\n`);
process.exit(0);
