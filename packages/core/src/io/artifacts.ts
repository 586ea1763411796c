/**
 * The model format, in memory (browser-safe; the file-system adapter is `@shardprop/core/node`).
 *
 * A model is `model.json` plus `weights.bin` in the TensorFlow.js Layers format: `tf.loadLayersModel` loads a
 * shardprop model and predicts the same numbers. The parameter layout (per layer, kernel `[in x out]` row-major
 * then bias) is Keras's weight order, so `weights.bin` is exactly the flat parameter vector, little-endian
 * float32. A `leakyRelu` layer is written as `Dense(activation 'linear')` followed by `LeakyReLU(alpha 0.2)`.
 * `model.json` carries a `shardprop` section for what tfjs does not know (see {@link ShardpropMeta}).
 *
 * Reading accepts what TensorFlow.js and Keras write for such models:
 * - a `Sequential` topology (also wrapped in `model_config`, as tensorflowjs_converter writes it) whose input
 *   size comes from the first layer's `batch_input_shape` / `batchInputShape` / `batch_shape` /
 *   `input_shape`, or from an `InputLayer`;
 * - `Dense` layers with a bias (`use_bias: false` is rejected: shardprop's layers always train a bias) and an
 *   activation shardprop has; regularisers, constraints and `trainable` are ignored, as are initialisers we do
 *   not have (they only matter for fresh initialisation);
 * - activation layers after a linear `Dense`: `Activation`, `LeakyReLU` (alpha 0.2), `ELU` (alpha 1), `ReLU`
 *   (plain), `Softmax` (last axis);
 * - weights matched to layers by name (`<layer name>/kernel`, `<layer name>/bias`, any prefix, `:0` suffix
 *   allowed), or else in manifest order; float32 only; a manifest split over several files, whose bytes the
 *   caller passes concatenated in manifest order.
 * Anything else is a {@link ModelFormatError} naming the file, the layer or weight, and the problem.
 */
import { paramLayout } from '../model/layout.js';
import { type ModelSpec, ModelSpecError, validateSpec } from '../model/spec.js';
import { crc32, hex32 } from './crc32.js';
import { DATA_FILES_KEY } from './data-files.js';
import { ModelFormatError } from './errors.js';
import {
  buildTopology,
  type DenseEntry,
  parseTopology,
  type SequentialTopologyJson,
  type TopologyOptions,
  type WeightSpecJson,
} from './keras.js';
import { checkMeta, failModelJson, type ShardpropMeta, type ShardpropMetaInput, WEIGHTS_CRC_KEY } from './meta.js';
import { readFloat32LE, writeFloat32LE } from './optimizer-state.js';

export { ModelFormatError } from './errors.js';
export type { KerasObjectJson, SequentialTopologyJson, WeightSpecJson } from './keras.js';
export { KERAS_VERSION, type TopologyOptions } from './keras.js';
export { SHARDPROP_FORMAT_VERSION, type ShardpropMeta, type ShardpropMetaInput } from './meta.js';
export {
  OPTIMIZER_BIN,
  OPTIMIZER_FORMAT_VERSION,
  OPTIMIZER_HEADER_BYTES,
  OPTIMIZER_MAGIC,
  type OptimizerStateRecord,
  optimizerStateFromBytes,
  optimizerStateToBytes,
} from './optimizer-state.js';

/** The topology file of a model directory. */
export const MODEL_JSON = 'model.json';
/**
 * The weights file name in in-memory artifacts (a browser download) and in directories written by tfjs or by
 * shardprop before generations; `saveModel` names it by generation instead (`weights.<n>.bin`, see
 * `data-files.ts`). Readers take the name from `weightsManifest`, never from this constant.
 */
export const WEIGHTS_BIN = 'weights.bin';
/** `generatedBy` in a shardprop model.json. */
export const GENERATED_BY = 'shardprop';

/** A group of a `weightsManifest`: its weights are stored, in order, across its files. */
export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpecJson[];
}

/** A shardprop model.json (TensorFlow.js Layers format plus the `shardprop` section). */
export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: SequentialTopologyJson;
  weightsManifest: WeightsManifestGroup[];
  /** Metadata, and the CRC-32 of `weights.bin` under the reserved key `weightsCrc32`. */
  shardprop: ShardpropMeta & { weightsCrc32: number };
}

/** A model's two files, in memory. */
export interface ModelArtifacts {
  modelJson: ModelJson;
  /** The bytes of `weights.bin`: the parameters as little-endian float32. */
  weightData: Uint8Array;
}

/** What reading a model gives back. */
export interface LoadedModel {
  /** The validated spec (initialisers filled in). */
  spec: ModelSpec;
  /** The flat parameters, in {@link paramLayout} order; a fresh array. */
  params: Float32Array;
  /** The `shardprop` section (without the reserved checksum key); `undefined` for a model written by others. */
  meta: ShardpropMeta | undefined;
}

/** A weight spec as tfjs takes it (any dtype; quantisation kept). */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  [key: string]: unknown;
}

/** A Keras training config as tfjs types it (`tf.io.TrainingConfig`), declared here to avoid importing tfjs. */
export interface TfjsTrainingConfig {
  optimizer_config: object;
  loss: string | string[] | { [output: string]: string };
  metrics?: string[] | { [output: string]: string };
  weighted_metrics?: string[];
  sample_weight_mode?: string;
  loss_weights?: number[] | { [output: string]: number };
}

/**
 * What `tf.io.fromMemory` takes and a `{ load }` handler returns: assignable to `tf.io.ModelArtifacts` (a
 * typecheck test holds it to that), built without importing tfjs.
 */
export interface TfjsModelArtifacts {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs: TfjsWeightSpec[];
  weightData: ArrayBuffer;
  trainingConfig?: TfjsTrainingConfig;
  /** JSON values (tfjs types them as non-null). */
  userDefinedMetadata?: Record<string, NonNullable<unknown>>;
}

/**
 * The model files of a spec and its parameters.
 *
 * @param params `paramLayout(spec).paramCount` values (copied bit for bit)
 * @param meta the `shardprop` section; `formatVersion` is set to 1. Must be JSON values only.
 * @param topology what the Keras topology records beyond the spec (the kernel regularizer training used)
 * @throws ModelSpecError for an invalid spec, RangeError for a wrong parameter count, ModelFormatError for
 *   metadata that cannot be written as JSON or would not read back
 */
export function modelToArtifacts(
  spec: ModelSpec,
  params: Float32Array,
  meta?: ShardpropMetaInput,
  topology?: TopologyOptions,
): ModelArtifacts {
  const s = validateSpec(spec);
  const layout = paramLayout(s);
  if (!(params instanceof Float32Array)) throw new TypeError('params must be a Float32Array');
  if (params.length !== layout.paramCount) {
    throw new RangeError(`params has ${params.length} values, the spec needs ${layout.paramCount}`);
  }
  const section = checkMeta(meta ?? {}, s.inputSize, false, failModelJson);
  const weightData = new Uint8Array(params.length * 4);
  writeFloat32LE(params, weightData);
  const built = buildTopology(s, topology);
  const weights = built.weights;
  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    modelTopology: built.topology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights }],
    shardprop: { ...section, [WEIGHTS_CRC_KEY]: crc32(weightData) },
  };
  return { modelJson, weightData };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function showShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function asBytes(data: Uint8Array | ArrayBuffer): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('weight data must be a Uint8Array or an ArrayBuffer');
}

function checkFormat(modelJson: unknown): Record<string, unknown> {
  if (!isRecord(modelJson)) failModelJson('must be a JSON object');
  const json = modelJson as Record<string, unknown>;
  if (json.format !== undefined && json.format !== 'layers-model') {
    failModelJson(
      `format ${JSON.stringify(json.format)} is not supported; shardprop loads TensorFlow.js Layers models ("layers-model")`,
    );
  }
  return json;
}

interface ManifestWeight {
  name: string;
  /** The name without a `:0` suffix. */
  key: string;
  shape: number[];
  /** Byte offset in the concatenated weight data. */
  offset: number;
  size: number;
  used: boolean;
}

interface Manifest {
  paths: string[];
  weights: ManifestWeight[];
  totalBytes: number;
}

/**
 * The weight files `model.json` lists, in order (their concatenation is the weight data). Each must be a plain
 * relative path inside the model directory.
 */
export function weightFilePaths(modelJson: unknown): string[] {
  const paths: string[] = [];
  manifestGroups(checkFormat(modelJson)).forEach((group) => {
    for (const p of group.paths) {
      if (
        typeof p !== 'string' ||
        p === '' ||
        p.startsWith('/') ||
        p.startsWith('\\') ||
        /^[a-zA-Z]:/.test(p) ||
        /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ||
        p.split(/[\\/]/).some((part) => part === '..' || part === '')
      ) {
        failModelJson(`weight path ${JSON.stringify(p)} must name a file inside the model directory`);
      }
      paths.push(p as string);
    }
  });
  return paths;
}

function manifestGroups(json: Record<string, unknown>): Array<{ paths: unknown[]; weights: unknown[] }> {
  const groups = json.weightsManifest;
  if (!Array.isArray(groups)) failModelJson('weightsManifest must be an array of { paths, weights } groups');
  (groups as unknown[]).forEach((g, gi) => {
    if (!isRecord(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      failModelJson(`weightsManifest[${gi}] must be an object { paths, weights }`);
    }
  });
  return groups as Array<{ paths: unknown[]; weights: unknown[] }>;
}

/** The weight specs of all groups, in order, each checked to have a name and a shape. */
function manifestWeights(
  json: Record<string, unknown>,
): Array<Record<string, unknown> & { name: string; shape: number[] }> {
  return manifestGroups(json).flatMap((group, gi) =>
    group.weights.map((w) => {
      if (!isRecord(w) || typeof w.name !== 'string')
        failModelJson(`weightsManifest[${gi}] has a weight without a name`);
      const e = w as Record<string, unknown> & { name: string };
      if (!Array.isArray(e.shape) || !e.shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
        failModelJson(`weight "${e.name}" has an invalid shape ${JSON.stringify(e.shape)}`);
      }
      return e as Record<string, unknown> & { name: string; shape: number[] };
    }),
  );
}

function readManifest(json: Record<string, unknown>): Manifest {
  const paths = weightFilePaths(json);
  const weights: ManifestWeight[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const e of manifestWeights(json)) {
    const { name, shape } = e;
    if (e.quantization !== undefined && e.quantization !== null) {
      const q = isRecord(e.quantization) ? ` (${String(e.quantization.dtype)})` : '';
      failModelJson(`weight "${name}" is quantized${q}; shardprop loads unquantized float32 weights`);
    }
    if (e.dtype !== 'float32') {
      failModelJson(`weight "${name}" has dtype ${JSON.stringify(e.dtype)}; shardprop loads float32 weights`);
    }
    if (names.has(name)) failModelJson(`weight "${name}" appears twice in weightsManifest`);
    names.add(name);
    const size = shape.reduce((a, b) => a * b, 1);
    weights.push({ name, key: name.replace(/:\d+$/, ''), shape, offset, size, used: false });
    offset += size * 4;
  }
  return { paths, weights, totalBytes: offset };
}

/** The label for the weight data in messages: its file, or its files joined with ` + `. */
function weightsLabel(paths: readonly string[]): string {
  return paths.length === 0 ? WEIGHTS_BIN : paths.join(' + ');
}

/** Finds the one weight `<name>/<kind>` (any prefix before the layer name), or `undefined`. */
function byName(weights: ManifestWeight[], layerName: string | undefined, kind: string): ManifestWeight | undefined {
  if (layerName === undefined) return undefined;
  const full = `${layerName}/${kind}`;
  const found = weights.filter((w) => w.key === full || w.key.endsWith(`/${full}`));
  return found.length === 1 ? found[0] : undefined;
}

/** Pairs every Dense layer with its kernel and bias: by name when names identify them all, else in order. */
function matchWeights(dense: DenseEntry[], manifest: Manifest): Array<[ManifestWeight, ManifestWeight]> {
  const ws = manifest.weights;
  const named = dense.map((d) => [byName(ws, d.name, 'kernel'), byName(ws, d.name, 'bias')] as const);
  const all = named.flat();
  if (all.every((w) => w !== undefined) && new Set(all).size === all.length) {
    return named as Array<[ManifestWeight, ManifestWeight]>;
  }
  if (ws.length !== 2 * dense.length) {
    failModelJson(
      `weightsManifest has ${ws.length} weights, the ${dense.length} Dense layers need ${2 * dense.length} (a kernel and a bias each)`,
    );
  }
  return dense.map((d, i) => {
    const kernel = ws[2 * i];
    const bias = ws[2 * i + 1];
    for (const [w, kind] of [
      [kernel, 'kernel'],
      [bias, 'bias'],
    ] as const) {
      const base = w.key.slice(w.key.lastIndexOf('/') + 1);
      if (base !== kind) {
        failModelJson(
          `weight "${w.name}" is where layer ${d.position} (class "Dense"${d.name ? `, name "${d.name}"` : ''})'s ${kind} should be, but its name does not end in "/${kind}"`,
        );
      }
    }
    return [kernel, bias];
  });
}

/**
 * Reads a model from its `model.json` (parsed) and its weight data (all weight files concatenated in manifest
 * order). See the module comment for what is accepted.
 *
 * @throws ModelFormatError naming the file (`model.json` or the weight files), the layer or weight, and the
 *   problem
 */
export function modelFromArtifacts(modelJson: unknown, weightData: Uint8Array | ArrayBuffer): LoadedModel {
  const json = checkFormat(modelJson);
  const bytes = asBytes(weightData);
  const { inputSize, dense } = parseTopology(json);
  let spec: ModelSpec;
  try {
    spec = validateSpec({ inputSize, layers: dense.map((d) => d.layer) });
  } catch (e) {
    if (e instanceof ModelSpecError) failModelJson(e.message);
    throw e;
  }
  const manifest = readManifest(json);
  const pairs = matchWeights(dense, manifest);
  dense.forEach((d, i) => {
    const [kernel, bias] = pairs[i];
    const expectK = [d.inSize, d.layer.units];
    const expectB = [d.layer.units];
    for (const [w, expected] of [
      [kernel, expectK],
      [bias, expectB],
    ] as const) {
      if (w.shape.length !== expected.length || w.shape.some((x, j) => x !== expected[j])) {
        failModelJson(`weight "${w.name}" has shape ${showShape(w.shape)}, expected ${showShape(expected)}`);
      }
      w.used = true;
    }
  });
  const unused = manifest.weights.find((w) => !w.used);
  if (unused) failModelJson(`weight "${unused.name}" does not belong to any Dense layer`);

  const label = weightsLabel(manifest.paths);
  if (bytes.byteLength !== manifest.totalBytes) {
    const count = manifest.totalBytes / 4;
    throw new ModelFormatError(
      label,
      `expected ${manifest.totalBytes} bytes for ${count} float32 parameters, got ${bytes.byteLength}` +
        (bytes.byteLength < manifest.totalBytes ? ' (truncated)' : ''),
    );
  }
  const section = json.shardprop;
  let meta: ShardpropMeta | undefined;
  if (section !== undefined) {
    const checked = checkMeta(section, inputSize, true, failModelJson);
    const stored = checked[WEIGHTS_CRC_KEY];
    if (typeof stored === 'number') {
      const actual = crc32(bytes);
      if (actual !== stored) {
        throw new ModelFormatError(
          label,
          `checksum mismatch (model.json has ${hex32(stored)}, the data has ${hex32(actual)}); the file is corrupt, was changed, or belongs to another save`,
        );
      }
    }
    delete checked[WEIGHTS_CRC_KEY];
    delete checked[DATA_FILES_KEY];
    meta = checked;
  }

  const layout = paramLayout(spec);
  const params = new Float32Array(layout.paramCount);
  layout.layers.forEach((l, i) => {
    const [kernel, bias] = pairs[i];
    readFloat32LE(bytes.subarray(kernel.offset), kernel.size, params, l.kernelOffset);
    readFloat32LE(bytes.subarray(bias.offset), bias.size, params, l.biasOffset);
  });
  return { spec, params, meta };
}

/**
 * The model as `tf.io.fromMemory` / a custom `{ load }` handler hands it to `tf.loadLayersModel`:
 * `tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(a.modelJson, a.weightData)))`. Works for any Layers
 * model.json, not only shardprop's (any dtype); the `shardprop` section is left out (tfjs has no use for it).
 */
export function toTfjsArtifacts(modelJson: unknown, weightData: Uint8Array | ArrayBuffer): TfjsModelArtifacts {
  const json = checkFormat(modelJson);
  if (!isRecord(json.modelTopology)) failModelJson('modelTopology is missing');
  const bytes = asBytes(weightData);
  const out: TfjsModelArtifacts = {
    modelTopology: json.modelTopology as object,
    weightSpecs: manifestWeights(json).map((w) => ({ ...w }) as TfjsWeightSpec),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  };
  if (typeof json.format === 'string') out.format = json.format;
  if (typeof json.generatedBy === 'string') out.generatedBy = json.generatedBy;
  if (typeof json.convertedBy === 'string' || json.convertedBy === null) out.convertedBy = json.convertedBy;
  // Passed through as the file has it: tfjs reads it only to compile the model, and reports a bad one itself.
  if (isRecord(json.trainingConfig)) out.trainingConfig = json.trainingConfig as unknown as TfjsTrainingConfig;
  if (isRecord(json.userDefinedMetadata)) {
    out.userDefinedMetadata = json.userDefinedMetadata as Record<string, NonNullable<unknown>>;
  }
  return out;
}
