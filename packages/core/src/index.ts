/**
 * `@shardprop/core`: a multilayer perceptron engine over flat Float32Array parameters. Dense layers,
 * activations, losses and optimizers that match TensorFlow.js, data utilities, gradient checking, and
 * save/load in the TensorFlow.js Layers format. This entry runs in browsers as well as Node.js: threads live
 * in `@shardprop/core/parallel`, the file-system adapter in `@shardprop/core/node`.
 * @packageDocumentation
 */

export * from './data/batches.js';
// Data
export type { Dataset } from './data/dataset.js';
export { createDataset, sliceRows, subset } from './data/dataset.js';
export { checkFiniteData, firstNonFinite } from './data/finite.js';
export { classLabels, type FoldRows, foldCount, foldRows, holdoutFolds, kFolds } from './data/folds.js';
export { gatherRows } from './data/gather.js';
export { checkSparseLabels } from './data/labels.js';
export {
  balancedClassWeights,
  type ClassWeight,
  checkClassWeight,
  checkSampleWeight,
  rowClass,
  rowWeights,
} from './data/row-weights.js';
export { permutation, shuffleInPlace } from './data/shuffle.js';
export {
  type DatasetSplit,
  type RandomSplit,
  randomSplit,
  trainValidationSplit,
  validationSplitAt,
} from './data/split.js';
export { fitStandardizer, type Standardizer } from './data/standardize.js';
export * from './data/synthetic.js';
export {
  type GradcheckOptions,
  type GradcheckResult,
  gradcheck,
  REL_FLOOR,
  type TensorGradcheck,
} from './gradcheck.js';
// Serialisation (in-memory; the file-system adapter is in @shardprop/core/node)
export * from './io/artifacts.js';
export { activationBackward, activationForward, ELU_ALPHA, LEAKY_RELU_ALPHA } from './kernels/activations.js';
// Kernels and losses
export { gemmBias, gemmNt, gemmTnBias } from './kernels/gemm.js';
export {
  createKernels,
  jsKernels,
  type KernelBackend,
  type KernelPreference,
  type Kernels,
  parseKernelPreference,
  resolveBackend,
  wasmKernels,
} from './kernels/kernels.js';
export {
  compileWasmKernels,
  createWasmMemory,
  loadWasmKernels,
  WASM_ACTIVATION_CODES,
  type WasmKernels,
  type WasmMemoryOptions,
  wasmKernelsSupported,
} from './kernels/wasm/backend.js';
export { EPSILON, LOSSES, type LossName, lossAndGradient, parseLoss, targetWidth } from './losses/loss.js';
// Model
export { ACTIVATIONS, type ActivationName } from './model/activation-names.js';
export { denseForward, denseInputGradient, denseWeightGradient } from './model/dense.js';
export {
  applyDropout,
  dropoutBackward,
  dropoutBits,
  dropoutMask,
  dropoutRowKey,
  dropoutThreshold,
  dropoutUnitBits,
} from './model/dropout.js';
export { initialize, initializeParams } from './model/init.js';
export { INITIALIZERS, type InitializerName } from './model/initializer-names.js';
export { type DenseLayout, flopsPerRow, type ParamLayout, paramLayout, trainFlopsPerRow } from './model/layout.js';
export { type CreateOptions, Mlp } from './model/mlp.js';
export {
  dropoutPerHiddenLayer,
  type LayerSpec,
  type ModelSpec,
  ModelSpecError,
  mlpSpec,
  parseActivation,
  validateSpec,
} from './model/spec.js';
export * from './optim/create.js';
// Optimizers
export type { Optimizer, OptimizerConfig, OptimizerName } from './optim/optimizer.js';
export { Rng } from './random.js';
export {
  type ClassificationReport,
  type ClassScores,
  classificationReport,
  confusionMatrix,
} from './train/classification-report.js';
export {
  runSteps,
  type StepBuffers,
  type StepPosition,
  type StepSync,
  type StepsResult,
  singleThreadShare,
  type ThreadShare,
} from './train/epoch-steps.js';
export { checkData, fit, initialOptimizerState, prepareData, type TrainingSet } from './train/fit.js';
export {
  type EpochEngine,
  type EpochResult,
  epochOrder,
  type FitResult,
  TrainingError,
  trainLoop,
} from './train/loop.js';
export { evaluate, isClassification, type Metrics } from './train/metrics.js';
export type {
  BatchLog,
  Callbacks,
  EarlyStoppingOptions,
  EpochContext,
  EpochLog,
  FitOptions,
  OptimizerSnapshot,
  ResolvedFitOptions,
} from './train/options.js';
export { resolveFitOptions } from './train/options.js';
export {
  blockLossAndGradient,
  DEFAULT_MAX_SHARDS,
  DEFAULT_MIN_SHARD_ROWS,
  forwardRows,
  maxShareRows,
  reduceAndUpdate,
  type StepContext,
  shardCount,
  shardGradient,
  shardRangeGradients,
  shardShare,
  shardStart,
  sumLoss,
  trainForwardRows,
} from './train/step.js';
// Training
export { createWorkspace, type Workspace } from './train/workspace.js';
// Model selection (the search itself, on worker threads, is `tune` in @shardprop/core/parallel)
export {
  checkMetric,
  type FoldFitJob,
  type FoldFitResult,
  greaterIsBetter,
  metricValue,
  runFoldFit,
  SplitCache,
  TUNE_METRICS,
  type TuneMetric,
} from './tune/fold-fit.js';
export {
  expandGrid,
  gridPoint,
  gridSize,
  MAX_GRID_POINTS,
  type SearchSpace,
  type SpacePoint,
  sampleGrid,
} from './tune/space.js';
export {
  halvingRungs,
  type ResolvedCandidate,
  rankTrials,
  resolveCandidate,
  rungEpochs,
  summarise,
  survivors,
  type TrialResult,
  type TuneBase,
  type TuneSettings,
} from './tune/trials.js';
export type { FloatArray } from './types.js';
