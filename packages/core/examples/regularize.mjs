import { fit, Mlp, mlpSpec, seedProblem } from '@shardprop/core';

const data = seedProblem({ rows: 1_000, seed: 1 });
const model = Mlp.create(mlpSpec(39, [16, 1], 'sigmoid', 'sigmoid'), { seed: 1 });
const result = await fit(model, data, {
  loss: 'mse',
  optimizer: { name: 'adam', learningRate: 0.01 },
  epochs: 6,
  l2: 1e-4, // Keras kernel_regularizer L1L2(l2=1e-4) on every kernel; the reported loss includes it
  clipNorm: 1, // Keras global_clipnorm: the whole gradient scaled to norm <= 1
  lrSchedule: { name: 'step', decay: 0.5, stepEpochs: 2, warmupEpochs: 1 }, // rate per epoch
});
console.log(result.history.map((h) => h.learningRate).join(' ')); // 0.01 0.01 0.01 0.005 0.005 0.0025
