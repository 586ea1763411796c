/**
 * The "Network and training" form: reading and checking its fields, showing each problem next to its field, and
 * the suggested settings per dataset.
 *
 * An invalid field gets `aria-invalid`, a message right below it (linked with `aria-describedby`, so a screen
 * reader reads it with the field), and the first one gets the focus.
 */
import { type ActivationName, type LrScheduleName, type OptimizerName, parseActivation } from '@shardprop/core';
import type { Preset } from './datasets.js';

export interface SettingsFields {
  layers: HTMLInputElement;
  activation: HTMLSelectElement;
  dropout: HTMLInputElement;
  optimizer: HTMLSelectElement;
  lr: HTMLInputElement;
  lrSchedule: HTMLSelectElement;
  l2: HTMLInputElement;
  batchSize: HTMLInputElement;
  epochs: HTMLInputElement;
  valSplit: HTMLInputElement;
  threads: HTMLSelectElement;
  kernels: HTMLSelectElement;
}

export interface Settings {
  hidden: number[];
  activation: ActivationName;
  /** Dropout rate after every hidden layer, in [0, 1). */
  dropout: number;
  optimizer: OptimizerName;
  learningRate: number;
  lrSchedule: LrScheduleName;
  /** Kernel L2 penalty (0: off). */
  l2: number;
  batchSize: number;
  epochs: number;
  validationSplit: number;
  threads: number | 'auto';
  kernels: 'auto' | 'wasm' | 'js';
}

/** Thrown by {@link readSettings} after marking the invalid fields; the message lists their problems. */
export class SettingsError extends RangeError {
  override name = 'SettingsError';
}

function errorId(field: HTMLElement): string {
  return `${field.id}-error`;
}

/** Shows `message` below `field` and marks it invalid; without a message, clears both. */
export function markField(field: HTMLInputElement | HTMLSelectElement, message: string | undefined): void {
  const id = errorId(field);
  let box = document.getElementById(id);
  const described = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((t) => t && t !== id);
  if (message === undefined) {
    field.removeAttribute('aria-invalid');
    box?.remove();
    if (described.length > 0) field.setAttribute('aria-describedby', described.join(' '));
    else field.removeAttribute('aria-describedby');
    return;
  }
  if (!box) {
    box = document.createElement('small');
    box.id = id;
    box.className = 'field-error';
    field.insertAdjacentElement('afterend', box);
  }
  box.textContent = message;
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', [id, ...described].join(' '));
}

/**
 * Reads the form. Every invalid field is marked (see {@link markField}) and the first one focused.
 * @throws SettingsError naming every problem, in form order.
 */
export function readSettings(f: SettingsFields, shared: boolean): Settings {
  const problems: { field: HTMLInputElement | HTMLSelectElement; message: string }[] = [];
  const check = <T>(field: HTMLInputElement | HTMLSelectElement, value: T | undefined, message: string): T => {
    if (value === undefined) problems.push({ field, message });
    markField(field, value === undefined ? message : undefined);
    return value as T;
  };
  const numberIn = (input: HTMLInputElement, ok: (v: number) => boolean): number | undefined => {
    const v = Number(input.value);
    return input.value.trim() !== '' && ok(v) ? v : undefined;
  };
  const isInt = (min: number, max: number) => (v: number) => Number.isInteger(v) && v >= min && v <= max;

  const hiddenText = f.layers.value.trim();
  const hiddenUnits = hiddenText === '' ? [] : hiddenText.split(/[\s,]+/).map(Number);
  const settings: Settings = {
    hidden: check(
      f.layers,
      hiddenUnits.every(isInt(1, 4096)) ? hiddenUnits : undefined,
      'Hidden layers: whole numbers of units from 1 to 4096, separated by commas (empty for none)',
    ),
    activation: parseActivation(f.activation.value) as ActivationName,
    dropout: check(
      f.dropout,
      numberIn(f.dropout, (v) => v >= 0 && v < 1),
      'Dropout: a fraction from 0 up to (not including) 1, such as 0.2',
    ),
    optimizer: f.optimizer.value as OptimizerName,
    learningRate: check(
      f.lr,
      numberIn(f.lr, (v) => Number.isFinite(v) && v > 0),
      'Learning rate: a number above 0, such as 0.01',
    ),
    lrSchedule: f.lrSchedule.value as LrScheduleName,
    l2: check(
      f.l2,
      numberIn(f.l2, (v) => Number.isFinite(v) && v >= 0),
      'L2 penalty: a number from 0, such as 0.0001',
    ),
    batchSize: check(f.batchSize, numberIn(f.batchSize, isInt(1, 1_000_000)), 'Batch size: a whole number from 1'),
    epochs: check(f.epochs, numberIn(f.epochs, isInt(1, 100_000)), 'Epochs: a whole number from 1 to 100,000'),
    validationSplit: check(
      f.valSplit,
      numberIn(f.valSplit, (v) => v >= 0 && v <= 0.9),
      'Validation split: a fraction from 0 to 0.9',
    ),
    threads: !shared || f.threads.value === 'auto' ? (shared ? 'auto' : 1) : Number(f.threads.value),
    kernels: f.kernels.value as Settings['kernels'],
  };
  if (problems.length > 0) {
    problems[0].field.focus();
    throw new SettingsError(problems.map((p) => p.message).join('; '));
  }
  return settings;
}

/** Clears every field's error mark. */
export function clearFieldErrors(f: SettingsFields): void {
  for (const field of Object.values(f)) markField(field, undefined);
}

/** The fields a preset sets, as the form shows them. */
function presetValues(f: SettingsFields): Preset {
  return {
    hidden: f.layers.value.trim(),
    activation: f.activation.value,
    optimizer: f.optimizer.value,
    learningRate: Number(f.lr.value),
    batchSize: Number(f.batchSize.value),
    epochs: Number(f.epochs.value),
  };
}

/** Whether the form shows exactly `preset` (the visitor has not changed what it set). */
export function showsPreset(f: SettingsFields, preset: Preset): boolean {
  const now = presetValues(f);
  return (Object.keys(preset) as (keyof Preset)[]).every((k) => String(now[k]) === String(preset[k]));
}

/** Puts `preset` into the form. */
export function applyPreset(f: SettingsFields, preset: Preset): void {
  f.layers.value = preset.hidden;
  f.activation.value = preset.activation;
  f.optimizer.value = preset.optimizer;
  f.lr.value = String(preset.learningRate);
  f.batchSize.value = String(preset.batchSize);
  f.epochs.value = String(preset.epochs);
  clearFieldErrors(f);
}

/** A preset in a few words: "16 relu, adam at 0.01, batch 16, 60 epochs". */
export function describePreset(preset: Preset): string {
  const layers = preset.hidden === '' ? 'no hidden layer' : `hidden ${preset.hidden} ${preset.activation}`;
  return `${layers}, ${preset.optimizer} at ${preset.learningRate}, batch ${preset.batchSize}, ${preset.epochs} epochs`;
}
