/**
 * ONNX export (browser-safe). The ONNX schema is declared here through protobufjs's reflection API (only the
 * messages and fields the exporter writes, with the field numbers of onnx/onnx.proto), so no `.proto` file is
 * read at run time.
 *
 * The graph, for a model with `inputSize` inputs and layers `dense_1 .. dense_L`:
 *
 * ```
 * input [N, inputSize] float
 *   -> Sub(input_mean) -> Div(input_std)          only when meta.normalization exists and includeNormalization
 *   -> MatMul(dense_1/kernel [in, out]) -> Add(dense_1/bias [out]) -> activation
 *   ...
 *   -> MatMul(dense_L/kernel) -> Add(dense_L/bias) -> activation -> output [N, outputSize] float
 * ```
 *
 * Activations: sigmoid `Sigmoid`, tanh `Tanh`, relu `Relu`, leakyRelu `LeakyRelu(alpha 0.2)`, elu
 * `Elu(alpha 1)`, softmax `Softmax(axis -1)` (opset 13+ semantics: over the last axis only, as shardprop's),
 * linear: no node. The output is always named `output` (for a classifier it holds the class probabilities; the
 * `output_description` metadata entry says what the columns are). The model's metadata_props carry the entries
 * of `exportMetadata` (architecture, input_names, feature_names, target_names, class_labels, task, loss,
 * normalization, output_description, shardprop) plus `normalization_in_graph`.
 */
import type Protobuf from 'protobufjs/light.js';
import type { ShardpropMetaInput } from '../io/meta.js';
import { ELU_ALPHA, LEAKY_RELU_ALPHA } from '../kernels/activations.js';
import { paramLayout } from '../model/layout.js';
import type { ModelSpec } from '../model/spec.js';
import { checkExportInputs, ExportError, exportMetadata, float32Bytes } from './common.js';

import { DEFAULT_ONNX_OPSET, MAX_ONNX_OPSET, MIN_ONNX_OPSET } from './onnx-opsets.js';

export { DEFAULT_ONNX_OPSET, MAX_ONNX_OPSET, MIN_ONNX_OPSET };

/** ONNX `TensorProto.DataType.FLOAT`. */
const FLOAT = 1;
/** ONNX `AttributeProto.AttributeType` values used here. */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

export interface OnnxExportOptions {
  /** Default {@link DEFAULT_ONNX_OPSET}; from {@link MIN_ONNX_OPSET} to {@link MAX_ONNX_OPSET}. */
  opset?: number;
  /**
   * Put the input standardisation `(x - mean) / std` (from `meta.normalization`) into the graph as Sub and Div
   * nodes, so that the model takes raw inputs (default true). With false, or without `meta.normalization`, the
   * graph takes already standardised inputs; the `normalization` metadata entry says which.
   */
  includeNormalization?: boolean;
  /** Name of the graph input (default `input`). */
  inputName?: string;
  /** Name of the graph output (default `output`). */
  outputName?: string;
  /** `ModelProto.producer_version` (e.g. the shardprop version); left out when not given. */
  producerVersion?: string;
  /** `ModelProto.doc_string`; a one-line description of the network by default. */
  docString?: string;
}

/**
 * The ONNX IR version a model of opset `opset` declares: the IR version of the ONNX release that introduced the
 * opset (8 up to opset 18; 9 for 19 and 20; 10 for 21 and 22; 11 for 23).
 */
export function onnxIrVersion(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

// Field numbers from onnx/onnx.proto (proto2). Enums are written as int32, as they are on the wire.
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            docString: { type: 'string', id: 12 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        TypeProto: {
          fields: {
            tensorType: { type: 'TypeProtoTensor', id: 1 },
            denotation: { type: 'string', id: 6 },
          },
        },
        // TypeProto.Tensor, declared flat (the nesting does not reach the wire).
        TypeProtoTensor: {
          fields: {
            elemType: { type: 'int32', id: 1 },
            shape: { type: 'TensorShapeProto', id: 2 },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dimension', id: 1 },
          },
        },
        // TensorShapeProto.Dimension: exactly one of dimValue / dimParam is set.
        Dimension: {
          fields: {
            dimValue: { type: 'int64', id: 1 },
            dimParam: { type: 'string', id: 2 },
            denotation: { type: 'string', id: 3 },
          },
        },
      },
    },
  },
};

// protobufjs is an optional peer dependency: only ONNX needs it, so importing `@shardprop/core/export` works
// without it (safetensors export, the metadata helpers) and `toOnnx` / `parseOnnx` say what to install.
const protobuf: typeof Protobuf | undefined = await import('protobufjs/light.js').then(
  (m) => m.default,
  () => undefined,
);

let modelType: Protobuf.Type | undefined;

/** The `onnx.ModelProto` message type (built once, on first use). */
function onnxModelType(): Protobuf.Type {
  if (!protobuf) {
    throw new Error('ONNX export needs the optional peer dependency protobufjs: npm install protobufjs@^8.8.1');
  }
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

// Plain-object shapes of the messages, as written and as `parseOnnx` gives them back (camelCase field names;
// int64 values as numbers).

export interface OnnxDimension {
  dimValue?: number;
  dimParam?: string;
}
export interface OnnxValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: OnnxDimension[] } } };
}
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
}
export interface OnnxNode {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  attribute?: OnnxAttribute[];
}
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
}
export interface OnnxGraph {
  name?: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  docString?: string;
}
export interface OnnxModel {
  irVersion: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph: OnnxGraph;
  opsetImport: Array<{ domain?: string; version: number }>;
  metadataProps?: Array<{ key: string; value: string }>;
}

function tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  return { name, dims, dataType: FLOAT, rawData: float32Bytes(values) };
}

function valueInfo(name: string, dims: Array<number | string>): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function checkName(name: unknown, option: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw new ExportError(`${option} must be a non-empty string`);
  return name;
}

/**
 * An ONNX model (a serialised `ModelProto`) that computes what `new Mlp(spec, params).predict(x)` computes, on
 * raw inputs when the standardisation is in the graph. See the module comment for the graph and metadata.
 *
 * @param meta the model's `shardprop` metadata (e.g. `loadModel(dir).meta`); optional
 * @throws ModelSpecError, TypeError, RangeError or ExportError (an unsupported opset, metadata that does not
 *   fit the model, non-finite parameters)
 */
export function toOnnx(
  spec: ModelSpec,
  params: Float32Array,
  meta?: ShardpropMetaInput,
  options: OnnxExportOptions = {},
): Uint8Array {
  const opset = options.opset ?? DEFAULT_ONNX_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_ONNX_OPSET || opset > MAX_ONNX_OPSET) {
    throw new ExportError(
      `opset ${String(opset)} is not supported; shardprop writes ONNX opsets ${MIN_ONNX_OPSET} to ${MAX_ONNX_OPSET} (default ${DEFAULT_ONNX_OPSET})`,
    );
  }
  const inputName = checkName(options.inputName ?? 'input', 'inputName');
  const outputName = checkName(options.outputName ?? 'output', 'outputName');
  if (inputName === outputName) throw new ExportError(`inputName and outputName are both "${inputName}"`);
  const checked = checkExportInputs(spec, params, meta);
  const s = checked.spec;
  const layout = paramLayout(s);
  const normalization = checked.meta?.normalization;
  const inGraph = normalization !== undefined && options.includeNormalization !== false;

  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const node = (opType: string, name: string, input: string[], output: string, attribute?: OnnxAttribute[]) => {
    nodes.push({ input, output: [output], name, opType, ...(attribute ? { attribute } : {}) });
  };

  let x = inputName;
  if (inGraph && normalization) {
    initializers.push(tensor('input_mean', [s.inputSize], normalization.mean));
    initializers.push(tensor('input_std', [s.inputSize], normalization.std));
    node('Sub', 'standardize/Sub', [x, 'input_mean'], 'standardize/centered');
    node('Div', 'standardize/Div', ['standardize/centered', 'input_std'], 'standardize/output');
    x = 'standardize/output';
  }
  layout.layers.forEach((l, i) => {
    const name = `dense_${i + 1}`;
    const last = i === layout.layers.length - 1;
    initializers.push(
      tensor(`${name}/kernel`, [l.inSize, l.outSize], params.subarray(l.kernelOffset, l.biasOffset)),
      tensor(`${name}/bias`, [l.outSize], params.subarray(l.biasOffset, l.biasOffset + l.outSize)),
    );
    node('MatMul', `${name}/MatMul`, [x, `${name}/kernel`], `${name}/matmul`);
    const linear = l.activation === 'linear';
    const z = last && linear ? outputName : `${name}/${linear ? 'output' : 'preactivation'}`;
    node('Add', `${name}/Add`, [`${name}/matmul`, `${name}/bias`], z);
    x = z;
    if (linear) return;
    const y = last ? outputName : `${name}/output`;
    switch (l.activation) {
      case 'sigmoid':
        node('Sigmoid', `${name}/Sigmoid`, [z], y);
        break;
      case 'tanh':
        node('Tanh', `${name}/Tanh`, [z], y);
        break;
      case 'relu':
        node('Relu', `${name}/Relu`, [z], y);
        break;
      case 'leakyRelu':
        node('LeakyRelu', `${name}/LeakyRelu`, [z], y, [{ name: 'alpha', type: ATTR_FLOAT, f: LEAKY_RELU_ALPHA }]);
        break;
      case 'elu':
        node('Elu', `${name}/Elu`, [z], y, [{ name: 'alpha', type: ATTR_FLOAT, f: ELU_ALPHA }]);
        break;
      case 'softmax':
        node('Softmax', `${name}/Softmax`, [z], y, [{ name: 'axis', type: ATTR_INT, i: -1 }]);
        break;
    }
    x = y;
  });
  // Every tensor name must be unique: the user's input and output names must not take an internal one.
  const names = [inputName, ...initializers.map((t) => t.name), ...nodes.flatMap((n) => n.output)];
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new ExportError(
      `tensor name "${duplicate}" would be used twice in the graph; choose another inputName or outputName`,
    );
  }

  const metadata = exportMetadata(s, checked.meta, { normalizationInGraph: inGraph });
  metadata.push(['normalization_in_graph', String(inGraph)]);
  const arch = `${s.inputSize} inputs -> ${s.layers.map((l) => `${l.units} ${l.activation}`).join(' -> ')}`;
  const model: OnnxModel = {
    irVersion: onnxIrVersion(opset),
    producerName: 'shardprop',
    ...(options.producerVersion ? { producerVersion: options.producerVersion } : {}),
    docString: options.docString ?? `shardprop multilayer perceptron: ${arch}`,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'shardprop_mlp',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(inputName, ['N', s.inputSize])],
      output: [valueInfo(outputName, ['N', layout.outputSize])],
    },
    metadataProps: metadata.map(([key, value]) => ({ key, value })),
  };
  const type = onnxModelType();
  return type.encode(type.fromObject(model)).finish();
}

/**
 * Decodes an ONNX model (as far as the fields `toOnnx` writes go) into plain objects, e.g. to read its
 * metadata: `Object.fromEntries(parseOnnx(bytes).metadataProps.map((p) => [p.key, p.value]))`.
 * @throws Error for bytes that are not a protobuf message
 */
export function parseOnnx(bytes: Uint8Array): OnnxModel {
  const type = onnxModelType();
  const message = type.decode(bytes);
  const obj = type.toObject(message, { longs: Number, arrays: true, defaults: false }) as OnnxModel;
  obj.graph ??= { node: [], initializer: [], input: [], output: [] };
  return obj;
}

/** The metadata_props of an ONNX model as a record. */
export function onnxMetadata(model: OnnxModel): Record<string, string> {
  return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
}
