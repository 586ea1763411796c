/**
 * `@shardprop/core/export`: a model in formats other engines load (browser-safe). `toOnnx` writes an ONNX model
 * (input standardisation in the graph, class labels in the metadata) for ONNX Runtime and every runtime that
 * reads ONNX; `toSafetensors` writes the weights for a PyTorch `nn.Sequential` of `nn.Linear` layers, with the
 * architecture, standardisation and labels in its metadata (see `examples/pytorch/` at the repository root).
 * @packageDocumentation
 */
export {
  type ExportArchitecture,
  ExportError,
  type ExportLayer,
  exportArchitecture,
  exportClassLabels,
  exportInputNames,
  exportMetadata,
  type MetadataOptions,
  SafetensorsFormatError,
  type TorchModule,
} from './common.js';
export {
  DEFAULT_ONNX_OPSET,
  MAX_ONNX_OPSET,
  MIN_ONNX_OPSET,
  type OnnxAttribute,
  type OnnxDimension,
  type OnnxExportOptions,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
  onnxIrVersion,
  onnxMetadata,
  parseOnnx,
  toOnnx,
} from './onnx.js';
export {
  modelFromSafetensors,
  type ParsedSafetensors,
  parseSafetensors,
  SAFETENSORS_DTYPE_SIZES,
  type SafetensorsHeader,
  type SafetensorsTensor,
  type SafetensorsTensorInfo,
  torchParamNames,
  toSafetensors,
} from './safetensors.js';
