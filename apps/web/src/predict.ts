/**
 * Predicting the rows the visitor types (CSV with a header) with the page's model: the rows are read and encoded
 * with the model's own encoding under the page's missing-value choice, and the outputs become a table of
 * predictions with uniformly formatted numbers.
 */
import {
  type ColumnKind,
  decodeOutputs,
  encodeFeatures,
  type MissingPolicy,
  parseCsvText,
  usableRows,
} from '@shardprop/tabular';
import { PREDICT_ADVICE } from './encoding.js';
import { formatProbability, formatValue } from './format.js';
import type { PageModel } from './model-io.js';

/** The outcome of one prediction. */
export interface Prediction {
  /** Column names of the predictions table, after the row number. */
  columns: string[];
  /** 1-based row number (among the typed rows) and formatted cells, per predicted row. */
  rows: { row: number; cells: string[] }[];
  /** Raw network outputs, row-major (`rows.length x units`). */
  outputs: Float32Array;
  units: number;
  /** 1-based numbers of the typed rows left out for missing values. */
  leftOut: number[];
}

const SOURCE = 'rows to predict';

/**
 * Predicts the rows of `text` with `page`'s model.
 * @throws Error (the tabular message, with line and column) for rows the model cannot read.
 */
export function predictRows(page: PageModel, text: string, missing: MissingPolicy): Prediction {
  const { model, encoding } = page;
  const types = new Map<string, ColumnKind>();
  if (encoding) for (const f of encoding.features) types.set(f.name, f.kind);
  const table = parseCsvText(text, SOURCE, { types });
  let x: Float32Array;
  let kept: Int32Array;
  if (encoding) {
    const names = encoding.features.map((f) => f.name);
    for (const name of names) {
      if (!table.columns.has(name)) {
        throw new RangeError(`${SOURCE}: no column named ${JSON.stringify(name)}, which the model needs`);
      }
    }
    kept = usableRows(table, names, [], missing, PREDICT_ADVICE).rows;
    x = encodeFeatures(table, encoding.features, kept, { missing, unknown: 'error', advice: PREDICT_ADVICE });
  } else {
    if (table.header.length !== model.inputSize) {
      throw new RangeError(
        `${SOURCE}: ${table.header.length} columns, the model takes ${model.inputSize} inputs (the model has no data encoding, so give its raw inputs)`,
      );
    }
    kept = Int32Array.from({ length: table.rows }, (_, i) => i);
    x = new Float32Array(table.rows * model.inputSize);
    table.header.forEach((name, j) => {
      const c = table.columns.get(name);
      if (c?.kind !== 'numeric') throw new RangeError(`${SOURCE}: column "${name}" must hold numbers`);
      for (let r = 0; r < table.rows; r++) x[r * model.inputSize + j] = c.values[r];
    });
  }
  const units = model.outputSize;
  const outputs = model.predict(x, kept.length);
  const decoded = decodeOutputs(encoding?.target, outputs, kept.length, units);
  const classification = encoding !== undefined && encoding.target.task !== 'regression';
  const keptSet = new Set(kept);
  return {
    columns: decoded.columns,
    rows: decoded.cells.map((cells, i) => ({
      row: kept[i] + 1,
      cells: cells.map((c, j) =>
        typeof c === 'string' ? c : classification && j > 0 ? formatProbability(c) : formatValue(c),
      ),
    })),
    outputs,
    units,
    leftOut: Array.from({ length: table.rows }, (_, r) => r)
      .filter((r) => !keptSet.has(r))
      .map((r) => r + 1),
  };
}

/** Fills `table` (a thead and a tbody) with `prediction`, or empties it. */
export function showPrediction(table: HTMLTableElement, prediction: Prediction | undefined): void {
  const head = table.tHead ?? table.createTHead();
  const body = table.tBodies[0] ?? table.createTBody();
  if (!prediction) {
    head.replaceChildren();
    body.replaceChildren();
    table.dataset.outputs = '[]';
    table.dataset.units = '0';
    return;
  }
  const tr = document.createElement('tr');
  for (const name of ['row', ...prediction.columns]) {
    const th = document.createElement('th');
    th.scope = 'col';
    // Long names ("predicted_species", "p_versicolor") may wrap after their underscores on a narrow screen.
    name.split(/(?<=_)/).forEach((part, i) => {
      if (i > 0) th.append(document.createElement('wbr'));
      th.append(part);
    });
    tr.append(th);
  }
  head.replaceChildren(tr);
  body.replaceChildren(
    ...prediction.rows.map(({ row, cells }) => {
      const line = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = String(row);
      line.append(th);
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = c;
        line.append(td);
      }
      return line;
    }),
  );
  table.dataset.outputs = JSON.stringify(Array.from(prediction.outputs));
  table.dataset.units = String(prediction.units);
}
