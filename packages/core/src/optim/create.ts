/**
 * Optimizer construction: validates an {@link OptimizerConfig}, fills in the per-optimizer defaults (those of
 * TensorFlow.js / Keras) and builds the optimizer. Names are exact; aliases are the CLI's business.
 */

import { show } from '../show.js';
import { AdamOptimizer } from './adam.js';
import { AdamWOptimizer } from './adamw.js';
import { MomentumOptimizer } from './momentum.js';
import type { Optimizer, OptimizerConfig, OptimizerName, ResolvedOptimizerConfig } from './optimizer.js';
import { RmsPropOptimizer } from './rmsprop.js';
import { SgdOptimizer } from './sgd.js';

/** Every optimizer name, in documentation order. */
export const OPTIMIZER_NAMES = Object.freeze([
  'sgd',
  'momentum',
  'adam',
  'adamw',
  'rmsprop',
] as const) satisfies readonly OptimizerName[];

type Field = Exclude<keyof ResolvedOptimizerConfig, 'name'>;
type Options = Omit<ResolvedOptimizerConfig, 'name'>;

/** The fields each optimizer uses, in a resolved config's key order. */
const FIELDS: Readonly<Record<OptimizerName, readonly Field[]>> = {
  sgd: ['learningRate'],
  momentum: ['learningRate', 'momentum', 'nesterov'],
  adam: ['learningRate', 'beta1', 'beta2', 'epsilon'],
  adamw: ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'],
  rmsprop: ['learningRate', 'rho', 'momentum', 'epsilon', 'centered'],
};

const ALL_FIELDS: readonly Field[] = [
  'learningRate',
  'momentum',
  'nesterov',
  'beta1',
  'beta2',
  'epsilon',
  'weightDecay',
  'rho',
  'centered',
];

/**
 * The value a resolved config holds for a field its optimizer does not use. Each is the "off" value where
 * there is one (momentum 0, weight decay 0, no Nesterov, not centered) and tfjs's default otherwise.
 */
const UNUSED: Readonly<Options> = Object.freeze({
  learningRate: 0.01,
  momentum: 0,
  nesterov: false,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  weightDecay: 0,
  rho: 0.9,
  centered: false,
});

/**
 * Defaults of the fields each optimizer uses: tfjs's (`tf.train.*`, epsilon = the backend epsilon 1e-7), Keras
 * learning rates (sgd 0.01) and Keras 3 AdamW's weight decay; the `momentum` optimizer defaults to 0.9.
 */
export const OPTIMIZER_DEFAULTS: Readonly<Record<OptimizerName, Readonly<Options>>> = Object.freeze({
  sgd: Object.freeze({ ...UNUSED, learningRate: 0.01 }),
  momentum: Object.freeze({ ...UNUSED, learningRate: 0.01, momentum: 0.9 }),
  adam: Object.freeze({ ...UNUSED, learningRate: 0.001 }),
  adamw: Object.freeze({ ...UNUSED, learningRate: 0.001, weightDecay: 0.004 }),
  rmsprop: Object.freeze({ ...UNUSED, learningRate: 0.001 }),
});

/** Range checks: each returns true for a valid value; `expected` completes "must be ...". */
const RULES: Readonly<Record<Field, { expected: string; ok: (v: unknown) => boolean }>> = {
  learningRate: { expected: 'a positive finite number', ok: (v) => isNumber(v) && v > 0 && v < Infinity },
  momentum: { expected: 'a number in [0, 1]', ok: (v) => isNumber(v) && v >= 0 && v <= 1 },
  nesterov: { expected: 'a boolean', ok: (v) => typeof v === 'boolean' },
  beta1: { expected: 'a number in [0, 1)', ok: (v) => isNumber(v) && v >= 0 && v < 1 },
  beta2: { expected: 'a number in [0, 1)', ok: (v) => isNumber(v) && v >= 0 && v < 1 },
  epsilon: { expected: 'a positive finite number', ok: (v) => isNumber(v) && v > 0 && v < Infinity },
  weightDecay: { expected: 'a non-negative finite number', ok: (v) => isNumber(v) && v >= 0 && v < Infinity },
  rho: { expected: 'a number in [0, 1)', ok: (v) => isNumber(v) && v >= 0 && v < 1 },
  centered: { expected: 'a boolean', ok: (v) => typeof v === 'boolean' },
};

function isNumber(v: unknown): v is number {
  return typeof v === 'number';
}

function isName(v: unknown): v is OptimizerName {
  return typeof v === 'string' && (OPTIMIZER_NAMES as readonly string[]).includes(v);
}

function usersOf(field: Field): string {
  return OPTIMIZER_NAMES.filter((n) => FIELDS[n].includes(field)).join(', ');
}

/**
 * Validates `config` and returns it with every default filled in: the form saved with checkpoints and
 * accepted again by {@link createOptimizer} (resolving a resolved config returns an equal one).
 *
 * Rules: `name` is one of {@link OPTIMIZER_NAMES}; each given field has the right type and range
 * (learningRate and epsilon positive and finite, momentum in [0, 1], beta1, beta2 and rho in [0, 1),
 * weightDecay non-negative and finite, nesterov and centered booleans); a field set to `undefined` counts as
 * absent. A field that the named optimizer does not use (momentum on sgd, weightDecay on adam, ...) is an
 * error, so a setting is never silently ignored, unless it equals the value a resolved config holds for it
 * ({@link OPTIMIZER_DEFAULTS}); unknown keys are an error too.
 * @throws TypeError when `config` is not an object or a field has the wrong type; RangeError otherwise.
 */
export function resolveOptimizerConfig(config: OptimizerConfig): ResolvedOptimizerConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(`optimizer config must be an object with a name, got ${show(config)}`);
  }
  const given = config as unknown as Record<string, unknown>;
  const name = given.name;
  if (!isName(name)) {
    throw new RangeError(`optimizer.name must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${show(name)}`);
  }
  for (const key of Object.keys(given)) {
    if (key !== 'name' && !(ALL_FIELDS as readonly string[]).includes(key) && given[key] !== undefined) {
      throw new RangeError(`optimizer has no option ${JSON.stringify(key)}; the options are ${ALL_FIELDS.join(', ')}`);
    }
  }
  const defaults = OPTIMIZER_DEFAULTS[name];
  const used = FIELDS[name];
  const resolved = { name, ...defaults } as ResolvedOptimizerConfig;
  for (const field of ALL_FIELDS) {
    const value = given[field];
    if (value === undefined) continue;
    const rule = RULES[field];
    if (!rule.ok(value)) {
      const wrongType = typeof value !== (rule.expected === 'a boolean' ? 'boolean' : 'number');
      const Err = wrongType ? TypeError : RangeError;
      throw new Err(`optimizer.${field} must be ${rule.expected}, got ${show(value)}`);
    }
    if (!used.includes(field)) {
      if (value === defaults[field]) continue;
      throw new RangeError(
        `optimizer.${field} does not apply to ${name} (only to ${usersOf(field)}), got ${show(value)}; ${name} takes ${used.join(', ')}`,
      );
    }
    (resolved as unknown as Record<string, unknown>)[field] = value;
  }
  return Object.freeze(resolved);
}

/**
 * Builds the optimizer that `config` names, after {@link resolveOptimizerConfig} (same errors). The result's
 * `config` is the resolved, frozen configuration.
 */
export function createOptimizer(config: OptimizerConfig): Optimizer {
  const resolved = resolveOptimizerConfig(config);
  switch (resolved.name) {
    case 'sgd':
      return new SgdOptimizer(resolved);
    case 'momentum':
      return new MomentumOptimizer(resolved);
    case 'adam':
      return new AdamOptimizer(resolved);
    case 'adamw':
      return new AdamWOptimizer(resolved);
    case 'rmsprop':
      return new RmsPropOptimizer(resolved);
  }
}
