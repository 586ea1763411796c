/**
 * `@shardprop/core`: a multilayer perceptron engine over flat Float32Array parameters. Dense layers,
 * activations, losses and optimizers that match TensorFlow.js, data utilities, gradient checking, and
 * save/load in the TensorFlow.js Layers format. This entry runs in browsers as well as Node.js: threads live
 * in `@shardprop/core/parallel`, the file-system adapter in `@shardprop/core/node`. The engine's parts (the
 * step loop, the kernels one by one, the tune trials' bookkeeping) are in `@shardprop/core/internal`, for this
 * project's own apps: no stability promise.
 * @packageDocumentation
 */

export * from './data/batches.js';
// Data
export type { Dataset } from './data/dataset.js';
export { createDataset, sliceRows, subset } from './data/dataset.js';
export { checkFiniteData, firstNonFinite } from './data/finite.js';
export { classLabels, type FoldRows, foldCount, foldRows, holdoutFolds, kFolds } from './data/folds.js';
export { checkSparseLabels } from './data/labels.js';
export { balancedClassWeights, type ClassWeight, rowWeights } from './data/row-weights.js';
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
export { ELU_ALPHA, LEAKY_RELU_ALPHA } from './kernels/activations.js';
// Kernels and losses (the kernels themselves, one by one, are in @shardprop/core/internal)
export {
  createKernels,
  jsKernels,
  type KernelBackend,
  type KernelPreference,
  type Kernels,
  parseKernelPreference,
  wasmKernels,
} from './kernels/kernels.js';
export {
  compileWasmKernels,
  createWasmMemory,
  loadWasmKernels,
  type WasmKernels,
  type WasmMemoryOptions,
  wasmKernelsSupported,
} from './kernels/wasm/backend.js';
export {
  EPSILON,
  LOSSES,
  type LossAlias,
  type LossInput,
  type LossName,
  parseLoss,
  targetWidth,
} from './losses/loss.js';
// Model
export { ACTIVATIONS, type ActivationName } from './model/activation-names.js';
export { dropoutBits, dropoutThreshold } from './model/dropout.js';
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
export type {
  AdamConfig,
  AdamWConfig,
  MomentumConfig,
  Optimizer,
  OptimizerConfig,
  OptimizerName,
  ResolvedOptimizerConfig,
  RmsPropConfig,
  SgdConfig,
} from './optim/optimizer.js';
export { Rng } from './random.js';
export {
  type ClassificationReport,
  type ClassScores,
  classificationReport,
  confusionMatrix,
} from './train/classification-report.js';
export { fit } from './train/fit.js';
export { type FitResult, TrainingError } from './train/loop.js';
export {
  initialLrScheduleState,
  LR_SCHEDULES,
  type LrScheduleName,
  type LrScheduleOptions,
  type LrScheduleState,
  MONITORS,
  type MonitorName,
  monitorMode,
  type ResolvedLrSchedule,
  resolveLrSchedule,
} from './train/lr-schedule.js';
export { evaluate, isClassification, type Metrics } from './train/metrics.js';
export type {
  BatchLog,
  Callbacks,
  EarlyStoppingOptions,
  EpochContext,
  EpochLog,
  FitOptions,
  OptimizerSnapshot,
  TrainEndContext,
} from './train/options.js';
export { DEFAULT_MAX_SHARDS, DEFAULT_MIN_SHARD_ROWS, DEFAULT_SHARD_ROWS, shardCount } from './train/step.js';
// Model selection (the search itself, on worker threads, is `tune` in @shardprop/core/parallel)
export { checkMetric, greaterIsBetter, metricValue, TUNE_METRICS, type TuneMetric } from './tune/fold-fit.js';
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
  rankTrials,
  type TrainingRules,
  type TrialResult,
  type TuneBase,
  type TuneSettings,
} from './tune/trials.js';
export type { FloatArray } from './types.js';
