// Single-thread GFLOP/s of the dense forward product `out = a b + bias` (gemmBias) at the seed's 32x39x39, the
// wide network's 256x784x256 and 512x512x512 (m x k x n): the TypeScript kernel, the WebAssembly SIMD kernel and,
// when `@tensorflow/tfjs-backend-wasm` is installed, tfjs-wasm's matMul (XNNPACK; no bias add, but the dataSync
// read-back), in one
// process on the same data. Run after a build: `node bench/gemm.mjs` (BENCH_SAMPLES, BENCH_MS tune the effort).
// Prints the median of BENCH_SAMPLES samples of at least BENCH_MS milliseconds each, with min-max.
import { performance } from 'node:perf_hooks';
import { gemmBias } from '../dist/kernels/gemm.js';
import { loadWasmKernels } from '../dist/kernels/wasm/backend.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 9);
const SAMPLE_MS = Number(process.env.BENCH_MS ?? 150);
const SHAPES = [
  [32, 39, 39],
  [256, 784, 256],
  [512, 512, 512],
];

/** GFLOP/s samples of `fn` (which does `flops` floating-point operations per call). */
function measure(fn, flops) {
  // Warm up (JIT tiers, caches) and size the inner loop so that one sample lasts about SAMPLE_MS.
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const ms = performance.now() - t0;
    if (ms >= SAMPLE_MS / 4) {
      reps = Math.max(1, Math.ceil((reps * SAMPLE_MS) / ms));
      break;
    }
    reps *= 4;
  }
  const rates = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const seconds = (performance.now() - t0) / 1000;
    rates.push((flops * reps) / seconds / 1e9);
  }
  rates.sort((x, y) => x - y);
  return { median: rates[Math.floor(rates.length / 2)], min: rates[0], max: rates[rates.length - 1] };
}

function fill(v, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < v.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 31 - 1;
  }
  return v;
}

async function loadTfjsWasm() {
  try {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    return tf;
  } catch {
    return null;
  }
}

const kernels = loadWasmKernels();
if (kernels === null) throw new Error('WebAssembly SIMD with shared memory is unavailable');
const tf = await loadTfjsWasm();

const rows = [];
for (const [m, k, n] of SHAPES) {
  const flops = 2 * m * k * n;
  const a = fill(kernels.alloc(Float32Array, m * k), 1);
  const b = fill(kernels.alloc(Float32Array, k * n), 2);
  const bias = fill(kernels.alloc(Float32Array, n), 3);
  const out = kernels.alloc(Float32Array, m * n);
  const ts = measure(() => gemmBias(out, 0, a, 0, b, 0, bias, 0, m, k, n), flops);
  const wasm = measure(() => kernels.gemmBias(out, 0, a, 0, b, 0, bias, 0, m, k, n), flops);
  const d = fill(kernels.alloc(Float32Array, m * n), 4);
  const grad = kernels.alloc(Float32Array, k * n);
  const gradBias = kernels.alloc(Float32Array, n);
  const dx = kernels.alloc(Float32Array, m * k);
  const tn = measure(() => kernels.gemmTnBias(grad, 0, gradBias, 0, a, 0, d, 0, m, k, n), flops);
  const nt = measure(() => kernels.gemmNt(dx, 0, d, 0, b, 0, m, k, n), flops);
  let tfjs = null;
  if (tf) {
    const ta = tf.tensor2d(a.slice(), [m, k]);
    const tb = tf.tensor2d(b.slice(), [k, n]);
    tfjs = measure(() => tf.matMul(ta, tb).dataSync(), flops);
    tf.dispose([ta, tb]);
  }
  rows.push({ shape: `${m}x${k}x${n}`, ts, wasm, tfjs, tn, nt });
}

const fmt = (r) => (r ? `${r.median.toFixed(1)} (${r.min.toFixed(1)}-${r.max.toFixed(1)})` : 'n/a');
console.log(`gemmBias, one thread, GFLOP/s median (min-max) of ${SAMPLES} samples; node ${process.version}`);
console.log(`${'m x k x n'.padEnd(14)}${'TypeScript'.padEnd(22)}${'WASM SIMD'.padEnd(22)}tfjs-wasm matMul`);
for (const r of rows)
  console.log(`${r.shape.padEnd(14)}${fmt(r.ts).padEnd(22)}${fmt(r.wasm).padEnd(22)}${fmt(r.tfjs)}`);
console.log(`\nWASM SIMD backward kernels, same shapes (m x k x n), GFLOP/s median (min-max)`);
console.log(`${'m x k x n'.padEnd(14)}${'gemmTnBias (X^T dZ)'.padEnd(22)}gemmNt (dZ W^T)`);
for (const r of rows) console.log(`${r.shape.padEnd(14)}${fmt(r.tn).padEnd(22)}${fmt(r.nt)}`);
if (!tf) console.log('(tfjs-wasm: @tensorflow/tfjs-backend-wasm is not installed)');
