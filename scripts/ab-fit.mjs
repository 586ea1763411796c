// Before/after of the single-thread fit between built checkouts, in turns in one process:
//   node scripts/ab-fit.mjs ROUNDS DIR [DIR ...]
// Each round fits, from each checkout in turn, three sigmoid networks on the seed problem (10,000 rows): the seed
// network 39-39-39-1, 39-39-1 and 16-1, MSE, SGD, batch 32, 20 epochs, on the default (WebAssembly) kernels, after
// one warm-up round. It prints the median (and range over rounds) of the whole fit's wall time and the median of
// the steady epochs (the median ms/epoch after the first 5).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [roundsArg, ...dirs] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(Number.isInteger(rounds) && rounds >= 1) || dirs.length === 0) {
  console.error('usage: node scripts/ab-fit.mjs ROUNDS DIR [DIR ...]');
  process.exit(2);
}
const trees = [];
for (const dir of dirs) {
  trees.push({ dir, core: await import(pathToFileURL(path.resolve(dir, 'packages/core/dist/index.js')).href) });
}
const networks = [
  ['39-39-39-1', [39, 39, 39, 1]],
  ['39-39-1', [39, 39, 1]],
  ['16-1', [16, 1]],
];
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const results = new Map();
for (let round = -1; round < rounds; round++) {
  for (const [name, layers] of networks) {
    for (const { dir, core } of trees) {
      const data = core.seedProblem();
      const spec = { inputSize: 39, layers: layers.map((units) => ({ units, activation: 'sigmoid' })) };
      const model = core.Mlp.create(spec, { seed: 1 });
      const started = performance.now();
      const r = await core.fit(model, data, {
        loss: 'mse',
        optimizer: { name: 'sgd', learningRate: 0.1 },
        batchSize: 32,
        epochs: 20,
        seed: 1,
      });
      const ms = performance.now() - started;
      const steady = median(r.history.slice(5).map((h) => h.msPerEpoch));
      const key = `${name.padEnd(11)} ${dir}`;
      if (round >= 0) results.set(key, [...(results.get(key) ?? []), { ms, steady }]);
    }
  }
}
console.log(`${rounds} rounds after one warm-up, in turns; fit on one thread, batch 32, 20 epochs`);
for (const [key, runs] of results) {
  const ms = runs.map((r) => r.ms);
  console.log(
    `${key.padEnd(40)} fit ms ${median(ms).toFixed(1).padStart(6)} (${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)})` +
      `   steady ms/epoch ${median(runs.map((r) => r.steady)).toFixed(2)}`,
  );
}
