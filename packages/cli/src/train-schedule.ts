/**
 * The learning-rate schedule and the monitored quantity of `train`: flags in Keras' words turned into core's
 * options, checked once with messages that name the flags, and the schedule's state as the checkpoint stores it.
 */
import {
  type LrScheduleOptions,
  type LrScheduleState,
  type MonitorName,
  monitorMode,
  type ResolvedLrSchedule,
  resolveLrSchedule,
} from '@shardprop/core';
import type { MonitorFlag, TrainSettings } from './config.js';
import { oneLine, usageError } from './errors.js';

const MONITOR_NAMES: Readonly<Record<MonitorFlag, MonitorName>> = {
  val_loss: 'valLoss',
  val_accuracy: 'valAccuracy',
  loss: 'loss',
  accuracy: 'accuracy',
};

/** Core's name for a `--monitor` value. */
export function monitorName(flag: MonitorFlag): MonitorName {
  return MONITOR_NAMES[flag];
}

/** `--monitor` with its default (val_loss with validation data, loss without), checked against the run. */
export function monitorFlag(s: TrainSettings, hasValidation: boolean, classification: boolean): MonitorFlag {
  const flag = s.monitor ?? (hasValidation ? 'val_loss' : 'loss');
  if (flag.startsWith('val_') && !hasValidation) {
    throw usageError(`--monitor ${flag} needs validation data: pass --val-split, or --monitor ${flag.slice(4)}`);
  }
  if (flag.endsWith('accuracy') && !classification) {
    throw usageError(`--monitor ${flag}: accuracy is for classification; a regression can watch val_loss or loss`);
  }
  return flag;
}

/**
 * The schedules each flag applies to: one given without --lr-schedule, or for a schedule that ignores it, would be
 * silently dropped, so it is an error.
 */
const USES: ReadonlyArray<[keyof TrainSettings, string, readonly string[]]> = [
  ['lrDecay', '--lr-decay', ['step', 'exponential', 'plateau']],
  ['lrStepEpochs', '--lr-step-epochs', ['step', 'exponential', 'cosine']],
  ['lrMin', '--lr-min', ['cosine', 'plateau']],
  ['lrPatience', '--lr-patience', ['plateau']],
];

const FLAG_OF: Readonly<Record<string, string>> = {
  decay: '--lr-decay',
  stepEpochs: '--lr-step-epochs',
  minLearningRate: '--lr-min',
  patience: '--lr-patience',
  warmupEpochs: '--warmup-epochs',
  monitor: '--monitor',
};

/**
 * core's schedule options from the flags (not yet checked against the run), or undefined for a constant rate
 * without warm-up. A flag the chosen schedule ignores is a usage error.
 */
export function scheduleOptions(s: TrainSettings): LrScheduleOptions | undefined {
  const name = s.lrSchedule ?? 'constant';
  for (const [key, flag, users] of USES) {
    if (s[key] !== undefined && !users.includes(name)) {
      throw usageError(
        `${flag} applies to --lr-schedule ${users.join(' or ')}, ${s.lrSchedule ? `not ${name}` : 'and no --lr-schedule was given'}`,
      );
    }
  }
  if (name === 'constant' && !s.warmupEpochs) return undefined;
  const options: LrScheduleOptions = { name };
  if (s.lrDecay !== undefined) options.decay = s.lrDecay;
  if (s.lrStepEpochs !== undefined) options.stepEpochs = s.lrStepEpochs;
  if (s.lrMin !== undefined) options.minLearningRate = s.lrMin;
  if (s.lrPatience !== undefined) options.patience = s.lrPatience;
  if (s.warmupEpochs !== undefined) options.warmupEpochs = s.warmupEpochs;
  return options;
}

/** A usage error from core's complaint about a schedule option, naming the flag instead. */
export function scheduleUsageError(error: unknown): Error {
  const message = oneLine(error).replace(/options\.lrSchedule\.(\w+)/, (_m, key: string) => FLAG_OF[key] ?? key);
  return usageError(message.replace(/the learning rate \(/, '--lr ('));
}

/**
 * The resolved schedule the flags ask for, or null for a constant rate without warm-up. `runEpochs` fixes
 * cosine's length when --lr-step-epochs is not given; it is saved with the run, so a resume keeps it.
 */
export function scheduleFlags(
  s: TrainSettings,
  learningRate: number,
  runEpochs: number,
  monitor: MonitorFlag,
): ResolvedLrSchedule | null {
  const options = scheduleOptions(s);
  if (!options) return null;
  try {
    return resolveLrSchedule(
      { ...options, monitor: monitorName(monitor) },
      learningRate,
      runEpochs,
      monitor.startsWith('val_'),
    );
  } catch (error) {
    throw scheduleUsageError(error);
  }
}

/** The schedule's state as JSON (no infinities): `best` is null before any epoch has set it. */
export interface LrStateJson {
  learningRate: number;
  best: number | null;
  wait: number;
}

export function lrStateToJson(state: LrScheduleState): LrStateJson {
  return { learningRate: state.learningRate, best: Number.isFinite(state.best) ? state.best : null, wait: state.wait };
}

export function lrStateFromJson(json: LrStateJson, schedule: ResolvedLrSchedule): LrScheduleState {
  const unset = monitorMode(schedule.monitor) === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return { learningRate: json.learningRate, best: json.best ?? unset, wait: json.wait };
}
