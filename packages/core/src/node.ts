/**
 * `@shardprop/core/node`: the Node.js-only parts of the engine. The model directory adapter (atomic
 * `model.json` / `weights.bin` / `optimizer.bin` files) and a TensorFlow.js IO handler over a directory.
 * @packageDocumentation
 */
export {
  type LoadedModelDir,
  loadModel,
  type SaveModelOptions,
  saveModel,
  type TfjsSaveArtifacts,
  type TfjsSaveResult,
  tfjsFileHandler,
} from './io/fs.js';
