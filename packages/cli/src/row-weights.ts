/**
 * `--class-weight` and `--weight-column`: class labels as the user writes them turned into core's class indices,
 * and a column of per-row weights checked value by value (a bad one is named by file, line and column).
 */
import type { ClassWeight } from '@shardprop/core';
import { parseNumber, quote, type Table, type TargetEncoding, where } from '@shardprop/tabular';
import type { ClassWeightSetting } from './config.js';
import { usageError } from './errors.js';

/** Core's class weights for `setting`: labels become class indices; every label must be one of the target's. */
export function classWeightFor(setting: ClassWeightSetting, target: TargetEncoding): ClassWeight {
  if (target.task === 'regression') {
    throw usageError(
      `--class-weight needs a classification target; ${target.columns.join(', ')} ${target.columns.length === 1 ? 'is a regression target' : 'are regression targets'}`,
    );
  }
  if (setting === 'balanced') return setting;
  const byIndex: Record<number, number> = {};
  for (const [label, weight] of Object.entries(setting)) {
    const index = target.classes.indexOf(label);
    if (index < 0) {
      throw usageError(
        `--class-weight: ${target.column} has no class ${JSON.stringify(label)} (its classes: ${target.classes.map((c) => JSON.stringify(c)).join(', ')})`,
      );
    }
    byIndex[index] = weight;
  }
  // Core also refuses a class of the training rows without a weight; here the message can name the label.
  const missing = target.classes.filter((_, i) => byIndex[i] === undefined);
  if (missing.length > 0) {
    throw usageError(
      `--class-weight: give every class of ${target.column} a weight (missing: ${missing.map((c) => JSON.stringify(c)).join(', ')})`,
    );
  }
  return byIndex;
}

/**
 * The weights in column `name` of the rows `rows` of `table`, as float32 (what training uses). Every value must
 * be a number >= 0.
 */
export function weightColumnValues(table: Table, name: string, rows: Int32Array): Float32Array {
  const column = table.columns.get(name);
  if (!column) throw new Error(`internal: the weight column ${name} was not read`);
  const out = new Float32Array(rows.length);
  const at = (r: number) => where(table.file, table.lines[r], column.position);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    let v: number;
    if (column.kind === 'categorical') {
      const text = column.values[r];
      if (text === null) v = Number.NaN;
      else {
        const parsed = parseNumber(text);
        if (parsed === undefined) {
          throw usageError(
            `--weight-column ${name}: ${at(r)}: ${quote(text)} is not a number (weights are numbers >= 0)`,
          );
        }
        v = parsed;
      }
    } else v = column.values[r];
    if (Number.isNaN(v)) {
      throw usageError(`--weight-column ${name}: ${at(r)}: the weight is missing (weights are numbers >= 0)`);
    }
    if (!(v >= 0 && Number.isFinite(v))) {
      throw usageError(
        `--weight-column ${name}: ${at(r)}: weight ${v} is ${v < 0 ? 'negative' : 'not finite'} (weights are numbers >= 0)`,
      );
    }
    out[k] = v;
  }
  return out;
}
