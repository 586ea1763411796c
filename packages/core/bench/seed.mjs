// Single-thread benchmark of the seed workload (39-39-39-1 sigmoid, MSE, SGD, 10,000 rows) beside
// TensorFlow.js's cpu backend, in one process on the same data and initial weights. Run with `pnpm bench`
// (after a build). Prints ms/epoch (median of repetitions, with min-max), rows/s, GFLOP/s and the ratio.
import { performance } from 'node:perf_hooks';
import { fit, Mlp, mlpSpec, paramLayout, seedProblem, trainFlopsPerRow } from '../dist/index.js';

const ROWS = 10_000;
const REPS = Number(process.env.BENCH_REPS ?? 5);
const data = seedProblem({ rows: ROWS, seed: 1 });
const spec = mlpSpec(39, [39, 39, 39, 1], 'sigmoid');
const flopsPerEpoch = trainFlopsPerRow(paramLayout(spec)) * ROWS;

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

async function shardprop(batchSize, kernels) {
  const times = [];
  let loss = 0;
  for (let r = 0; r < REPS + 1; r++) {
    const model = Mlp.create(spec, { seed: 1 });
    const t0 = performance.now();
    const res = await fit(model, data, {
      loss: 'mse',
      optimizer: { name: 'sgd', learningRate: 0.1 },
      batchSize,
      epochs: 1,
      kernels,
    });
    const ms = performance.now() - t0;
    if (r > 0) times.push(ms); // the first run warms up the JIT
    loss = res.history[0].loss;
  }
  return { ...stats(times), loss };
}

async function tfjsCpu(batchSize) {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  // At batch 1 tfjs needs ~1 ms per step: time 1,000 rows and scale, and say so.
  const rows = batchSize === 1 ? 1000 : ROWS;
  const scale = ROWS / rows;
  const x = tf.tensor2d(data.x.subarray(0, rows * 39), [rows, 39]);
  const y = tf.tensor2d(data.y.subarray(0, rows), [rows, 1]);
  const times = [];
  let loss = 0;
  const reps = batchSize === 1 ? 2 : Math.min(REPS, 3);
  for (let r = 0; r < reps + 1; r++) {
    const ref = Mlp.create(spec, { seed: 1 });
    const model = tf.sequential();
    let offset = 0;
    let inSize = 39;
    const weights = [];
    for (const [i, units] of [39, 39, 39, 1].entries()) {
      model.add(tf.layers.dense({ units, activation: 'sigmoid', ...(i === 0 ? { inputShape: [39] } : {}) }));
      weights.push(tf.tensor2d(ref.params.slice(offset, offset + inSize * units), [inSize, units]));
      offset += inSize * units;
      weights.push(tf.tensor1d(ref.params.slice(offset, offset + units)));
      offset += units;
      inSize = units;
    }
    model.setWeights(weights);
    model.compile({ loss: 'meanSquaredError', optimizer: tf.train.sgd(0.1) });
    const t0 = performance.now();
    const h = await model.fit(x, y, { batchSize, epochs: 1, shuffle: true, verbose: 0 });
    const ms = (performance.now() - t0) * scale;
    if (r > 0) times.push(ms);
    loss = h.history.loss[0];
    model.dispose();
  }
  tf.dispose([x, y]);
  return { ...stats(times), loss, note: scale > 1 ? `timed on ${rows} rows, scaled x${scale}` : '' };
}

const rows = [];
for (const batchSize of [1, 32, 256]) {
  const theirs = await tfjsCpu(batchSize);
  for (const kernels of ['wasm', 'js'])
    rows.push({ batchSize, kernels, ours: await shardprop(batchSize, kernels), theirs });
}

const fmt = (n, d = 1) => n.toFixed(d);
console.log(
  `\nseed workload: 39-39-39-1 sigmoid, MSE, SGD lr 0.1, ${ROWS} rows, 1 epoch, single thread, median of ${REPS}`,
);
console.log(`${(flopsPerEpoch / 1e6).toFixed(1)} MFLOP per epoch (multiply-adds of forward and backward)\n`);
console.log(
  '| batch | kernels | shardprop ms/epoch (min-max) | rows/s | GFLOP/s | loss | tfjs cpu ms/epoch | tfjs loss | tfjs / shardprop |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
for (const { batchSize, kernels, ours, theirs } of rows) {
  console.log(
    `| ${batchSize} | ${kernels} | ${fmt(ours.median)} (${fmt(ours.min)}-${fmt(ours.max)}) | ${Math.round(ROWS / (ours.median / 1000)).toLocaleString('en-US')} | ${fmt(flopsPerEpoch / (ours.median / 1000) / 1e9, 2)} | ${ours.loss.toFixed(5)} | ${fmt(theirs.median)}${theirs.note ? ` (${theirs.note})` : ''} | ${theirs.loss.toFixed(5)} | ${fmt(theirs.median / ours.median)}x |`,
  );
}
