/**
 * The bundled datasets: the seed-sized problem (core's deterministic `seedProblem`, rounded to 6 significant
 * digits exactly as the CLI's built-in table and `data/seed.csv`) and iris (the CLI's `data/iris.csv`).
 */
import { permutation, Rng } from '@shardprop/core';
import { type Column, parseCsvText, type Table } from '@shardprop/tabular';
// One copy of the file in the repository: the CLI's (Vite inlines it at build time).
import irisCsv from '../../../packages/cli/data/iris.csv?raw';

export { seedTable } from '@shardprop/tabular';

/** Rows `order[0], order[1], ...` of `table`, keeping each row's source line for messages. */
export function permuteRows(table: Table, order: Int32Array): Table {
  const columns = new Map<string, Column>();
  for (const [name, c] of table.columns) {
    if (c.kind === 'numeric') {
      columns.set(name, { ...c, values: Float64Array.from(order, (r) => c.values[r]) });
    } else {
      columns.set(name, { ...c, values: Array.from(order, (r) => c.values[r]) });
    }
  }
  return { ...table, columns, rows: order.length, lines: Int32Array.from(order, (r) => table.lines[r]) };
}

/**
 * Iris, shuffled once with a fixed seed: the file is sorted by species, and a validation split takes the last
 * rows, so unshuffled it would hold out one species entirely.
 */
export function irisTable(): Table {
  const table = parseCsvText(irisCsv, 'iris.csv');
  return permuteRows(table, permutation(table.rows, new Rng(1)));
}

/** Suggested settings per dataset (what the README's CLI examples use); `csv` is for a file the visitor brings. */
export interface Preset {
  hidden: string;
  activation: string;
  optimizer: string;
  learningRate: number;
  batchSize: number;
  epochs: number;
}

export const PRESETS: Record<'seed' | 'iris' | 'csv', Preset> = {
  seed: { hidden: '39,39,39', activation: 'sigmoid', optimizer: 'adam', learningRate: 0.01, batchSize: 32, epochs: 20 },
  iris: { hidden: '16', activation: 'relu', optimizer: 'adam', learningRate: 0.01, batchSize: 16, epochs: 60 },
  csv: { hidden: '32,32', activation: 'relu', optimizer: 'adam', learningRate: 0.01, batchSize: 32, epochs: 20 },
};

/** Rows `rows` of a table's `columns` as CSV text with a header (for the prediction box). */
export function tableHead(table: Table, columns: readonly string[], rows: ArrayLike<number>): string {
  const cell = (name: string, r: number): string => {
    const c = table.columns.get(name);
    if (!c) return '';
    const v = c.values[r];
    if (c.kind === 'numeric') return Number.isNaN(v as number) ? '' : String(v);
    const s = (v as string | null) ?? '';
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const out = [columns.map((h) => (/[",\r\n]/.test(h) ? `"${h.replace(/"/g, '""')}"` : h)).join(',')];
  for (let i = 0; i < rows.length; i++) out.push(columns.map((h) => cell(h, rows[i])).join(','));
  return out.join('\n');
}
