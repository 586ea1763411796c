/**
 * The model specification: what a user writes down to describe a network, and its validation. Everything that
 * is derived from a spec (parameter offsets, workspace sizes) lives in layout.ts.
 */
import { ACTIVATIONS, type ActivationName } from './activation-names.js';
import { INITIALIZERS, type InitializerName } from './initializer-names.js';

export type { ActivationName, InitializerName };

/** One dense layer: `y = activation(x W + b)`. */
export interface LayerSpec {
  /** Number of output units; a positive integer. */
  units: number;
  /** Keras activation name. */
  activation: ActivationName;
  /** Kernel initialiser; default `glorotUniform` as in Keras. */
  kernelInitializer?: InitializerName;
  /** Bias initialiser; default `zeros` as in Keras. */
  biasInitializer?: InitializerName;
  /**
   * Dropout rate after this layer's activation, in [0, 1): during training each unit's output is zeroed with this
   * probability and the kept ones are scaled by `1 / (1 - rate)` (Keras `Dropout`, inverted dropout); prediction
   * and evaluation ignore it. Hidden layers only; 0 (the default) means no dropout layer.
   */
  dropout?: number;
}

/** A multilayer perceptron: the input width and the dense layers after it, output last. */
export interface ModelSpec {
  inputSize: number;
  layers: LayerSpec[];
}

/** Raised for a model description that cannot be built; the message names the layer and the field. */
export class ModelSpecError extends Error {
  override name = 'ModelSpecError';
}

const ACTIVATION_ALIASES: Record<string, ActivationName> = {
  leakyrelu: 'leakyRelu',
  leaky_relu: 'leakyRelu',
  identity: 'linear',
  none: 'linear',
};

/** Resolves a user-supplied activation name (Keras spelling or a common alias) or throws. */
export function parseActivation(name: string, where = 'activation'): ActivationName {
  if ((ACTIVATIONS as readonly string[]).includes(name)) return name as ActivationName;
  const alias = ACTIVATION_ALIASES[name.toLowerCase()];
  if (alias) return alias;
  throw new ModelSpecError(`${where}: unknown activation "${name}" (expected one of ${ACTIVATIONS.join(', ')})`);
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

/**
 * Checks a spec and returns a normalised copy (initialisers filled in). Layers are numbered from 1 in messages,
 * counting from the first layer after the input.
 */
export function validateSpec(spec: ModelSpec): ModelSpec {
  if (spec === null || typeof spec !== 'object') throw new ModelSpecError('model spec must be an object');
  if (!isPositiveInt(spec.inputSize)) {
    throw new ModelSpecError(`inputSize must be a positive integer, got ${String(spec.inputSize)}`);
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) {
    throw new ModelSpecError('layers must be a non-empty array (list every layer after the input, output last)');
  }
  const layers = spec.layers.map((layer, i): LayerSpec => {
    const where = `layer ${i + 1}`;
    if (layer === null || typeof layer !== 'object') throw new ModelSpecError(`${where}: must be an object`);
    if (!isPositiveInt(layer.units)) {
      throw new ModelSpecError(`${where}: units must be a positive integer, got ${String(layer.units)}`);
    }
    const activation = parseActivation(String(layer.activation), `${where}`);
    if (activation === 'softmax' && i !== spec.layers.length - 1) {
      throw new ModelSpecError(`${where}: softmax is only supported on the output layer`);
    }
    const kernelInitializer = layer.kernelInitializer ?? 'glorotUniform';
    const biasInitializer = layer.biasInitializer ?? 'zeros';
    for (const [field, value] of [
      ['kernelInitializer', kernelInitializer],
      ['biasInitializer', biasInitializer],
    ] as const) {
      if (!(INITIALIZERS as readonly string[]).includes(value)) {
        throw new ModelSpecError(`${where}: unknown ${field} "${value}" (expected one of ${INITIALIZERS.join(', ')})`);
      }
    }
    const normalised: LayerSpec = { units: layer.units, activation, kernelInitializer, biasInitializer };
    const dropout = layer.dropout ?? 0;
    if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) {
      throw new ModelSpecError(`${where}: dropout must be a rate in [0, 1), got ${String(layer.dropout)}`);
    }
    if (dropout > 0 && i === spec.layers.length - 1) {
      throw new ModelSpecError(`${where}: dropout is only supported after hidden layers, not the output layer`);
    }
    // A rate of 0 is no dropout layer at all, so it trains (and saves) exactly as a model without one.
    if (dropout > 0) normalised.dropout = dropout;
    return normalised;
  });
  return { inputSize: spec.inputSize, layers };
}

/**
 * Dropout rates per hidden layer from one rate for every hidden layer or a list with one rate per hidden layer.
 * @throws ModelSpecError when a list has the wrong length (the rates themselves are checked by `validateSpec`)
 */
export function dropoutPerHiddenLayer(dropout: number | readonly number[], hiddenLayers: number): number[] {
  if (typeof dropout === 'number') return Array.from({ length: hiddenLayers }, () => dropout);
  if (dropout.length !== hiddenLayers) {
    throw new ModelSpecError(
      `dropout lists ${dropout.length} rate${dropout.length === 1 ? '' : 's'}, the model has ${hiddenLayers} hidden layer${hiddenLayers === 1 ? '' : 's'} (give one rate, or one per hidden layer)`,
    );
  }
  return [...dropout];
}

/**
 * Builds a spec from the CLI-style description: `units` lists every layer after the input, output last; hidden
 * layers share `activation`, the output layer uses `outputActivation`. `dropout` is one rate after every hidden
 * layer or a list with one rate per hidden layer (default none).
 */
export function mlpSpec(
  inputSize: number,
  units: readonly number[],
  activation: ActivationName = 'sigmoid',
  outputActivation: ActivationName = activation,
  dropout: number | readonly number[] = 0,
): ModelSpec {
  const rates = dropoutPerHiddenLayer(dropout, Math.max(0, units.length - 1));
  return validateSpec({
    inputSize,
    layers: units.map((u, i) => {
      const layer: LayerSpec = { units: u, activation: i === units.length - 1 ? outputActivation : activation };
      if (i < rates.length && rates[i] !== 0) layer.dropout = rates[i];
      return layer;
    }),
  });
}
