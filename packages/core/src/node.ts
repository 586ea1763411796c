/**
 * `@shardprop/core/node`: the Node.js-only parts of the engine. The model directory adapter (all-or-nothing
 * saves of `model.json` and its generation-named data files), the atomic single-file write, and a TensorFlow.js
 * IO handler over a directory.
 * @packageDocumentation
 */

export {
  nodeFileSystem,
  processExists,
  type SaveFileSystem,
  type WritableFile,
  writeFileAtomic,
  writeStreamAtomic,
} from './io/file-system.js';
export {
  type LoadedModelDir,
  loadModel,
  type SaveModelOptions,
  saveModel,
  type TfjsSaveArtifacts,
  type TfjsSaveResult,
  tfjsFileHandler,
} from './io/fs.js';
