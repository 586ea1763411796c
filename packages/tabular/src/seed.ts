/**
 * The bundled default data: the seed-sized problem (10,000 rows, 39 numeric features x1..x39, a target y in
 * (0, 1)) from core's deterministic `seedProblem`, with every value rounded to 6 significant digits: exactly
 * the numbers of `data/seed.csv`, so `shardprop train` with no `--data` trains on the same table as
 * `shardprop train --data data/seed.csv --target y`, and the web app's "seed problem" is that table too.
 */
import { seedProblem } from '@shardprop/core';
import type { Column, Table } from './table.js';

export const SEED_FILE = 'seed problem (built in)';
export const SEED_ROWS = 10_000;
export const SEED_FEATURES = 39;

/** 10^0 .. 10^22, parsed from their decimals: every one exact in a double. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * A value as the CSV prints it: 6 significant digits, exactly `Number(v.toPrecision(6))`. Worked out in numbers,
 * because the 400,000 `toPrecision` calls of the seed table took about 125 ms of every command that trains on the
 * built-in data: the 6-digit integer is `round(|v| x 10^k)` unless that product lies within 1e-9 of a tie (then
 * the exact decimal rounding of `toPrecision` decides), and dividing it by an exact power of ten rounds once, to
 * the double nearest the decimal, as `Number` parses it.
 */
export function sixDigits(v: number): number {
  const a = Math.abs(v);
  if (!(a >= 1e-300 && a < 1e300)) return Number(v.toPrecision(6));
  let k = 5 - Math.floor(Math.log10(a));
  for (let tries = 0; tries < 2; tries++) {
    if (k < -22 || k > 22) break;
    const scaled = k >= 0 ? a * POW10[k] : a / POW10[-k];
    const n = Math.round(scaled);
    if (n < 100_000) k++;
    else if (n > 1_000_000 || (n === 1_000_000 && scaled >= 1_000_000)) k--;
    else {
      if (Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-9) break;
      const r = k >= 0 ? n / POW10[k] : n * POW10[-k];
      return v < 0 ? -r : r;
    }
  }
  return Number(v.toPrecision(6));
}

export function seedHeader(features = SEED_FEATURES): string[] {
  return [...Array.from({ length: features }, (_, i) => `x${i + 1}`), 'y'];
}

/** The seed problem as a table, line numbers as in the CSV (header on line 1). */
export function seedTable(rows = SEED_ROWS, seed = 1): Table {
  const data = seedProblem({ rows, seed, features: SEED_FEATURES });
  const header = seedHeader();
  const columns = new Map<string, Column>();
  header.forEach((name, j) => {
    const values = new Float64Array(rows);
    if (j < SEED_FEATURES) for (let r = 0; r < rows; r++) values[r] = sixDigits(data.x[r * SEED_FEATURES + j]);
    else for (let r = 0; r < rows; r++) values[r] = sixDigits(data.y[r]);
    columns.set(name, { kind: 'numeric', name, position: j + 1, values });
  });
  const lines = new Int32Array(rows);
  for (let r = 0; r < rows; r++) lines[r] = r + 2;
  return { file: SEED_FILE, header, columns, rows, lines };
}

/** The CSV text of the seed problem. */
export function seedCsv(rows = SEED_ROWS, seed = 1): string {
  const table = seedTable(rows, seed);
  const cols = table.header.map((h) => (table.columns.get(h) as { values: Float64Array }).values);
  const out: string[] = [table.header.join(',')];
  for (let r = 0; r < rows; r++) out.push(cols.map((c) => String(c[r])).join(','));
  return `${out.join('\n')}\n`;
}
