import { fit, Mlp, mlpSpec, seedProblem } from '@shardprop/core';
import { fitParallel } from '@shardprop/core/parallel';

const data = seedProblem({ rows: 2000, seed: 1 }); // 39 features, a target in (0, 1)
const spec = mlpSpec(39, [39, 39, 39, 1], 'sigmoid');
const options = { loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.5 }, epochs: 2, batchSize: 64, seed: 3 };

const single = Mlp.create(spec, { seed: 1 });
await fit(single, data, { ...options, kernels: 'wasm' });
const parallel = Mlp.create(spec, { seed: 1 });
await fitParallel(parallel, data, { ...options, kernels: 'wasm', threads: 2 });
const bits = (m) => Buffer.from(m.params.buffer, m.params.byteOffset, m.params.byteLength);
console.log('fit vs fitParallel, same backend:', bits(single).equals(bits(parallel)) ? 'same bits' : 'DIFFERENT');

// The js and wasm kernels round differently (fused multiply-adds, SIMD sums): close, not bitwise equal.
const js = Mlp.create(spec, { seed: 1 });
await fit(js, data, { ...options, kernels: 'js' });
const maxDiff = js.params.reduce((m, v, i) => Math.max(m, Math.abs(v - single.params[i])), 0);
console.log('js vs wasm kernels: max weight difference', maxDiff < 1e-4 ? 'below 1e-4' : maxDiff);
