// Worker fixture for test/wasm-kernels.test.ts: instantiates the compiled wasm backend over the shared memory it
// is given (compiling the module itself, or using one posted with it), runs gemmBias on its share of the rows
// straight into the shared output, optionally allocates enough to grow the memory, and reports back.
import { parentPort, workerData } from 'node:worker_threads';
import { loadWasmKernels } from '../dist/kernels/wasm/backend.js';

try {
  const { memory, module, out, a, b, bias, k, n, rows, grow } = workerData;
  const kernels = loadWasmKernels(memory, module);
  if (kernels === null) throw new Error('wasm kernels unavailable in the worker');
  const [r0, r1] = rows;
  const view = (byteOffset, length) => kernels.view(Float32Array, byteOffset, length);
  kernels.gemmBias(
    view(out + r0 * n * 4, (r1 - r0) * n),
    0,
    view(a + r0 * k * 4, (r1 - r0) * k),
    0,
    view(b, k * n),
    0,
    view(bias, n),
    0,
    r1 - r0,
    k,
    n,
  );
  let allocOffset = -1;
  if (grow > 0) {
    const big = kernels.alloc(Float32Array, grow / 4);
    big[0] = 1;
    const small = kernels.alloc(Float32Array, 4);
    small.set([1, 2, 3, 4]);
    allocOffset = small.byteOffset;
  }
  parentPort.postMessage({ grownBytes: memory.buffer.byteLength, allocOffset });
} catch (error) {
  parentPort.postMessage({ error: String(error?.stack ?? error) });
}
