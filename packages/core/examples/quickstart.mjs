import { createDataset, evaluate, fit, Mlp, mlpSpec } from '@shardprop/core';

// Your own data as flat row-major Float32Arrays: XOR, 4 rows of 2 features and 1 target.
const x = Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
const y = Float32Array.from([0, 1, 1, 0]);
const data = createDataset(x, y, 4, 2, 1); // rows, features, outputs
const model = Mlp.create(mlpSpec(2, [8, 1], 'tanh', 'sigmoid'), { seed: 1 });
await fit(model, data, { loss: 'bce', optimizer: { name: 'adam', learningRate: 0.05 }, epochs: 300, batchSize: 4 });
console.log(Array.from(model.predict(x), (p) => p.toFixed(2)).join(' ')); // near 0 1 1 0
console.log(evaluate(model, data, 'bce')); // { loss, accuracy: 1 }
