import { Mlp, mlpSpec } from '@shardprop/core';
import { onnxMetadata, parseOnnx, toOnnx, toSafetensors } from '@shardprop/core/export';

const model = Mlp.create(mlpSpec(4, [8, 3], 'relu', 'softmax'), { seed: 2 });
const meta = { featureNames: ['a', 'b', 'c', 'd'], task: 'multiclass', loss: 'categoricalCrossentropy' };

// For PyTorch: an nn.Sequential of nn.Linear layers, with the architecture in the metadata. No extra package.
const safetensors = toSafetensors(model.spec, model.params, meta);
// For ONNX Runtime and the rest: needs the optional peer dependency protobufjs (npm install protobufjs).
const onnx = toOnnx(model.spec, model.params, meta, { opset: 17 });
console.log(safetensors.byteLength > 0, onnxMetadata(parseOnnx(onnx)).task);
