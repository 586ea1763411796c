/**
 * `@shardprop/core/internal`: the engine's parts, for this project's own programs (the CLI, the web app's
 * trainer, the benchmarks) that assemble training from them. Not part of the documented API: names and
 * signatures here change without notice. Browser-safe, like the main entry.
 * @packageDocumentation
 */

// The scratch the step's slot-tree reduce needs, for callers of reduceAndUpdate.
export { slotTreeScratchLength } from '@shardprop/worker-pool/browser';
export { gatherRows } from './data/gather.js';
export { checkClassWeight, checkSampleWeight, rowClass } from './data/row-weights.js';
// The ONNX opsets, for the CLI's help, without loading the ONNX writer (protobufjs).
export { DEFAULT_ONNX_OPSET, MAX_ONNX_OPSET, MIN_ONNX_OPSET } from './export/onnx-opsets.js';
export { activationBackward, activationForward } from './kernels/activations.js';
export { gemmBias, gemmNt, gemmTnBias } from './kernels/gemm.js';
export { resolveBackend } from './kernels/kernels.js';
export { WASM_ACTIVATION_CODES } from './kernels/wasm/backend.js';
export { lossAndGradient } from './losses/loss.js';
export { denseForward, denseInputGradient, denseWeightGradient } from './model/dense.js';
export { applyDropout, dropoutBackward, dropoutMask, dropoutRowKey, dropoutUnitBits } from './model/dropout.js';
export {
  blockSquares,
  clipToNorm,
  clipValues,
  NORM_BLOCK,
  normBlockCount,
  normOfParts,
} from './train/clipping.js';
export {
  checkStepBuffers,
  runSteps,
  type StepBuffers,
  type StepPosition,
  type StepSync,
  type StepsResult,
  singleThreadShare,
  type ThreadShare,
} from './train/epoch-steps.js';
export { checkData, initialOptimizerState, prepareData, type TrainingSet, updateRules } from './train/fit.js';
export { type EpochEngine, type EpochResult, epochOrder, trainLoop } from './train/loop.js';
export { advanceLrSchedule, scheduledLearningRate } from './train/lr-schedule.js';
export { type ResolvedFitOptions, resolveFitOptions } from './train/options.js';
export { addPenaltyGradient, kernelPenalty } from './train/penalty.js';
export {
  blockLossAndGradient,
  forwardRows,
  maxShareRows,
  plainUpdateRules,
  reduceAndUpdate,
  type StepContext,
  shardGradient,
  shardRangeGradients,
  shardShare,
  shardStart,
  sumLoss,
  trainForwardRows,
  type UpdateRules,
} from './train/step.js';
export { createWorkspace, type Workspace } from './train/workspace.js';
export { type FoldFitJob, type FoldFitResult, runFoldFit, SplitCache } from './tune/fold-fit.js';
export {
  halvingRungs,
  type ResolvedCandidate,
  resolveCandidate,
  rungEpochs,
  summarise,
  survivors,
} from './tune/trials.js';
