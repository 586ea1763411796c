import { Mlp, mlpSpec } from '@shardprop/core';
import { fitParallel, sharedDataset } from '@shardprop/core/parallel';

const rows = 10_000;
const data = sharedDataset(rows, 2, 1);
for (let r = 0; r < rows; r++) {
  const a = (r % 100) / 100;
  const b = ((r * 37) % 100) / 100;
  data.x.set([a, b], r * 2); // written where training reads it: no copy later
  data.y[r] = a * b;
}
const model = Mlp.create(mlpSpec(2, [16, 1], 'tanh', 'linear'), { seed: 1 });
const result = await fitParallel(model, data, { loss: 'mse', epochs: 5, batchSize: 64, threads: 2 });
const [first, last] = [result.history[0].loss, result.history.at(-1).loss];
console.log('trained in place on 2 threads; loss fell:', last < first);
