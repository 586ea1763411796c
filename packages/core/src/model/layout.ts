/**
 * Parameter layout: where each layer's kernel and bias live inside the one flat parameter vector. Computed once
 * per spec; every other part of the engine addresses parameters (and gradients, and optimizer state, which
 * share the layout) through these offsets.
 */
import type { ActivationName, ModelSpec } from './spec.js';

export interface DenseLayout {
  /** 0-based layer index. */
  index: number;
  inSize: number;
  outSize: number;
  activation: ActivationName;
  /** Offset of the kernel, `[inSize x outSize]` row-major (Keras layout). */
  kernelOffset: number;
  /** Offset of the bias, `[outSize]`. */
  biasOffset: number;
  /** Training-time dropout rate after the activation (0: none). */
  dropout: number;
}

export interface ParamLayout {
  inputSize: number;
  outputSize: number;
  layers: DenseLayout[];
  /** Total number of parameters (weights and biases). */
  paramCount: number;
  /** Widest layer (including the input): sizes the scratch buffers. */
  maxWidth: number;
}

/** Computes the flat layout of a validated spec: layer by layer, kernel then bias. */
export function paramLayout(spec: ModelSpec): ParamLayout {
  let offset = 0;
  let inSize = spec.inputSize;
  let maxWidth = inSize;
  const layers = spec.layers.map((layer, index): DenseLayout => {
    const kernelOffset = offset;
    const biasOffset = kernelOffset + inSize * layer.units;
    offset = biasOffset + layer.units;
    const dense: DenseLayout = {
      index,
      inSize,
      outSize: layer.units,
      activation: layer.activation,
      kernelOffset,
      biasOffset,
      dropout: layer.dropout ?? 0,
    };
    inSize = layer.units;
    if (inSize > maxWidth) maxWidth = inSize;
    return dense;
  });
  return { inputSize: spec.inputSize, outputSize: inSize, layers, paramCount: offset, maxWidth };
}

/** Forward FLOPs per row (2 per multiply-add plus the bias); backward costs about twice that. */
export function flopsPerRow(layout: ParamLayout): number {
  let flops = 0;
  for (const l of layout.layers) flops += 2 * l.inSize * l.outSize + l.outSize;
  return flops;
}

/**
 * Multiply-add FLOPs to train on one row: forward `x W`, backward `X^T dZ` for every layer and `dZ W^T` for all
 * but the first (elementwise work is not counted). Benchmarks divide this by time to report GFLOP/s.
 */
export function trainFlopsPerRow(layout: ParamLayout): number {
  let flops = 0;
  for (const l of layout.layers) flops += (l.index === 0 ? 4 : 6) * l.inSize * l.outSize;
  return flops;
}
