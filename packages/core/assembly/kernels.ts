/**
 * WebAssembly SIMD kernels for @shardprop/core, written in AssemblyScript (compiled by `scripts/build-wasm.mjs`).
 *
 * Every pointer is a byte address into the imported (shared) linear memory and every matrix is row-major float32,
 * with the same semantics as the TypeScript references in `src/kernels/gemm.ts`, `src/kernels/activations.ts`,
 * `src/optim/*.ts` (the updates, in float32) and `src/losses/loss.ts` (the loss gradients). Nothing here allocates, keeps state or touches memory outside the arguments, so
 * any number of threads can run these kernels at once over one shared memory.
 *
 * Determinism: the arithmetic that produces each output element depends only on the sizes that the element's
 * own sum runs over (k for gemmBias, n for gemmNt, m for gemmTnBias), never on which micro-kernel or tail path
 * computes it. So splitting the rows of gemmBias/gemmNt or the elements of an activation between threads gives
 * bit-for-bit the same values as one call over everything.
 *
 * Edge columns that are not a multiple of 4 are handled with partial vectors: lanes are loaded one by one
 * (`V.load3`) where a whole-vector load would read past the end of an operand, and stored one by one.
 * Whole-vector loads that run past the end of a *row* but stay inside the operand are used where they are
 * safe; the extra lanes are never stored.
 */

//
// This file is the module's entry: it only names the exported kernels, in the order the module has always exported
// them (the order fixes the export section, so the compiled bytes do not depend on how the source is split). Each
// module below holds one job: simd.ts the inline vector helpers, gemm.ts the three matrix products, activations.ts,
// reduce.ts (slot reduction in the slot tree's order), optimizers.ts, losses.ts and gather.ts (row gathering).

// biome-ignore-all assist/source/organizeImports: the order of these lines is the module's export order.
export { gemmBias, gemmTnBias, gemmNt } from './gemm';
export { activationForward, activationBackward } from './activations';
export { sumSlotTree, presumSlotRun } from './reduce';
export { sgdUpdate, momentumUpdate, adamUpdate, rmspropUpdate } from './optimizers';
export { mseGradient, bceGradient, cceGradient } from './losses';
export { gatherRows } from './gather';
