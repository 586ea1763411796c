/**
 * Parameter initialisation, as Keras defines each initialiser (fan-in/fan-out of a dense kernel are its input
 * and output widths). Every value comes from one seeded stream, layer by layer, kernel before bias, so a seed
 * fixes the initial weights exactly.
 */
import { Rng } from '../random.js';
import type { FloatArray } from '../types.js';
import type { InitializerName } from './initializer-names.js';
import type { ParamLayout } from './layout.js';
import type { ModelSpec } from './spec.js';

/** Fills `out[off .. off+count)` for a tensor with the given fans. */
export function initialize(
  name: InitializerName,
  out: FloatArray,
  off: number,
  count: number,
  fanIn: number,
  fanOut: number,
  rng: Rng,
): void {
  const end = off + count;
  switch (name) {
    case 'zeros':
      out.fill(0, off, end);
      return;
    case 'ones':
      out.fill(1, off, end);
      return;
    case 'glorotUniform':
      fillUniform(out, off, end, Math.sqrt(6 / (fanIn + fanOut)), rng);
      return;
    case 'heUniform':
      fillUniform(out, off, end, Math.sqrt(6 / fanIn), rng);
      return;
    case 'lecunUniform':
      fillUniform(out, off, end, Math.sqrt(3 / fanIn), rng);
      return;
    case 'glorotNormal':
      fillTruncatedNormal(out, off, end, Math.sqrt(2 / (fanIn + fanOut)), rng);
      return;
    case 'heNormal':
      fillTruncatedNormal(out, off, end, Math.sqrt(2 / fanIn), rng);
      return;
    case 'lecunNormal':
      fillTruncatedNormal(out, off, end, Math.sqrt(1 / fanIn), rng);
      return;
  }
}

function fillUniform(out: FloatArray, off: number, end: number, limit: number, rng: Rng): void {
  for (let i = off; i < end; i++) out[i] = rng.uniform(-limit, limit);
}

// Keras's *Normal variance-scaling initialisers draw from a normal truncated at two standard deviations,
// rescaled by 0.8796 so the truncated distribution keeps the requested variance.
function fillTruncatedNormal(out: FloatArray, off: number, end: number, std: number, rng: Rng): void {
  const s = std / 0.87962566103423978;
  for (let i = off; i < end; i++) {
    let v = rng.normal();
    while (v < -2 || v > 2) v = rng.normal();
    out[i] = v * s;
  }
}

/** Initialises every parameter of a model from `seed`. */
export function initializeParams(spec: ModelSpec, layout: ParamLayout, out: FloatArray, seed: number): void {
  const rng = new Rng(seed);
  for (const l of layout.layers) {
    const layer = spec.layers[l.index];
    initialize(
      layer.kernelInitializer ?? 'glorotUniform',
      out,
      l.kernelOffset,
      l.inSize * l.outSize,
      l.inSize,
      l.outSize,
      rng,
    );
    initialize(layer.biasInitializer ?? 'zeros', out, l.biasOffset, l.outSize, l.inSize, l.outSize, rng);
  }
}
