// Multi-core benchmark (issue: data-parallel training). In one run: the step barrier beside a piscina round
// trip (from @shardprop/worker-pool's bench), then the seed workload (39-39-39-1 sigmoid, MSE, SGD) at batch
// 32 and 256 and the wide workload (784-256-128-10, relu/softmax, categorical cross-entropy, batch 256), each
// with 1 and 2 threads, interleaved, median of repetitions. Speed-ups are ratios measured side by side here.
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Mlp, mlpSpec, paramLayout, seedProblem, trainFlopsPerRow, wideProblem } from '../dist/index.js';
import { fitParallel } from '../dist/parallel/index.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const THREADS = (process.env.BENCH_THREADS ?? `1,${availableParallelism()}`).split(',').map(Number);
const KERNELS = (process.env.BENCH_KERNELS ?? 'wasm,js').split(',');
const WARM_EPOCHS = Number(process.env.BENCH_WARM_EPOCHS ?? 3);

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, Node ${process.version}`);
console.log('\n## step barrier vs piscina round trip\n');
const barrierBench = fileURLToPath(new URL('../../worker-pool/bench/barrier.mjs', import.meta.url));
console.log(execFileSync(process.execPath, [barrierBench], { encoding: 'utf8' }).trim());

const workloads = [
  {
    name: 'seed b32',
    data: seedProblem({ rows: 10_000 }),
    spec: mlpSpec(39, [39, 39, 39, 1], 'sigmoid'),
    loss: 'mse',
    batchSize: 32,
    lr: 0.5,
  },
  {
    name: 'seed b256',
    data: seedProblem({ rows: 10_000 }),
    spec: mlpSpec(39, [39, 39, 39, 1], 'sigmoid'),
    loss: 'mse',
    batchSize: 256,
    lr: 0.5,
  },
  {
    name: 'wide b256',
    data: wideProblem({ rows: 10_000 }),
    spec: mlpSpec(784, [256, 128, 10], 'relu', 'softmax'),
    loss: 'cce',
    batchSize: 256,
    lr: 0.05,
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const w of workloads) {
  const flops = trainFlopsPerRow(paramLayout(w.spec)) * w.data.rows;
  for (const kernels of KERNELS) {
    const times = Object.fromEntries(THREADS.map((t) => [t, []]));
    const losses = {};
    // Warm-up, then interleave thread counts so drift on a shared machine hits each equally.
    for (let rep = 0; rep <= REPS; rep++) {
      for (const threads of THREADS) {
        const model = Mlp.create(w.spec, { seed: 1 });
        const r = await fitParallel(model, w.data, {
          loss: w.loss,
          optimizer: { name: 'sgd', learningRate: w.lr },
          batchSize: w.batchSize,
          epochs: WARM_EPOCHS + 1,
          threads,
          kernels,
        });
        // Steady state: the first epochs pay for starting workers and for V8 tiering the JS and the WebAssembly
        // up to optimised code (each worker thread warms up on its own).
        if (rep > 0) times[threads].push(r.history[WARM_EPOCHS].msPerEpoch);
        losses[threads] = r.history[WARM_EPOCHS].loss;
      }
    }
    for (const threads of THREADS) {
      const ms = median(times[threads]);
      results.push({
        workload: w.name,
        kernels,
        threads,
        ms,
        gflops: flops / (ms / 1000) / 1e9,
        loss: losses[threads],
      });
    }
  }
}

console.log(`\n## training, ms per epoch (median of ${REPS} runs, epoch ${WARM_EPOCHS + 1} of each run)\n`);
console.log('| workload | kernels | threads | ms/epoch | rows/s | GFLOP/s | loss | speed-up vs 1 thread |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const base = results.find((b) => b.workload === r.workload && b.kernels === r.kernels && b.threads === THREADS[0]);
  console.log(
    `| ${r.workload} | ${r.kernels} | ${r.threads} | ${r.ms.toFixed(1)} | ${Math.round(10_000 / (r.ms / 1000)).toLocaleString('en-US')} | ${r.gflops.toFixed(2)} | ${r.loss.toFixed(5)} | ${(base.ms / r.ms).toFixed(2)}x |`,
  );
}
console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
