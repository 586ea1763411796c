// Before/after of the data-parallel step between built checkouts, in turns in one process:
//   node scripts/ab-steps.mjs ROUNDS DIR_BEFORE DIR_AFTER
// Each round trains, from each checkout in turn, the seed network (39-39-39-1 sigmoid, MSE, SGD, 10,000 rows) at
// batch 32 and 256 for 30 epochs and the wide network (784-256-128-10 relu/softmax, CCE, 4,000 rows) at batch 256
// for 10, with 1 and 2 threads (fitParallel, a forced count: 1 thread is fit on the calling thread). It prints the
// median (and range over rounds) of each run's steady epochs (the median ms/epoch after the first 5 epochs, the
// first 2 for wide), and the 2 vs 1 thread ratio per checkout.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [roundsArg, ...dirs] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(Number.isInteger(rounds) && rounds >= 1) || dirs.length === 0) {
  console.error('usage: node scripts/ab-steps.mjs ROUNDS DIR [DIR ...]');
  process.exit(2);
}
const trees = [];
for (const dir of dirs) {
  const at = (p) => pathToFileURL(path.resolve(dir, p)).href;
  trees.push({
    dir,
    core: await import(at('packages/core/dist/index.js')),
    par: await import(at('packages/core/dist/parallel/index.js')),
  });
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const workloads = [
  { name: 'seed b32', batchSize: 32, epochs: 30, skip: 5 },
  { name: 'seed b256', batchSize: 256, epochs: 30, skip: 5 },
  { name: 'wide b256', batchSize: 256, epochs: 10, skip: 2, wide: true },
];
const times = new Map();
for (let round = 0; round < rounds; round++) {
  for (const w of workloads) {
    for (const threads of [1, 2]) {
      for (const tree of trees) {
        const { core, par } = tree;
        const data = w.wide ? core.wideProblem({ rows: 4000, seed: 1 }) : core.seedProblem();
        const model = w.wide
          ? core.Mlp.create(core.mlpSpec(784, [256, 128, 10], 'relu', 'softmax'), { seed: 1 })
          : core.Mlp.create(core.mlpSpec(39, [39, 39, 39, 1], 'sigmoid'), { seed: 1 });
        const loss = w.wide ? 'categoricalCrossentropy' : 'mse';
        const learningRate = w.wide ? 0.01 : 0.1;
        const r = await par.fitParallel(model, data, {
          loss,
          optimizer: { name: 'sgd', learningRate },
          batchSize: w.batchSize,
          epochs: w.epochs,
          seed: 1,
          threads,
        });
        const ms = median(r.history.slice(w.skip).map((h) => h.msPerEpoch));
        const key = `${w.name}|${threads}|${tree.dir}`;
        times.set(key, [...(times.get(key) ?? []), ms]);
      }
    }
  }
}
console.log(`${rounds} rounds, in turns; median ms per steady epoch (range over rounds)`);
for (const w of workloads) {
  for (const tree of trees) {
    const row = [1, 2].map((t) => {
      const v = times.get(`${w.name}|${t}|${tree.dir}`);
      return `${t} thread${t === 1 ? ' ' : 's'} ${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)})`;
    });
    const ratio = median(times.get(`${w.name}|1|${tree.dir}`)) / median(times.get(`${w.name}|2|${tree.dir}`));
    console.log(`${w.name.padEnd(10)} ${tree.dir.padEnd(14)} ${row.join('   ')}   2 vs 1: ${ratio.toFixed(2)}x`);
  }
}
