// Before/after of bench:tune's search between two built checkouts of shardprop, in turns in one process:
//   node scripts/ab-tune.mjs ROUNDS DIR_BEFORE DIR_AFTER
// Each round runs the search with 1 and then 2 threads from each checkout (one warm-up round first), and the
// medians and ranges of the wall times are printed per checkout and thread count, with the 1 vs 2 thread ratio.
// The search is bench:tune's (`searchOptions`, 20 epochs): hidden layers (16) or (39, 39) x learning rate 0.1 or
// 0.5, sigmoid, SGD, batch 32, 3 folds, then the best refit on all rows, on the seed problem (10,000 rows).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
// The search itself is bench:tune's (this checkout's), the same for every checkout compared.
import { searchOptions } from '../apps/bench/dist/tune-bench.js';

const [roundsArg, ...dirs] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(Number.isInteger(rounds) && rounds >= 1) || dirs.length === 0) {
  console.error('usage: node scripts/ab-tune.mjs ROUNDS DIR [DIR ...]');
  process.exit(2);
}
const load = async (dir) => {
  const at = (p) => pathToFileURL(path.resolve(dir, p)).href;
  return {
    dir,
    core: await import(at('packages/core/dist/index.js')),
    parallel: await import(at('packages/core/dist/parallel/index.js')),
  };
};
const trees = [];
for (const dir of dirs) trees.push(await load(dir));

const times = new Map();
for (let round = -1; round < rounds; round++) {
  for (const threads of [1, 2]) {
    for (const tree of trees) {
      const data = tree.core.seedProblem();
      const started = performance.now();
      await tree.parallel.tune(data, searchOptions(20, threads));
      const ms = performance.now() - started;
      const key = `${tree.dir}, ${threads} thread${threads === 1 ? '' : 's'}`;
      if (round >= 0) times.set(key, [...(times.get(key) ?? []), ms]);
    }
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`${rounds} rounds after one warm-up, in turns; wall ms of the whole tune call`);
for (const [key, v] of times) {
  console.log(
    `${key.padEnd(40)} median ${median(v).toFixed(0).padStart(5)}  range ${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)}`,
  );
}
for (const tree of trees) {
  const one = median(times.get(`${tree.dir}, 1 thread`));
  const two = median(times.get(`${tree.dir}, 2 threads`));
  console.log(`${tree.dir}: 2 threads vs 1: ${(one / two).toFixed(2)}x`);
}
