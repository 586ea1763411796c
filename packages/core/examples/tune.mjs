import { evaluate, seedProblem } from '@shardprop/core';
import { tune } from '@shardprop/core/parallel';

const data = seedProblem({ rows: 2_000, seed: 1 });
const result = await tune(data, {
  loss: 'mse',
  layers: [16, 1], // the base settings (those of fitParallel); each candidate replaces some of them
  optimizer: { name: 'sgd', learningRate: 0.1 },
  epochs: 5,
  batchSize: 32,
  space: {
    layers: [
      [16, 1],
      [39, 39, 1],
    ],
    learningRate: [0.1, 0.5],
  }, // the grid: 4 candidates
  folds: 3, // stratified by class for classification losses
  threads: 'auto', // every core, one fit per core
  onTrialEnd: (t) => console.log(JSON.stringify(t.settings), t.mean.toFixed(6), '±', t.std.toFixed(6)),
});
console.log('best', JSON.stringify(result.best.settings)); // the winner's settings (also mean, std, index)
console.log(evaluate(result.refit.model, data, 'meanSquaredError').loss < 1); // the best, retrained on all rows
