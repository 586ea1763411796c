/**
 * The Keras/TensorFlow.js Layers topology of a shardprop model: building it (exactly as tfjs-layers 4.22
 * serialises a Sequential of Dense layers) and reading one back into a {@link ModelSpec}.
 */
import { ACTIVATIONS, type ActivationName } from '../model/activation-names.js';
import type { InitializerName } from '../model/initializer-names.js';
import type { LayerSpec, ModelSpec } from '../model/spec.js';
import { show } from '../show.js';
import { failModelJson } from './meta.js';

/** `keras_version` as tfjs-layers 4.22 writes it. */
export const KERAS_VERSION = 'tfjs-layers 4.22.0';
/** `backend` as tfjs-layers writes it. */
export const KERAS_BACKEND = 'tensor_flow.js';
/** The slope our leakyRelu uses (as `tf.leakyRelu`); a `LeakyReLU` layer must have this alpha to load. */
const LEAKY_ALPHA = 0.2;

/** A serialised Keras object: `{ class_name, config }`. */
export interface KerasObjectJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** The `modelTopology` of a shardprop model.json. */
export interface SequentialTopologyJson {
  class_name: 'Sequential';
  config: { name: string; layers: KerasObjectJson[] };
  keras_version: string;
  backend: string;
}

/** One entry of a `weightsManifest` group. */
export interface WeightSpecJson {
  name: string;
  shape: number[];
  dtype: 'float32';
}

const VARIANCE_SCALING: Record<string, [scale: number, mode: string, distribution: string]> = {
  glorotUniform: [1, 'fan_avg', 'uniform'],
  glorotNormal: [1, 'fan_avg', 'normal'],
  heUniform: [2, 'fan_in', 'uniform'],
  heNormal: [2, 'fan_in', 'normal'],
  lecunUniform: [1, 'fan_in', 'uniform'],
  lecunNormal: [1, 'fan_in', 'normal'],
};

/** An initialiser as tfjs-layers serialises it (every variance-scaling one as `VarianceScaling`). */
function initializerJson(name: InitializerName): KerasObjectJson {
  if (name === 'zeros') return { class_name: 'Zeros', config: {} };
  if (name === 'ones') return { class_name: 'Ones', config: {} };
  const [scale, mode, distribution] = VARIANCE_SCALING[name];
  return { class_name: 'VarianceScaling', config: { scale, mode, distribution, seed: null } };
}

/** What the topology records about training beyond the spec. */
export interface TopologyOptions {
  /**
   * The kernel penalties training used (`fit`'s `l1`, `l2`): written as Keras' `L1L2` `kernel_regularizer` on
   * every Dense layer, so a model trained further in tfjs or Keras is penalized the same way. Omitted when both are 0.
   */
  kernelRegularizer?: { l1: number; l2: number };
}

/** The `L1L2` regularizer as tfjs-layers serialises it, or null when there is no penalty. */
function regularizerJson(r: TopologyOptions['kernelRegularizer']): KerasObjectJson | null {
  if (!r || (r.l1 === 0 && r.l2 === 0)) return null;
  return { class_name: 'L1L2', config: { l1: r.l1, l2: r.l2 } };
}

/** The topology and weight specs of a validated spec; weight names are `dense_<i>/kernel`, `dense_<i>/bias`. */
export function buildTopology(
  spec: ModelSpec,
  options: TopologyOptions = {},
): { topology: SequentialTopologyJson; weights: WeightSpecJson[] } {
  const kernelRegularizer = regularizerJson(options.kernelRegularizer);
  const layers: KerasObjectJson[] = [];
  const weights: WeightSpecJson[] = [];
  let inSize = spec.inputSize;
  let leaky = 0;
  let dropouts = 0;
  spec.layers.forEach((l, i) => {
    const name = `dense_${i + 1}`;
    const config: Record<string, unknown> = {
      units: l.units,
      activation: l.activation === 'leakyRelu' ? 'linear' : l.activation,
      use_bias: true,
      kernel_initializer: initializerJson(l.kernelInitializer ?? 'glorotUniform'),
      bias_initializer: initializerJson(l.biasInitializer ?? 'zeros'),
      kernel_regularizer: kernelRegularizer,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      name,
      trainable: true,
    };
    if (i === 0) {
      config.batch_input_shape = [null, spec.inputSize];
      config.dtype = 'float32';
    }
    layers.push({ class_name: 'Dense', config });
    if (l.activation === 'leakyRelu') {
      leaky++;
      layers.push({
        class_name: 'LeakyReLU',
        config: { alpha: LEAKY_ALPHA, name: `leaky_re_lu_${leaky}`, trainable: true },
      });
    }
    if (l.dropout !== undefined && l.dropout > 0) {
      dropouts++;
      // As tfjs-layers serialises tf.layers.dropout({ rate }); it has no weights.
      layers.push({
        class_name: 'Dropout',
        config: { rate: l.dropout, noise_shape: null, seed: null, name: `dropout_${dropouts}`, trainable: true },
      });
    }
    weights.push({ name: `${name}/kernel`, shape: [inSize, l.units], dtype: 'float32' });
    weights.push({ name: `${name}/bias`, shape: [l.units], dtype: 'float32' });
    inSize = l.units;
  });
  return {
    topology: {
      class_name: 'Sequential',
      config: { name: 'sequential_1', layers },
      keras_version: KERAS_VERSION,
      backend: KERAS_BACKEND,
    },
    weights,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** A Dense layer read from model.json, before its weights are matched. */
export interface DenseEntry {
  /** 1-based position in model.json's layer list (for messages). */
  position: number;
  /** The layer's `name`, used to find its weights. */
  name: string | undefined;
  inSize: number;
  layer: LayerSpec;
  /** Whether the activation came from the Dense layer's own config or a following activation layer. */
  activationFrom: string;
}

export interface ParsedTopology {
  inputSize: number;
  dense: DenseEntry[];
}

const NOT_SUPPORTED = 'shardprop loads Sequential models of Dense layers';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The first defined value among the keys (snake_case and camelCase spellings). */
function pick(config: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (config[k] !== undefined) return config[k];
  return undefined;
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

/** The feature count of a layer's declared input shape, `undefined` when it declares none. */
function declaredInputSize(config: Record<string, unknown>, where: string): number | undefined {
  const batch = pick(config, 'batch_input_shape', 'batchInputShape', 'batch_shape', 'batchShape');
  let shape: unknown[] | undefined;
  if (batch !== undefined && batch !== null) {
    if (!Array.isArray(batch) || batch.length < 1)
      failModelJson(`${where}: batch_input_shape must be an array, got ${show(batch)}`);
    shape = (batch as unknown[]).slice(1);
    const b = (batch as unknown[])[0];
    if (b !== null && !isPositiveInt(b)) failModelJson(`${where}: batch_input_shape has batch size ${show(b)}`);
  } else {
    const input = pick(config, 'input_shape', 'inputShape');
    if (input !== undefined && input !== null) {
      if (!Array.isArray(input)) failModelJson(`${where}: input_shape must be an array, got ${show(input)}`);
      shape = input as unknown[];
    }
  }
  if (shape === undefined) return undefined;
  if (shape.length !== 1 || !isPositiveInt(shape[0])) {
    const full = show(batch ?? pick(config, 'input_shape', 'inputShape'));
    failModelJson(
      `${where}: input shape ${full} is not supported; shardprop loads models of flat inputs [batch, features]`,
    );
  }
  return shape[0] as number;
}

const INITIALIZER_CLASSES: Record<string, InitializerName> = {
  glorotuniform: 'glorotUniform',
  glorotnormal: 'glorotNormal',
  heuniform: 'heUniform',
  henormal: 'heNormal',
  lecununiform: 'lecunUniform',
  lecunnormal: 'lecunNormal',
  zeros: 'zeros',
  zero: 'zeros',
  ones: 'ones',
  one: 'ones',
};

/**
 * Our name for a serialised initialiser, or `undefined` for one we do not have (then the spec keeps the Keras
 * default). Initialisers only matter when a model is initialised afresh, never for loaded weights.
 */
function parseInitializer(v: unknown): InitializerName | undefined {
  if (typeof v === 'string') return INITIALIZER_CLASSES[v.replace(/_/g, '').toLowerCase()];
  if (!isRecord(v) || typeof v.class_name !== 'string') return undefined;
  const cls = v.class_name.replace(/_/g, '').toLowerCase();
  if (cls !== 'variancescaling') return INITIALIZER_CLASSES[cls];
  const c = isRecord(v.config) ? v.config : {};
  const distribution = c.distribution === 'uniform' ? 'uniform' : 'normal';
  if (
    c.distribution !== 'uniform' &&
    c.distribution !== 'normal' &&
    c.distribution !== 'truncated_normal' &&
    c.distribution !== undefined
  ) {
    return undefined;
  }
  for (const [name, [scale, mode, dist]] of Object.entries(VARIANCE_SCALING)) {
    if (c.scale === scale && (c.mode ?? 'fan_in') === mode && dist === distribution) return name as InitializerName;
  }
  return undefined;
}

const ACTIVATION_STRINGS: Record<string, ActivationName> = {
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  relu: 'relu',
  elu: 'elu',
  softmax: 'softmax',
  linear: 'linear',
  // Not tfjs activations, but Keras 3 has `leaky_relu` with our slope as its default.
  leakyrelu: 'leakyRelu',
  leaky_relu: 'leakyRelu',
};

function parseActivationString(v: unknown, where: string): ActivationName {
  if (v === undefined || v === null) return 'linear';
  const name = typeof v === 'string' ? (ACTIVATION_STRINGS[v] ?? ACTIVATION_STRINGS[v.toLowerCase()]) : undefined;
  if (name) return name;
  failModelJson(
    `${where}: activation ${show(v)} is not supported (shardprop supports ${ACTIVATIONS.filter((a) => a !== 'leakyRelu').join(', ')}, and LeakyReLU with alpha ${LEAKY_ALPHA})`,
  );
  return 'linear';
}

function near(a: unknown, b: number): boolean {
  return typeof a === 'number' && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

/** The activation an activation-type layer applies, `undefined` when the class is not one. */
function activationLayer(cls: string, config: Record<string, unknown>, where: string): ActivationName | undefined {
  switch (cls) {
    case 'Activation':
      return parseActivationString(config.activation, where);
    case 'LeakyReLU': {
      const alpha = pick(config, 'alpha', 'negative_slope', 'negativeSlope') ?? 0.3;
      if (!near(alpha, LEAKY_ALPHA)) {
        failModelJson(
          `${where}: alpha ${show(alpha)} is not supported; shardprop's leakyRelu has alpha ${LEAKY_ALPHA} (as tf.leakyRelu)`,
        );
      }
      return 'leakyRelu';
    }
    case 'ELU': {
      const alpha = config.alpha ?? 1;
      if (!near(alpha, 1))
        failModelJson(`${where}: alpha ${show(alpha)} is not supported; shardprop's elu has alpha 1`);
      return 'elu';
    }
    case 'ReLU': {
      const max = pick(config, 'max_value', 'maxValue');
      const threshold = config.threshold ?? 0;
      const slope = pick(config, 'negative_slope', 'negativeSlope') ?? 0;
      if ((max !== undefined && max !== null) || threshold !== 0) {
        failModelJson(`${where}: max_value and threshold are not supported; shardprop's relu is max(x, 0)`);
      }
      if (slope === 0) return 'relu';
      if (near(slope, LEAKY_ALPHA)) return 'leakyRelu';
      failModelJson(`${where}: negative_slope ${show(slope)} is not supported (0 or ${LEAKY_ALPHA})`);
      return undefined;
    }
    case 'Softmax': {
      const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : config.axis;
      if (axis !== undefined && axis !== -1 && axis !== 1) {
        failModelJson(`${where}: softmax over axis ${show(config.axis)} is not supported (only the last axis)`);
      }
      return 'softmax';
    }
    default:
      return undefined;
  }
}

/** Reads the layer list of a Sequential topology (tfjs, Keras 2 and Keras 3 spellings). */
export function parseTopology(modelJson: Record<string, unknown>): ParsedTopology {
  let topology = modelJson.modelTopology;
  if (!isRecord(topology)) failModelJson('modelTopology is missing (is this a TensorFlow.js Layers model.json?)');
  let t = topology as Record<string, unknown>;
  // tensorflowjs_converter wraps the Keras model config: { keras_version, backend, model_config: {...} }.
  if (isRecord(t.model_config)) t = t.model_config;
  topology = t;
  if (t.class_name !== 'Sequential') {
    failModelJson(`model class ${show(t.class_name)} is not supported; ${NOT_SUPPORTED}`);
  }
  const config = t.config;
  const layers = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
  if (!Array.isArray(layers) || layers.length === 0) {
    failModelJson('modelTopology.config.layers must be a non-empty array of layers');
  }
  let inputSize: number | undefined;
  const dense: DenseEntry[] = [];
  (layers as unknown[]).forEach((raw, i) => {
    const position = i + 1;
    if (!isRecord(raw) || typeof raw.class_name !== 'string') {
      failModelJson(`layer ${position} must be an object with a class_name`);
    }
    const layer = raw as Record<string, unknown>;
    const cls = layer.class_name as string;
    const where = `layer ${position} (class "${cls}")`;
    const c = isRecord(layer.config) ? layer.config : {};
    if (cls === 'InputLayer') {
      if (i !== 0) failModelJson(`${where} must be the first layer`);
      inputSize = declaredInputSize(c, where);
      if (inputSize === undefined) failModelJson(`${where} has no batch_input_shape`);
      return;
    }
    if (cls === 'Dense') {
      if (dense.length === 0 && inputSize === undefined) {
        inputSize = declaredInputSize(c, where);
        const build = isRecord(layer.build_config) ? declaredInputSize(layer.build_config, where) : undefined;
        inputSize ??= build;
        if (inputSize === undefined) {
          failModelJson(`${where} has no batch_input_shape, so the model's input size is unknown`);
        }
      }
      const units = c.units;
      if (!isPositiveInt(units)) failModelJson(`${where}: units must be a positive integer, got ${show(units)}`);
      const useBias = pick(c, 'use_bias', 'useBias') ?? true;
      if (useBias !== true) {
        failModelJson(`${where}: use_bias ${show(useBias)} is not supported; shardprop's Dense layers have a bias`);
      }
      const activation = parseActivationString(c.activation, where);
      const name = typeof c.name === 'string' ? c.name : typeof layer.name === 'string' ? layer.name : undefined;
      const spec: LayerSpec = { units: units as number, activation };
      const ki = parseInitializer(pick(c, 'kernel_initializer', 'kernelInitializer'));
      const bi = parseInitializer(pick(c, 'bias_initializer', 'biasInitializer'));
      if (ki) spec.kernelInitializer = ki;
      if (bi) spec.biasInitializer = bi;
      const prev = dense[dense.length - 1];
      dense.push({
        position,
        name,
        inSize: prev ? prev.layer.units : (inputSize as number),
        layer: spec,
        activationFrom: where,
      });
      return;
    }
    if (cls === 'Dropout') {
      // Training-only: the rate is kept in the spec (to resume training the same way); inference ignores it.
      const target = dense[dense.length - 1];
      if (!target) failModelJson(`${where} comes before any Dense layer; ${NOT_SUPPORTED}`);
      const rate = c.rate ?? 0;
      if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
        failModelJson(`${where}: rate must be a number in [0, 1), got ${show(c.rate)}`);
      }
      const noise = pick(c, 'noise_shape', 'noiseShape');
      if (noise !== undefined && noise !== null) {
        failModelJson(`${where}: noise_shape is not supported; shardprop drops each unit independently`);
      }
      if ((rate as number) > 0) {
        const before = target.layer.dropout;
        // Two dropouts in a row keep a unit with probability (1 - a)(1 - b); one keeps its rate exactly.
        target.layer.dropout = before === undefined ? (rate as number) : 1 - (1 - before) * (1 - (rate as number));
      }
      return;
    }
    const act = activationLayer(cls, c, where);
    if (act === undefined) failModelJson(`${where} is not supported; ${NOT_SUPPORTED}`);
    const target = dense[dense.length - 1];
    if (!target) failModelJson(`${where} comes before any Dense layer; ${NOT_SUPPORTED}`);
    if (act === 'linear') return;
    if (target.layer.activation !== 'linear') {
      failModelJson(
        `${where} applies ${act} after ${target.activationFrom}'s ${target.layer.activation}; shardprop supports one activation per Dense layer`,
      );
    }
    target.layer.activation = act as ActivationName;
    target.activationFrom = where;
  });
  if (dense.length === 0) failModelJson(`the model has no Dense layer; ${NOT_SUPPORTED}`);
  // Dropout after the output layer changes nothing shardprop computes: inference ignores it, and training here
  // applies dropout to hidden layers only.
  delete dense[dense.length - 1].layer.dropout;
  dense.forEach((d, i) => {
    if (d.layer.activation === 'softmax' && i !== dense.length - 1) {
      failModelJson(`${d.activationFrom}: softmax is only supported on the output layer`);
    }
  });
  return { inputSize: inputSize as number, dense };
}
