/**
 * `Mlp`: a validated spec, its parameter layout and its flat float32 parameters. The object is deliberately
 * thin; training, evaluation and serialisation are functions over it.
 */
import { jsKernels } from '../kernels/kernels.js';
import { forwardRows } from '../train/step.js';
import { createWorkspace, type Workspace } from '../train/workspace.js';
import { initializeParams } from './init.js';
import { type ParamLayout, paramLayout } from './layout.js';
import { type ModelSpec, validateSpec } from './spec.js';

/** Rows per forward chunk in `predict`: large enough for efficient products, small enough to stay in cache. */
const PREDICT_CHUNK_ROWS = 256;

export interface CreateOptions {
  /** Seed for the initialisers (default 1). */
  seed?: number;
}

export class Mlp {
  readonly spec: ModelSpec;
  readonly layout: ParamLayout;
  /** All weights and biases, flat: per layer the `[in x out]` kernel then the `[out]` bias. */
  readonly params: Float32Array;
  private predictWs: Workspace<Float32Array> | null = null;

  /**
   * Wraps existing parameters (not copied) or, without `params`, allocates zeros. Use `Mlp.create` for an
   * initialised model.
   */
  constructor(spec: ModelSpec, params?: Float32Array) {
    this.spec = validateSpec(spec);
    this.layout = paramLayout(this.spec);
    if (params && params.length !== this.layout.paramCount) {
      throw new RangeError(`params has ${params.length} values, the model needs ${this.layout.paramCount}`);
    }
    this.params = params ?? new Float32Array(this.layout.paramCount);
  }

  /** A new model with parameters drawn from each layer's initialisers. */
  static create(spec: ModelSpec, options: CreateOptions = {}): Mlp {
    const model = new Mlp(spec);
    initializeParams(model.spec, model.layout, model.params, options.seed ?? 1);
    return model;
  }

  get paramCount(): number {
    return this.layout.paramCount;
  }

  get inputSize(): number {
    return this.layout.inputSize;
  }

  get outputSize(): number {
    return this.layout.outputSize;
  }

  /** A deep copy (parameters copied). */
  clone(): Mlp {
    return new Mlp(this.spec, this.params.slice());
  }

  /**
   * Forward pass over `rows` rows of `x` (`rows x inputSize`, row-major); returns `rows x outputSize` outputs.
   * @param out optional destination, reused to avoid allocation.
   */
  predict(x: Float32Array, rows = x.length / this.inputSize, out?: Float32Array): Float32Array {
    const { inputSize, outputSize } = this.layout;
    if (!Number.isInteger(rows) || rows < 0 || x.length < rows * inputSize) {
      throw new RangeError(`predict: x has ${x.length} values, not a whole number of rows of ${inputSize} features`);
    }
    const result = out ?? new Float32Array(rows * outputSize);
    if (result.length < rows * outputSize) throw new RangeError(`predict: out is too small for ${rows} rows`);
    this.predictWs ??= createWorkspace(this.layout, outputSize, PREDICT_CHUNK_ROWS, jsKernels.allocF32);
    const ws = this.predictWs;
    for (let start = 0; start < rows; start += PREDICT_CHUNK_ROWS) {
      const n = Math.min(PREDICT_CHUNK_ROWS, rows - start);
      ws.input.set(x.subarray(start * inputSize, (start + n) * inputSize));
      const y = forwardRows(jsKernels, this.layout, this.params, ws, n);
      result.set(y.subarray(0, n * outputSize), start * outputSize);
    }
    return result;
  }
}
