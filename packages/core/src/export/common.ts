/**
 * What the ONNX and safetensors exporters share: input checks, the error class, the PyTorch module list of a
 * spec, and the string metadata both formats carry (architecture, input and class names, standardisation,
 * shardprop's own metadata).
 */

import { checkMeta, type ShardpropMeta, type ShardpropMetaInput, WEIGHTS_CRC_KEY } from '../io/meta.js';
import { ELU_ALPHA, LEAKY_RELU_ALPHA } from '../kernels/activations.js';
import { paramLayout } from '../model/layout.js';
import { type ActivationName, type ModelSpec, validateSpec } from '../model/spec.js';

/**
 * An export that cannot be made: a bad option (an unsupported opset, an unknown format), metadata that does not
 * fit the model (normalisation statistics of the wrong length), or parameters that are not finite. An invalid
 * spec is a `ModelSpecError`, a parameter vector of the wrong type or length a `TypeError` / `RangeError`, as in
 * `modelToArtifacts`.
 */
export class ExportError extends Error {
  override name = 'ExportError';
}

/** A safetensors file that cannot be read; the message says what is wrong with it. */
export class SafetensorsFormatError extends Error {
  override name = 'SafetensorsFormatError';
}

/** One module of the PyTorch `nn.Sequential` that the exported weights belong to. */
export interface TorchModule {
  /** Position in the `nn.Sequential` (its state-dict prefix for a Linear: `<index>.weight`, `<index>.bias`). */
  index: number;
  /** The `torch.nn` class name: `Linear`, `Sigmoid`, `Tanh`, `ReLU`, `LeakyReLU`, `ELU`, `Softmax`, `Identity`. */
  module: string;
  /** Keyword arguments of the constructor, e.g. `{ in_features: 39, out_features: 39 }`, `{ negative_slope: 0.2 }`. */
  kwargs: Record<string, number | boolean>;
}

/** A layer of the exported architecture: units, Keras activation name, and the activation's constant. */
export interface ExportLayer {
  units: number;
  activation: ActivationName;
  /** leakyRelu's negative slope (0.2) or elu's alpha (1). */
  alpha?: number;
}

/** The `architecture` metadata entry of both formats (JSON). */
export interface ExportArchitecture {
  inputSize: number;
  outputSize: number;
  layers: ExportLayer[];
  /**
   * The `torch.nn.Sequential` layout: every Dense layer is two modules, `nn.Linear` at index `2i` and its
   * activation at `2i + 1` (`nn.Identity` for a linear activation), so the weights of layer `i` (0-based) are
   * `<2i>.weight` `[out, in]` and `<2i>.bias` `[out]`.
   */
  sequential: TorchModule[];
}

/** Keras activation -> torch.nn module (class name and constructor keyword arguments). */
const TORCH_ACTIVATIONS: Record<ActivationName, { module: string; kwargs: Record<string, number> }> = {
  sigmoid: { module: 'Sigmoid', kwargs: {} },
  tanh: { module: 'Tanh', kwargs: {} },
  relu: { module: 'ReLU', kwargs: {} },
  leakyRelu: { module: 'LeakyReLU', kwargs: { negative_slope: LEAKY_RELU_ALPHA } },
  elu: { module: 'ELU', kwargs: { alpha: ELU_ALPHA } },
  softmax: { module: 'Softmax', kwargs: { dim: -1 } },
  linear: { module: 'Identity', kwargs: {} },
};

/** The checked inputs of an export. */
export interface ExportInputs {
  spec: ModelSpec;
  params: Float32Array;
  /** A JSON copy of the metadata (without the reserved checksum key); `undefined` when none was given. */
  meta: ShardpropMeta | undefined;
}

/**
 * Checks a spec, its parameters and its metadata for export.
 * @throws ModelSpecError, TypeError, RangeError or ExportError (see {@link ExportError})
 */
export function checkExportInputs(
  spec: ModelSpec,
  params: Float32Array,
  meta: ShardpropMetaInput | undefined,
): ExportInputs {
  const s = validateSpec(spec);
  const { paramCount } = paramLayout(s);
  if (!(params instanceof Float32Array)) throw new TypeError('params must be a Float32Array');
  if (params.length !== paramCount) {
    throw new RangeError(`params has ${params.length} values, the spec needs ${paramCount}`);
  }
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i])) {
      throw new ExportError(
        `params[${i}] is ${params[i]}; a model with non-finite weights (did training diverge?) cannot be exported`,
      );
    }
  }
  let checked: ShardpropMeta | undefined;
  if (meta !== undefined && meta !== null) {
    checked = checkMeta(meta, s.inputSize, false, (detail) => {
      throw new ExportError(`invalid model metadata: ${detail}`);
    });
    delete (checked as Record<string, unknown>)[WEIGHTS_CRC_KEY];
  }
  return { spec: s, params, meta: checked };
}

/** The architecture of a validated spec, with its `nn.Sequential` layout. */
export function exportArchitecture(spec: ModelSpec): ExportArchitecture {
  const layout = paramLayout(spec);
  const layers: ExportLayer[] = spec.layers.map((l) => {
    const layer: ExportLayer = { units: l.units, activation: l.activation };
    if (l.activation === 'leakyRelu') layer.alpha = LEAKY_RELU_ALPHA;
    if (l.activation === 'elu') layer.alpha = ELU_ALPHA;
    return layer;
  });
  const sequential: TorchModule[] = [];
  for (const l of layout.layers) {
    sequential.push({
      index: 2 * l.index,
      module: 'Linear',
      kwargs: { in_features: l.inSize, out_features: l.outSize, bias: true },
    });
    const act = TORCH_ACTIVATIONS[l.activation];
    sequential.push({ index: 2 * l.index + 1, module: act.module, kwargs: { ...act.kwargs } });
  }
  return { inputSize: layout.inputSize, outputSize: layout.outputSize, layers, sequential };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function stringArray(x: unknown): string[] | undefined {
  return Array.isArray(x) && x.every((s) => typeof s === 'string') ? (x as string[]) : undefined;
}

/**
 * The names of the model's `inputSize` input columns: from a CLI encoding (`encodings.features`, numeric
 * features by name, one-hot columns as `name=category`), else `featureNames` when there is one per input.
 */
export function exportInputNames(spec: ModelSpec, meta: ShardpropMeta | undefined): string[] | undefined {
  if (!meta) return undefined;
  const enc = meta.encodings;
  if (isRecord(enc) && Array.isArray(enc.features)) {
    const names: string[] = [];
    let ok = true;
    for (const f of enc.features) {
      if (!isRecord(f) || typeof f.name !== 'string') {
        ok = false;
        break;
      }
      const vocabulary = stringArray(f.vocabulary);
      if (f.kind === 'categorical' && vocabulary) for (const v of vocabulary) names.push(`${f.name}=${v}`);
      else names.push(f.name);
    }
    if (ok && names.length === spec.inputSize) return names;
  }
  const features = stringArray(meta.featureNames);
  return features && features.length === spec.inputSize ? [...features] : undefined;
}

/**
 * The class labels of a classifier, in output order: `encodings.target.classes` (what the CLI writes), else a
 * top-level `classes` array of strings.
 */
export function exportClassLabels(meta: ShardpropMeta | undefined): string[] | undefined {
  if (!meta) return undefined;
  const enc = meta.encodings;
  if (isRecord(enc) && isRecord(enc.target)) {
    const classes = stringArray(enc.target.classes);
    if (classes) return [...classes];
  }
  const classes = stringArray(meta.classes);
  return classes ? [...classes] : undefined;
}

/** What the output columns mean, in words. */
function describeOutput(spec: ModelSpec, meta: ShardpropMeta | undefined, labels: string[] | undefined): string {
  const last = spec.layers[spec.layers.length - 1];
  const units = last.units;
  if (labels && units === 1 && labels.length === 2 && last.activation === 'sigmoid') {
    return `probability of class ${JSON.stringify(labels[1])} (the other class, ${JSON.stringify(labels[0])}, has 1 - p); predict ${JSON.stringify(labels[1])} when p >= 0.5`;
  }
  if (labels && units === labels.length) {
    const what = last.activation === 'softmax' ? 'probability' : 'score';
    return `one ${what} per class, in class_labels order; the predicted class is the largest`;
  }
  const targets = stringArray(meta?.targetNames);
  if (targets && targets.length === units) return `predicted ${targets.join(', ')}`;
  return `${units} output${units === 1 ? '' : 's'} (${last.activation} activation)`;
}

/** Options that change the metadata of an export. */
export interface MetadataOptions {
  /** Whether the input standardisation is part of the exported computation (ONNX) or left to the caller. */
  normalizationInGraph: boolean;
}

/**
 * The string metadata both formats carry, in a fixed order. Keys (values are JSON unless said otherwise):
 * - `architecture`: {@link ExportArchitecture}
 * - `input_names`: the `inputSize` input column names (when known)
 * - `feature_names`, `target_names`: the raw CSV columns the model was trained on (when known)
 * - `class_labels`: the class labels in output order (classifiers)
 * - `task`, `loss`: plain strings (when known)
 * - `normalization`: `{ mean, std, in_graph }`: inputs are `(x - mean) / std`; `in_graph` says whether the
 *   exported computation applies it (ONNX with `includeNormalization`) or the caller must (safetensors)
 * - `output_description`: plain text: what the output columns mean
 * - `shardprop`: the whole `shardprop` section of model.json
 */
export function exportMetadata(
  spec: ModelSpec,
  meta: ShardpropMeta | undefined,
  options: MetadataOptions,
): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  entries.push(['architecture', JSON.stringify(exportArchitecture(spec))]);
  const inputs = exportInputNames(spec, meta);
  if (inputs) entries.push(['input_names', JSON.stringify(inputs)]);
  const features = stringArray(meta?.featureNames);
  if (features) entries.push(['feature_names', JSON.stringify(features)]);
  const targets = stringArray(meta?.targetNames);
  if (targets) entries.push(['target_names', JSON.stringify(targets)]);
  const labels = exportClassLabels(meta);
  if (labels) entries.push(['class_labels', JSON.stringify(labels)]);
  if (typeof meta?.task === 'string') entries.push(['task', meta.task]);
  if (typeof meta?.loss === 'string') entries.push(['loss', meta.loss]);
  if (meta?.normalization) {
    const { mean, std } = meta.normalization;
    entries.push(['normalization', JSON.stringify({ mean, std, in_graph: options.normalizationInGraph })]);
  }
  entries.push(['output_description', describeOutput(spec, meta, labels)]);
  if (meta) entries.push(['shardprop', JSON.stringify(meta)]);
  return entries;
}

/** `values` as little-endian float32 bytes (whatever the platform's byte order). */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

/** The `[out x in]` transpose of layer `l`'s `[in x out]` row-major kernel in `params`. */
export function transposedKernel(params: Float32Array, offset: number, inSize: number, outSize: number): Float32Array {
  const t = new Float32Array(inSize * outSize);
  for (let i = 0; i < inSize; i++) {
    for (let o = 0; o < outSize; o++) t[o * inSize + i] = params[offset + i * outSize + o];
  }
  return t;
}
