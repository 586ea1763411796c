import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp, mlpSpec, modelToArtifacts } from '@shardprop/core';
import { saveModel, tfjsFileHandler } from '@shardprop/core/node';
import * as tf from '@tensorflow/tfjs';

const model = Mlp.create(mlpSpec(3, [4, 2], 'tanh', 'softmax'), { seed: 5 });
const dir = await mkdtemp(join(tmpdir(), 'shardprop-tfjs-'));
await saveModel(dir, modelToArtifacts(model.spec, model.params));

// tfjsFileHandler(dir) is a tf.io.IOHandler: load (and save) a model directory without tfjs-node.
const tfModel = await tf.loadLayersModel(tfjsFileHandler(dir));
const x = Float32Array.from([0.1, -0.2, 0.3]);
const theirs = tfModel.predict(tf.tensor2d(x, [1, 3])).dataSync();
const ours = model.predict(x);
console.log('tfjs and shardprop agree:', Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]))) < 1e-6);
