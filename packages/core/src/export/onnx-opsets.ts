/**
 * The ONNX opsets `toOnnx` writes. A module of their own, without the ONNX writer's protobufjs, so that a front end
 * can name them (the CLI's `--opset` help) without loading the writer.
 */

/** The opset `toOnnx` targets unless told otherwise. */
export const DEFAULT_ONNX_OPSET = 17;
/** The oldest opset `toOnnx` writes (Softmax over the last axis only needs 13). */
export const MIN_ONNX_OPSET = 13;
/** The newest opset `toOnnx` writes (ONNX 1.18's). */
export const MAX_ONNX_OPSET = 23;
