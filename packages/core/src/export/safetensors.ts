/**
 * safetensors export (browser-safe), laid out for PyTorch.
 *
 * The weights are those of a `torch.nn.Sequential` in which every Dense layer is two modules: `nn.Linear` at
 * index `2i` and its activation at index `2i + 1` (`nn.Sigmoid`, `nn.Tanh`, `nn.ReLU`,
 * `nn.LeakyReLU(negative_slope=0.2)`, `nn.ELU(alpha=1.0)`, `nn.Softmax(dim=-1)`, or `nn.Identity` for a linear
 * activation). So for the seed network 39-39-39-1 (sigmoid):
 *
 * ```
 * Sequential(Linear(39, 39), Sigmoid(), Linear(39, 39), Sigmoid(), Linear(39, 39), Sigmoid(), Linear(39, 1), Sigmoid())
 * tensors: 0.weight [39, 39], 0.bias [39], 2.weight, 2.bias, 4.weight, 4.bias, 6.weight [1, 39], 6.bias [1]
 * ```
 *
 * `<2i>.weight` is `[out, in]` (nn.Linear's layout: the transpose of shardprop's / Keras's `[in, out]` kernel),
 * `<2i>.bias` is `[out]`; all tensors are F32, little-endian, stored in that order without gaps. The file is the
 * safetensors format: an 8-byte little-endian header length `n`, `n` bytes of JSON header (padded with spaces so
 * the data starts at a multiple of 8), then the data. The header's `__metadata__` (string -> string) carries
 * `format: "pt"`, `producer: "shardprop"` and the entries of `exportMetadata`: `architecture` (JSON, with the
 * `sequential` module list above), `input_names`, `feature_names`, `target_names`, `class_labels`, `task`,
 * `loss`, `normalization` (JSON `{ mean, std, in_graph: false }`: the caller standardises inputs as
 * `(x - mean) / std` before the network), `output_description`, and `shardprop` (the whole metadata section).
 */

import { checkMeta, type ShardpropMeta, type ShardpropMetaInput } from '../io/meta.js';
import { paramLayout } from '../model/layout.js';
import { type ActivationName, type ModelSpec, ModelSpecError, parseActivation, validateSpec } from '../model/spec.js';
import {
  checkExportInputs,
  type ExportArchitecture,
  exportMetadata,
  float32Bytes,
  SafetensorsFormatError,
  transposedKernel,
} from './common.js';

/** Bytes per element of the safetensors dtypes. */
export const SAFETENSORS_DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** The largest header `parseSafetensors` reads (as the reference implementation: 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** A tensor entry of a safetensors header. */
export interface SafetensorsTensorInfo {
  dtype: string;
  shape: number[];
  /** `[begin, end)` byte offsets into the data that follows the header. */
  data_offsets: [number, number];
}

/** A parsed safetensors header: tensor entries and the optional `__metadata__`. */
export type SafetensorsHeader = { __metadata__?: Record<string, string> } & Record<
  string,
  SafetensorsTensorInfo | Record<string, string> | undefined
>;

/** A tensor of a parsed safetensors file. */
export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
  /** The tensor's bytes (a view into the file's bytes). */
  bytes: Uint8Array;
  /** The values, for dtype F32 (a copy, read little-endian); `undefined` for other dtypes. */
  data: Float32Array | undefined;
}

/** A parsed safetensors file. */
export interface ParsedSafetensors {
  /** `n`, the header's length in bytes (padding included). */
  headerLength: number;
  /** The header JSON as parsed. */
  header: SafetensorsHeader;
  /** `__metadata__`, or `{}`. */
  metadata: Record<string, string>;
  /** The tensors, in header order. */
  tensors: Record<string, SafetensorsTensor>;
}

/** The state-dict names of layer `i`'s (0-based) weight and bias. */
export function torchParamNames(layerIndex: number): { weight: string; bias: string } {
  return { weight: `${2 * layerIndex}.weight`, bias: `${2 * layerIndex}.bias` };
}

/**
 * The model's weights as a safetensors file for a PyTorch `nn.Sequential`; see the module comment for the
 * layout and the metadata.
 *
 * @param meta the model's `shardprop` metadata (e.g. `loadModel(dir).meta`); optional
 * @throws ModelSpecError, TypeError, RangeError or ExportError (metadata that does not fit the model,
 *   non-finite parameters)
 */
export function toSafetensors(spec: ModelSpec, params: Float32Array, meta?: ShardpropMetaInput): Uint8Array {
  const checked = checkExportInputs(spec, params, meta);
  const layout = paramLayout(checked.spec);
  const metadata: Record<string, string> = { format: 'pt', producer: 'shardprop' };
  for (const [k, v] of exportMetadata(checked.spec, checked.meta, { normalizationInGraph: false })) metadata[k] = v;

  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], values: Float32Array) => {
    const bytes = float32Bytes(values);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  };
  for (const l of layout.layers) {
    const names = torchParamNames(l.index);
    add(names.weight, [l.outSize, l.inSize], transposedKernel(params, l.kernelOffset, l.inSize, l.outSize));
    add(names.bias, [l.outSize], params.subarray(l.biasOffset, l.biasOffset + l.outSize));
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so that the data starts 8-byte aligned (8 + n is a multiple of 8).
  const n = json.byteLength + ((8 - (json.byteLength % 8)) % 8);
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + n);
  let at = 8 + n;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function fail(detail: string): never {
  throw new SafetensorsFormatError(`safetensors: ${detail}`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Reads a safetensors file and checks it as the reference implementation does: the header length fits the file,
 * the header is a JSON object, every tensor has a known dtype, a shape of non-negative integers and data offsets
 * whose size matches, the tensors cover the data exactly (no gaps, no overlaps), and `__metadata__` maps strings
 * to strings.
 * @throws SafetensorsFormatError naming the problem
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseSafetensors takes a Uint8Array');
  if (bytes.byteLength < 8) fail(`the file has ${bytes.byteLength} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES) fail(`the header length ${n} is larger than ${MAX_HEADER_BYTES} bytes`);
  if (8 + n > bytes.byteLength) {
    fail(`the header length ${n} runs past the end of the file (${bytes.byteLength} bytes; truncated?)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail('the header does not start with "{" (not a safetensors file?)');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRecord(header)) fail('the header must be a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const infos: Array<[string, SafetensorsTensorInfo]> = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(value)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
      }
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    if (!isRecord(value)) fail(`tensor "${name}" must be an object { dtype, shape, data_offsets }`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string' || SAFETENSORS_DTYPE_SIZES[dtype] === undefined) {
      fail(
        `tensor "${name}" has dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(SAFETENSORS_DTYPE_SIZES).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, expected an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[1] < offsets[0]) {
      fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with begin <= end`);
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_SIZES[dtype as string];
    const [begin, end] = offsets as [number, number];
    if (end - begin !== size) {
      fail(
        `tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${size} bytes, its data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    infos.push([name, { dtype: dtype as string, shape: [...(shape as number[])], data_offsets: [begin, end] }]);
  }
  const sorted = [...infos].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let expected = 0;
  for (const [name, info] of sorted) {
    const [begin, end] = info.data_offsets;
    if (begin !== expected) {
      fail(
        begin > expected
          ? `the data has a gap at byte ${expected} (tensor "${name}" starts at ${begin})`
          : `tensor "${name}" overlaps the tensor before it (starts at ${begin}, the previous one ends at ${expected})`,
      );
    }
    expected = end;
  }
  if (expected !== dataLength) {
    fail(
      expected > dataLength
        ? `the tensors need ${expected} bytes of data, the file has ${dataLength} (truncated?)`
        : `the file has ${dataLength} bytes of data, the tensors use ${expected} (trailing bytes)`,
    );
  }
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, info] of infos) {
    const [begin, end] = info.data_offsets;
    const tbytes = bytes.subarray(dataStart + begin, dataStart + end);
    let data: Float32Array | undefined;
    if (info.dtype === 'F32') {
      data = new Float32Array(tbytes.byteLength / 4);
      const tv = new DataView(tbytes.buffer, tbytes.byteOffset, tbytes.byteLength);
      for (let i = 0; i < data.length; i++) data[i] = tv.getFloat32(i * 4, true);
    }
    Object.defineProperty(tensors, name, {
      value: { dtype: info.dtype, shape: info.shape, dataOffsets: info.data_offsets, bytes: tbytes, data },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { headerLength: n, header: header as SafetensorsHeader, metadata, tensors };
}

/**
 * Reads back a model from a safetensors file in the layout `toSafetensors` writes (also after PyTorch has
 * trained it further, as long as the `architecture` metadata and the tensor names are kept, as
 * `examples/pytorch/train_ddp.py` does): the spec from `architecture`, the kernels transposed back to
 * `[in x out]`, and the metadata from the `shardprop` entry.
 * @throws SafetensorsFormatError naming the problem
 */
export function modelFromSafetensors(bytes: Uint8Array): {
  spec: ModelSpec;
  params: Float32Array;
  meta: ShardpropMeta | undefined;
} {
  const parsed = parseSafetensors(bytes);
  const archText = parsed.metadata.architecture;
  if (archText === undefined) fail('__metadata__ has no "architecture" entry (not a shardprop export?)');
  let arch: Partial<ExportArchitecture>;
  try {
    arch = JSON.parse(archText) as Partial<ExportArchitecture>;
  } catch {
    fail('__metadata__.architecture is not valid JSON');
  }
  if (!isRecord(arch) || !Array.isArray(arch.layers)) fail('__metadata__.architecture has no "layers" array');
  let spec: ModelSpec;
  try {
    spec = validateSpec({
      inputSize: arch.inputSize as number,
      layers: (arch.layers as unknown[]).map((l, i) => {
        if (!isRecord(l)) throw new ModelSpecError(`layer ${i + 1}: must be an object`);
        return {
          units: l.units as number,
          activation: parseActivation(String(l.activation), `layer ${i + 1}`) as ActivationName,
        };
      }),
    });
  } catch (e) {
    if (e instanceof ModelSpecError) fail(`__metadata__.architecture: ${e.message}`);
    throw e;
  }
  const layout = paramLayout(spec);
  const params = new Float32Array(layout.paramCount);
  const used = new Set<string>();
  const take = (name: string, shape: number[]): Float32Array => {
    const t = parsed.tensors[name];
    if (!t) fail(`tensor "${name}" is missing`);
    if (t.dtype !== 'F32') fail(`tensor "${name}" has dtype ${t.dtype}; shardprop reads F32 weights`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      fail(`tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    used.add(name);
    return t.data as Float32Array;
  };
  for (const l of layout.layers) {
    const names = torchParamNames(l.index);
    const w = take(names.weight, [l.outSize, l.inSize]);
    // [out x in] -> [in x out]
    for (let o = 0; o < l.outSize; o++) {
      for (let i = 0; i < l.inSize; i++) params[l.kernelOffset + i * l.outSize + o] = w[o * l.inSize + i];
    }
    params.set(take(names.bias, [l.outSize]), l.biasOffset);
  }
  const extra = Object.keys(parsed.tensors).find((n) => !used.has(n));
  if (extra !== undefined) fail(`tensor "${extra}" does not belong to any layer of the architecture`);
  let meta: ShardpropMeta | undefined;
  const metaText = parsed.metadata.shardprop;
  if (metaText !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(metaText);
    } catch {
      fail('__metadata__.shardprop is not valid JSON');
    }
    meta = checkMeta(value, spec.inputSize, false, (d) => fail(`__metadata__.${d}`));
  }
  return { spec, params, meta };
}
