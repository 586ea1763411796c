import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp, mlpSpec, modelFromArtifacts, modelToArtifacts } from '@shardprop/core';
import { loadModel, saveModel } from '@shardprop/core/node';

const model = Mlp.create(mlpSpec(3, [4, 1], 'relu', 'sigmoid'), { seed: 7 });
const meta = { featureNames: ['a', 'b', 'c'], targetNames: ['y'], loss: 'binaryCrossentropy' };

// In memory (browser-safe): model.json + weights.bin as { modelJson, weightData }.
const artifacts = modelToArtifacts(model.spec, model.params, meta);
const fromMemory = modelFromArtifacts(artifacts.modelJson, artifacts.weightData); // { spec, params, meta }

// On disk (Node.js): a model directory, written atomically; loadModel also reads optimizer.bin when there is one.
const dir = await mkdtemp(join(tmpdir(), 'shardprop-model-'));
await saveModel(dir, artifacts);
const loaded = await loadModel(dir); // { spec, params, meta, optimizer? }
const again = new Mlp(loaded.spec, loaded.params);

const x = Float32Array.from([0.5, -1, 2]);
console.log(model.predict(x)[0] === again.predict(x)[0], loaded.meta.featureNames, fromMemory.spec.layers.length);
