/**
 * Learning-rate schedules, applied per epoch as Keras' `LearningRateScheduler` callback applies a schedule
 * function: the rate is fixed for a whole epoch and chosen before it starts. `lr0` is the optimizer's
 * `learningRate`; `e` is the 0-based epoch, counted after any warm-up epochs (`e = epoch - warmupEpochs`).
 *
 * - `constant`: `lr0`.
 * - `step`: `lr0 * decay ^ floor(e / stepEpochs)` (Keras `ExponentialDecay(lr0, stepEpochs, decay,
 *   staircase=True)` evaluated at epoch e).
 * - `exponential`: `lr0 * decay ^ (e / stepEpochs)` (`ExponentialDecay(lr0, stepEpochs, decay)`; stepEpochs
 *   defaults to 1, so `lr0 * decay ^ e`).
 * - `cosine`: `minLearningRate + (lr0 - minLearningRate) * (1 + cos(pi * min(e, T) / T)) / 2` with
 *   `T = stepEpochs` (Keras `CosineDecay(lr0, T, alpha = minLearningRate / lr0)`).
 * - `plateau`: Keras `ReduceLROnPlateau(monitor, factor = decay, patience, min_delta, cooldown = 0,
 *   min_lr = minLearningRate)`: after an epoch whose monitored value did not improve on the best by more than
 *   `minDelta` for `patience` epochs in a row, the rate becomes `max(lr * decay, minLearningRate)` (only while
 *   it is above `minLearningRate`) and the count restarts.
 *
 * Warm-up (any schedule): epochs `0 .. warmupEpochs - 1` run at `lr0 * (epoch + 1) / warmupEpochs`, a linear
 * ramp that reaches `lr0` on the first scheduled epoch.
 *
 * The rate depends only on the epoch index and, for `plateau`, on {@link LrScheduleState}, which a checkpoint
 * stores; so a resumed run uses the same rates as an uninterrupted one.
 */

export type LrScheduleName = 'constant' | 'step' | 'exponential' | 'cosine' | 'plateau';

/** Every schedule name, in documentation order. */
export const LR_SCHEDULES: readonly LrScheduleName[] = Object.freeze([
  'constant',
  'step',
  'exponential',
  'cosine',
  'plateau',
]);

/** Quantities a plateau schedule or early stopping can watch. */
export type MonitorName = 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy';

/** Every monitor name. */
export const MONITORS: readonly MonitorName[] = Object.freeze(['loss', 'valLoss', 'accuracy', 'valAccuracy']);

/** Whether a monitored quantity improves by going down (`min`) or up (`max`), as Keras infers `mode='auto'`. */
export function monitorMode(monitor: MonitorName): 'min' | 'max' {
  return monitor === 'accuracy' || monitor === 'valAccuracy' ? 'max' : 'min';
}

export interface LrScheduleOptions {
  name: LrScheduleName;
  /** step, exponential: the factor per period (default 0.5 for step, 0.9 for exponential); plateau: the factor (default 0.1). */
  decay?: number;
  /** step: epochs per decay (default 10); exponential: epochs per full `decay` (default 1); cosine: decay length T (default: the run's epochs after warm-up). */
  stepEpochs?: number;
  /** cosine: the final rate; plateau: the lowest rate (default 0). */
  minLearningRate?: number;
  /** plateau: epochs without improvement before reducing (default 10, as Keras). */
  patience?: number;
  /** plateau: the smallest change that counts as an improvement (default 1e-4, as Keras). */
  minDelta?: number;
  /** plateau: what to watch (default `valLoss` with validation data, `loss` otherwise). */
  monitor?: MonitorName;
  /** Epochs of linear warm-up before the schedule starts (default 0). */
  warmupEpochs?: number;
}

export type ResolvedLrSchedule = Required<LrScheduleOptions>;

/** What a `plateau` schedule carries from one epoch to the next (stateless schedules ignore it). */
export interface LrScheduleState {
  /** The current rate. */
  learningRate: number;
  /** Best monitored value so far (`Infinity` or `-Infinity` before the first). */
  best: number;
  /** Epochs since the best, or since the last reduction. */
  wait: number;
}

const DEFAULT_DECAY: Readonly<Record<LrScheduleName, number>> = {
  constant: 1,
  step: 0.5,
  exponential: 0.9,
  cosine: 1,
  plateau: 0.1,
};

function finiteAtLeast(value: unknown, name: string, min: number, open: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (open ? value <= min : value < min)) {
    throw new RangeError(
      `options.lrSchedule.${name} must be a finite number ${open ? '>' : '>='} ${min}, got ${String(value)}`,
    );
  }
  return value;
}

function integerAtLeast(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`options.lrSchedule.${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates a schedule and fills in its defaults. `runEpochs` (the run's last epoch + 1) sets cosine's length
 * when `stepEpochs` is not given; `hasValidation` sets plateau's default monitor.
 */
export function resolveLrSchedule(
  options: LrScheduleOptions,
  learningRate: number,
  runEpochs: number,
  hasValidation: boolean,
): ResolvedLrSchedule {
  if (typeof options !== 'object' || options === null) throw new TypeError('options.lrSchedule must be an object');
  const name = options.name;
  if (!LR_SCHEDULES.includes(name)) {
    throw new RangeError(
      `options.lrSchedule.name must be one of ${LR_SCHEDULES.join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  const warmupEpochs = integerAtLeast(options.warmupEpochs ?? 0, 'warmupEpochs', 0);
  const decay = finiteAtLeast(options.decay ?? DEFAULT_DECAY[name], 'decay', 0, true);
  if ((name === 'step' || name === 'plateau') && decay >= 1) {
    throw new RangeError(`options.lrSchedule.decay must be below 1 for ${name}, got ${decay}`);
  }
  const defaultStep = name === 'cosine' ? Math.max(1, runEpochs - warmupEpochs) : name === 'step' ? 10 : 1;
  const stepEpochs = integerAtLeast(options.stepEpochs ?? defaultStep, 'stepEpochs', 1);
  const minLearningRate = finiteAtLeast(options.minLearningRate ?? 0, 'minLearningRate', 0, false);
  if (minLearningRate > learningRate) {
    throw new RangeError(
      `options.lrSchedule.minLearningRate (${minLearningRate}) is above the learning rate (${learningRate})`,
    );
  }
  const patience = integerAtLeast(options.patience ?? 10, 'patience', 1);
  const minDelta = finiteAtLeast(options.minDelta ?? 1e-4, 'minDelta', 0, false);
  const monitor = options.monitor ?? (hasValidation ? 'valLoss' : 'loss');
  if (!MONITORS.includes(monitor)) {
    throw new RangeError(
      `options.lrSchedule.monitor must be one of ${MONITORS.join(', ')}, got ${JSON.stringify(monitor)}`,
    );
  }
  if (name === 'plateau' && monitor.startsWith('val') && !hasValidation) {
    throw new RangeError(`options.lrSchedule.monitor is "${monitor}" but there is no validation data`);
  }
  return { name, decay, stepEpochs, minLearningRate, patience, minDelta, monitor, warmupEpochs };
}

/** The state before the first epoch of a run that starts at epoch 0. */
export function initialLrScheduleState(schedule: ResolvedLrSchedule, learningRate: number): LrScheduleState {
  return {
    learningRate,
    best: monitorMode(schedule.monitor) === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
    wait: 0,
  };
}

/** The learning rate of `epoch` (0-based, absolute): the formulas in this module's comment. */
export function scheduledLearningRate(
  schedule: ResolvedLrSchedule,
  lr0: number,
  epoch: number,
  state: LrScheduleState,
): number {
  const w = schedule.warmupEpochs;
  if (epoch < w) return (lr0 * (epoch + 1)) / w;
  const e = epoch - w;
  switch (schedule.name) {
    case 'constant':
      return lr0;
    case 'step':
      return lr0 * schedule.decay ** Math.floor(e / schedule.stepEpochs);
    case 'exponential':
      return lr0 * schedule.decay ** (e / schedule.stepEpochs);
    case 'cosine': {
      const t = Math.min(e, schedule.stepEpochs) / schedule.stepEpochs;
      const min = schedule.minLearningRate;
      return min + ((lr0 - min) * (1 + Math.cos(Math.PI * t))) / 2;
    }
    case 'plateau':
      return state.learningRate;
  }
}

/**
 * After `epoch` ended with the monitored `value`: the plateau schedule's next state (Keras ReduceLROnPlateau's
 * `on_epoch_end` with cooldown 0). Warm-up epochs leave the state alone; other schedules return it unchanged.
 */
export function advanceLrSchedule(
  schedule: ResolvedLrSchedule,
  epoch: number,
  value: number,
  state: LrScheduleState,
): LrScheduleState {
  if (schedule.name !== 'plateau' || epoch < schedule.warmupEpochs) return state;
  const improved =
    monitorMode(schedule.monitor) === 'min'
      ? value < state.best - schedule.minDelta
      : value > state.best + schedule.minDelta;
  if (improved) return { learningRate: state.learningRate, best: value, wait: 0 };
  const wait = state.wait + 1;
  if (wait < schedule.patience) return { learningRate: state.learningRate, best: state.best, wait };
  // Keras compares in float32: a rate already at the floor is not reduced again and the count keeps growing.
  if (Math.fround(state.learningRate) > Math.fround(schedule.minLearningRate)) {
    const reduced = Math.max(state.learningRate * schedule.decay, schedule.minLearningRate);
    return { learningRate: reduced, best: state.best, wait: 0 };
  }
  return { learningRate: state.learningRate, best: state.best, wait };
}
