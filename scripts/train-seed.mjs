#!/usr/bin/env node
// The main job until the CLI lands: trains the seed network (39 inputs, layers 39-39-39-1, sigmoid, MSE, SGD)
// on the bundled seed problem (10,000 rows) and prints per-epoch loss and time.
import { evaluate, Mlp, mlpSpec, seedProblem } from '../packages/core/dist/index.js';
import { defaultThreads, fitParallel } from '../packages/core/dist/parallel/index.js';

const epochs = Number(process.env.EPOCHS ?? 10);
const data = seedProblem({ rows: 10_000, seed: 1 });
const model = Mlp.create(mlpSpec(39, [39, 39, 39, 1], 'sigmoid'), { seed: 1 });
console.log(
  `seed network 39-39-39-1 sigmoid, ${model.paramCount} parameters, ${data.rows} rows, batch 32, sgd lr 0.5, ${defaultThreads()} threads`,
);
const result = await fitParallel(model, data, {
  loss: 'mse',
  optimizer: { name: 'sgd', learningRate: 0.5 },
  epochs,
  batchSize: 32,
  validationSplit: 0.2,
  callbacks: {
    onEpochEnd: (log) =>
      console.log(
        `epoch ${String(log.epoch + 1).padStart(2)}/${epochs}  loss ${log.loss.toFixed(5)}  val_loss ${log.valLoss?.toFixed(5)}  ${log.msPerEpoch.toFixed(0)} ms  ${Math.round(log.rowsPerSec).toLocaleString('en-US')} rows/s`,
      ),
  },
});
const m = evaluate(model, data, 'meanSquaredError');
console.log(
  `done: ${result.epochsRun} epochs, loss ${m.loss.toFixed(5)}, MAE ${m.mae?.toFixed(4)}, R^2 ${m.r2?.toFixed(3)}`,
);
