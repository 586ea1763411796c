/**
 * Training rows placed in shared memory before they are filled, so that the data-parallel engine trains on them
 * where they lie. Otherwise the engine copies `x` and `y` into its arena: for a million rows of 40 inputs that
 * is 160 MB written twice, and on machines where a fresh page costs a fault into the hypervisor (about 3 ms per
 * MB on the 2-core CI machine) the copy's page faults cost more than an epoch's arithmetic. Browser-safe.
 */
import { type ArenaLayout, SharedArena } from '@shardprop/worker-pool/browser';
import type { Dataset } from '../data/dataset.js';
import { type KernelPreference, resolveBackend } from '../kernels/kernels.js';
import { createWasmMemory, loadWasmKernels, type WasmKernels, wasmKernelsSupported } from '../kernels/wasm/backend.js';
import { dataLayout, type TrainDataLayout } from './protocol.js';

/** The arena behind each dataset `sharedDataset` made, keyed by the memory it lies in. */
const arenas = new WeakMap<ArrayBufferLike, SharedArena<TrainDataLayout>>();

/** Largest shared WebAssembly memory (2 GiB, the kernels' address space). */
const WASM_MAX_BYTES = 2 ** 31;
/** Room left in the memory for the engine's own arena and the workers' workspaces. */
const ENGINE_HEADROOM_BYTES = 64 * 1024 * 1024;

export interface SharedDatasetOptions {
  /**
   * The kernels the data will train with (`fit`'s `kernels` option). With WebAssembly kernels the rows live in a
   * shared WebAssembly.Memory, which the run's workers then share; otherwise in a SharedArrayBuffer.
   */
  kernels?: KernelPreference;
}

/**
 * A zero-filled dataset of `rows` rows whose `x` (`rows x features`) and `y` (`rows x outputs`) live in shared
 * memory: fill them, then pass the dataset (or the same arrays) to `fitParallel`, whose workers train on them in
 * place instead of copying them. `fit` and every other function take it as any dataset.
 *
 * The copy is still made when the run splits off validation rows (`validationSplit`), since the training rows are
 * then a new array, or when the run's kernels differ from `options.kernels`.
 *
 * @example
 * ```ts
 * const data = sharedDataset(rows, 40, 1);
 * data.x.set(myInputs); // or write each value where it belongs
 * data.y.set(myTargets);
 * await fitParallel(model, data, { epochs: 10, batchSize: 256, loss: 'mse' });
 * ```
 */
export function sharedDataset(
  rows: number,
  features: number,
  outputs: number,
  options: SharedDatasetOptions = {},
): Dataset {
  for (const [name, n] of [
    ['rows', rows],
    ['features', features],
    ['outputs', outputs],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`sharedDataset: ${name} must be a non-negative integer`);
  }
  const layout = dataLayout(rows, features, outputs);
  const bytes = SharedArena.byteLengthOf(layout);
  const wasm =
    resolveBackend(options.kernels, wasmKernelsSupported) === 'wasm' && bytes + ENGINE_HEADROOM_BYTES <= WASM_MAX_BYTES;
  const arena = wasm ? inWasmMemory(layout, bytes) : SharedArena.create(layout);
  arenas.set(arena.views.x.buffer, arena);
  return { x: arena.views.x, y: arena.views.y, rows, features, outputs };
}

function inWasmMemory(layout: TrainDataLayout, bytes: number): SharedArena<TrainDataLayout> {
  const memory = createWasmMemory({ initialBytes: bytes + ENGINE_HEADROOM_BYTES, maximumBytes: WASM_MAX_BYTES });
  const kernels = loadWasmKernels(memory);
  if (!kernels) throw new Error('WebAssembly kernels are unavailable');
  return arenaInKernelsMemory(kernels, layout);
}

/**
 * An arena inside the kernels' shared WebAssembly.Memory, so every worker's kernels address the same bytes as the
 * views. The block is reserved through the kernels' allocator, so later arenas and the workers' workspaces are
 * placed after it.
 */
export function arenaInKernelsMemory<L extends ArenaLayout>(kernels: WasmKernels, layout: L): SharedArena<L> {
  const bytes = SharedArena.byteLengthOf(layout);
  const block = kernels.alloc(Float32Array, Math.ceil(bytes / 4) + 16);
  return SharedArena.create(layout, { buffer: kernels.memory, byteOffset: block.byteOffset });
}

/**
 * The shared arena that holds `data`'s rows: `x` and `y` start where the arena's do (a dataset
 * {@link sharedDataset} made, or its first rows, e.g. the training part of a split that holds out the last rows),
 * so the engine's copy of them would be the same values in the same places. Undefined for data anywhere else.
 */
export function sharedDataArena(
  data: Pick<Dataset, 'x' | 'y' | 'rows' | 'features' | 'outputs'>,
): SharedArena<TrainDataLayout> | undefined {
  const arena = arenas.get(data.x.buffer);
  if (!arena) return undefined;
  const { x, y } = arena.views;
  const inPlace =
    data.x.byteOffset === x.byteOffset &&
    data.y.buffer === y.buffer &&
    data.y.byteOffset === y.byteOffset &&
    data.rows * data.features <= x.length &&
    data.rows * data.outputs <= y.length;
  return inPlace ? arena : undefined;
}
