/**
 * The page: pick or drop data, choose a network, train it on every core with a live loss chart, download the
 * model (tfjs Layers format) and load one back to predict. Plain DOM, no framework.
 *
 * For tests and scripts the page exposes its state as data attributes: `body[data-state]` (idle, training,
 * trained, stopped, error), `#chart[data-loss]` / `[data-val-loss]` (JSON arrays of per-epoch losses),
 * `#status[data-mode]`, `[data-threads]`, `[data-kernels]`, and `#predictions[data-outputs]` (the raw network
 * outputs of the last prediction, row-major JSON).
 */
import './style.css';
import {
  type ActivationName,
  createOptimizer,
  Mlp,
  mlpSpec,
  type OptimizerName,
  parseActivation,
} from '@shardprop/core';
import {
  type ColumnKind,
  decodeOutputs,
  describeTarget,
  encodeFeatures,
  type MissingPolicy,
  parseCsvText,
  type Table,
} from '@shardprop/tabular';
import { type ChartData, describeChart, drawChart } from './chart.js';
import { irisTable, PRESETS, seedTable, tableHead } from './datasets.js';
import { PAGE_ADVICE, type Problem, prepareProblem } from './encoding.js';
import { download, loadModelFiles, modelFiles, type PageModel, type TrainingRecord } from './model-io.js';
import { defaultThreads, plannedBackend, sharedMemoryAvailable, trainInBrowser } from './trainer.js';

type Source = 'seed' | 'iris' | 'csv';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: #${id} is missing`);
  return el as T;
}

const ui = {
  isolation: $('isolation'),
  dataSection: $('data-section'),
  csvFile: $<HTMLInputElement>('csv-file'),
  target: $<HTMLSelectElement>('target'),
  missing: $<HTMLSelectElement>('missing'),
  task: $('task'),
  dataSummary: $('data-summary'),
  dataError: $('data-error'),
  form: $<HTMLFormElement>('settings'),
  fields: $<HTMLFieldSetElement>('settings-fields'),
  layers: $<HTMLInputElement>('layers'),
  activation: $<HTMLSelectElement>('activation'),
  optimizer: $<HTMLSelectElement>('optimizer'),
  lr: $<HTMLInputElement>('lr'),
  batchSize: $<HTMLInputElement>('batch-size'),
  epochs: $<HTMLInputElement>('epochs'),
  valSplit: $<HTMLInputElement>('val-split'),
  threads: $<HTMLInputElement>('threads'),
  threadsHint: $('threads-hint'),
  kernels: $<HTMLSelectElement>('kernels'),
  outputLayer: $('output-layer'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  status: $('status'),
  sEpoch: $('s-epoch'),
  sLoss: $('s-loss'),
  sValLoss: $('s-val-loss'),
  sRows: $('s-rows'),
  sTime: $('s-time'),
  sMode: $('s-mode'),
  chart: $<HTMLCanvasElement>('chart'),
  announce: $('announce'),
  trainError: $('train-error'),
  modelSummary: $('model-summary'),
  downloadJson: $<HTMLButtonElement>('download-json'),
  downloadWeights: $<HTMLButtonElement>('download-weights'),
  modelFiles: $<HTMLInputElement>('model-files'),
  modelError: $('model-error'),
  predictInput: $<HTMLTextAreaElement>('predict-input'),
  predict: $<HTMLButtonElement>('predict'),
  predictError: $('predict-error'),
  predictions: $<HTMLTableElement>('predictions'),
};

const state: {
  source: Source;
  table: Table | undefined;
  problem: Problem | undefined;
  model: PageModel | undefined;
  training: TrainingRecord | undefined;
  abort: AbortController | undefined;
  chart: ChartData;
} = {
  source: 'seed',
  table: undefined,
  problem: undefined,
  model: undefined,
  training: undefined,
  abort: undefined,
  chart: { loss: [], valLoss: [], epochs: 0 },
};

/** Test hook: `?fault=<worker>,<step>` makes that worker throw just before that optimizer step. */
const FAULT = ((): { worker: number; step: number } | undefined => {
  const m = /^(\d+),(\d+)$/.exec(new URLSearchParams(location.search).get('fault') ?? '');
  return m ? { worker: Number(m[1]), step: Number(m[2]) } : undefined;
})();

const CORES = defaultThreads();
const SHARED = sharedMemoryAvailable();

function showError(el: HTMLElement, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  el.textContent = message.replace(/\s*\n\s*/g, ' ').trim();
  el.hidden = false;
}

function clearError(el: HTMLElement): void {
  el.textContent = '';
  el.hidden = true;
}

function setState(s: 'idle' | 'training' | 'trained' | 'stopped' | 'error'): void {
  document.body.dataset.state = s;
}

const fmt = {
  loss: (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toPrecision(4)),
  int: (v: number) => Math.round(v).toLocaleString('en-US'),
  seconds: (ms: number) => `${(ms / 1000).toFixed(1)} s`,
};

// ---------------------------------------------------------------------------------------------------------------
// Cross-origin isolation

function describeIsolation(): void {
  if (SHARED) {
    ui.isolation.className = 'notice ok';
    ui.isolation.textContent = `Cross-origin isolated: training runs on up to ${CORES} Web Worker${CORES === 1 ? '' : 's'} (one per core) over shared memory, with ${plannedBackend('auto') === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript'} kernels.`;
    ui.threads.value = String(CORES);
    ui.threadsHint.textContent = `this machine reports ${CORES} core${CORES === 1 ? '' : 's'}`;
  } else {
    ui.isolation.className = 'notice warn';
    ui.isolation.textContent =
      'This page is not cross-origin isolated, so SharedArrayBuffer is unavailable: training falls back to one Web ' +
      "Worker running core's single-thread fit with JavaScript kernels. Serve the page with the headers " +
      '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (the Vite dev and ' +
      'preview servers of apps/web do) to train on every core.';
    ui.threads.value = '1';
    ui.threads.disabled = true;
    ui.threadsHint.textContent = 'one worker: shared memory is unavailable';
    ui.kernels.value = 'js';
    ui.kernels.disabled = true;
  }
  document.body.dataset.isolated = String(SHARED);
}

// ---------------------------------------------------------------------------------------------------------------
// Data

function applyPreset(source: Source): void {
  const p = PRESETS[source];
  ui.layers.value = p.hidden;
  ui.activation.value = p.activation;
  ui.optimizer.value = p.optimizer;
  ui.lr.value = String(p.learningRate);
  ui.batchSize.value = String(p.batchSize);
  ui.epochs.value = String(p.epochs);
}

function setTable(table: Table | undefined, defaultTarget?: string): void {
  state.table = table;
  ui.target.replaceChildren();
  if (!table) {
    ui.target.disabled = true;
    return;
  }
  ui.target.disabled = false;
  for (const name of table.header) ui.target.append(new Option(name, name));
  ui.target.value = defaultTarget && table.header.includes(defaultTarget) ? defaultTarget : table.header.at(-1)!;
}

function prepare(): void {
  clearError(ui.dataError);
  state.problem = undefined;
  ui.task.textContent = '';
  ui.outputLayer.textContent = '';
  ui.dataSummary.textContent = '';
  const table = state.table;
  if (!table) {
    ui.dataSummary.textContent = state.source === 'csv' ? 'Choose or drop a CSV file.' : '';
    updateTrainable();
    return;
  }
  try {
    const problem = prepareProblem(table, ui.target.value, ui.missing.value as MissingPolicy);
    state.problem = problem;
    const d = problem.dataset;
    const dropped = problem.dropped > 0 ? `, ${problem.dropped} left out for missing values` : '';
    ui.dataSummary.textContent = `${table.file}: ${fmt.int(d.rows)} rows${dropped}, ${d.features} network inputs from ${problem.encoding.features.length} column${problem.encoding.features.length === 1 ? '' : 's'}.`;
    ui.task.textContent = `Task: ${describeTarget(problem.encoding.target)}.`;
    ui.outputLayer.textContent = `Output layer (from the target): ${problem.outputUnits} unit${problem.outputUnits === 1 ? '' : 's'}, ${problem.outputActivation} activation, loss ${problem.loss}.`;
    ui.predictInput.value = tableHead(
      table,
      problem.encoding.features.map((f) => f.name),
    );
  } catch (error) {
    showError(ui.dataError, error);
  }
  updateTrainable();
}

function selectSource(source: Source, fromUser = true): void {
  state.source = source;
  const radio = document.querySelector<HTMLInputElement>(`input[name="dataset"][value="${source}"]`);
  if (radio) radio.checked = true;
  if (fromUser && source !== 'csv') applyPreset(source);
  if (source === 'seed') setTable(seedTable(), 'y');
  else if (source === 'iris') setTable(irisTable(), 'species');
  else setTable(undefined);
  if (source !== 'csv') ui.csvFile.value = '';
  prepare();
}

async function readCsvFile(file: File): Promise<void> {
  selectSource('csv');
  try {
    const text = await file.text();
    setTable(parseCsvText(text, file.name));
  } catch (error) {
    setTable(undefined);
    prepare();
    showError(ui.dataError, error);
    return;
  }
  prepare();
}

// ---------------------------------------------------------------------------------------------------------------
// Training

function updateTrainable(): void {
  const training = state.abort !== undefined;
  ui.train.disabled = training || state.problem === undefined;
  ui.stop.disabled = !training;
  ui.fields.disabled = training;
  ui.downloadJson.disabled = training || state.model === undefined;
  ui.downloadWeights.disabled = ui.downloadJson.disabled;
  ui.predict.disabled = training || state.model === undefined;
}

let chartQueued = false;
function redrawChart(): void {
  ui.chart.dataset.loss = JSON.stringify(state.chart.loss);
  ui.chart.dataset.valLoss = JSON.stringify(state.chart.valLoss);
  ui.chart.setAttribute('aria-label', describeChart(state.chart));
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => {
    chartQueued = false;
    drawChart(ui.chart, state.chart);
  });
}

function number(input: HTMLInputElement, what: string, check: (v: number) => boolean, rule: string): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !check(v)) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    throw new RangeError(`${what}: ${rule}, got ${JSON.stringify(input.value)}`);
  }
  input.removeAttribute('aria-invalid');
  return v;
}

function readSettings() {
  const hiddenText = ui.layers.value.trim();
  const hidden = hiddenText === '' ? [] : hiddenText.split(/[\s,]+/).map(Number);
  if (!hidden.every((u) => Number.isInteger(u) && u >= 1 && u <= 4096)) {
    ui.layers.setAttribute('aria-invalid', 'true');
    ui.layers.focus();
    throw new RangeError(`Hidden layers: whole numbers of units from 1 to 4096, comma-separated, got "${hiddenText}"`);
  }
  ui.layers.removeAttribute('aria-invalid');
  const isInt = (min: number, max: number) => (v: number) => Number.isInteger(v) && v >= min && v <= max;
  return {
    hidden,
    activation: parseActivation(ui.activation.value) as ActivationName,
    optimizer: ui.optimizer.value as OptimizerName,
    learningRate: number(ui.lr, 'Learning rate', (v) => Number.isFinite(v) && v > 0, 'a number above 0'),
    batchSize: number(ui.batchSize, 'Batch size', isInt(1, 1_000_000), 'a whole number from 1'),
    epochs: number(ui.epochs, 'Epochs', isInt(1, 100_000), 'a whole number from 1 to 100000'),
    validationSplit: number(ui.valSplit, 'Validation split', (v) => v >= 0 && v <= 0.9, 'a fraction from 0 to 0.9'),
    threads: SHARED ? number(ui.threads, 'Threads', isInt(1, 64), 'a whole number from 1 to 64') : 1,
    kernels: ui.kernels.value as 'auto' | 'wasm' | 'js',
  };
}

async function train(): Promise<void> {
  if (state.abort || !state.problem) return;
  clearError(ui.trainError);
  const problem = state.problem;
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings();
  } catch (error) {
    showError(ui.trainError, error);
    return;
  }
  const spec = mlpSpec(
    problem.dataset.features,
    [...settings.hidden, problem.outputUnits],
    settings.activation,
    problem.outputActivation,
  );
  const model = Mlp.create(spec, { seed: 1 });
  const abort = new AbortController();
  state.abort = abort;
  state.chart = { loss: [], valLoss: [], epochs: settings.epochs };
  redrawChart();
  setState('training');
  updateTrainable();
  const started = performance.now();
  const layers = spec.layers.map((l) => l.units).join('-');
  ui.announce.textContent = `Training a ${spec.inputSize}-${layers} network on ${problem.name}.`;
  ui.sEpoch.textContent = `0 / ${settings.epochs}`;
  for (const el of [ui.sLoss, ui.sValLoss, ui.sRows]) el.textContent = '–';
  const backend = plannedBackend(settings.kernels);
  const mode = SHARED
    ? `${settings.threads} Web Worker${settings.threads === 1 ? '' : 's'}, ${backend === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript'} kernels`
    : '1 Web Worker (no shared memory), JavaScript kernels';
  ui.sMode.textContent = mode;
  ui.status.dataset.mode = SHARED ? 'parallel' : 'single-worker';
  ui.status.dataset.threads = String(settings.threads);
  ui.status.dataset.kernels = backend;
  const timer = setInterval(() => {
    ui.sTime.textContent = fmt.seconds(performance.now() - started);
  }, 250);

  try {
    const result = await trainInBrowser(model, problem.dataset, {
      loss: problem.loss,
      optimizer: { name: settings.optimizer, learningRate: settings.learningRate },
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      validationSplit: settings.validationSplit,
      seed: 1,
      threads: settings.threads,
      kernels: settings.kernels,
      signal: abort.signal,
      ...(FAULT ? { injectFault: FAULT } : {}),
      callbacks: {
        onBatchEnd: (log) => {
          ui.sEpoch.textContent = `${log.epoch + 1} / ${settings.epochs} (step ${log.step} of ${log.stepsPerEpoch})`;
          ui.sLoss.textContent = fmt.loss(log.loss);
          ui.sRows.textContent = fmt.int(log.rowsPerSec);
          state.chart.current = { loss: log.loss, fraction: log.step / log.stepsPerEpoch };
          redrawChart();
        },
        onEpochEnd: (log) => {
          state.chart.loss.push(log.loss);
          if (log.valLoss !== undefined) state.chart.valLoss.push(log.valLoss);
          state.chart.current = undefined;
          ui.sEpoch.textContent = `${log.epoch + 1} / ${settings.epochs}`;
          ui.sLoss.textContent = fmt.loss(log.loss);
          ui.sValLoss.textContent = fmt.loss(log.valLoss);
          ui.sRows.textContent = fmt.int(log.rowsPerSec);
          redrawChart();
        },
      },
    });
    ui.status.dataset.kernels = result.kernels;
    ui.status.dataset.threads = String(result.threads);
    ui.status.dataset.mode = result.mode;
    const epochsRun = result.history.length;
    const totalMs = performance.now() - started;
    const rowsPerSec = result.history.length
      ? result.history.reduce((s, h) => s + h.rowsPerSec, 0) / result.history.length
      : 0;
    if (rowsPerSec > 0) ui.sRows.textContent = `${fmt.int(rowsPerSec)} (mean)`;
    ui.sTime.textContent = fmt.seconds(totalMs);
    state.chart.current = undefined;
    redrawChart();
    state.model = { model, encoding: problem.encoding, loss: problem.loss, source: `trained on ${problem.name}` };
    state.training = {
      optimizer: createOptimizer({ name: settings.optimizer, learningRate: settings.learningRate }).config,
      batchSize: settings.batchSize,
      epochs: settings.epochs,
      validationSplit: settings.validationSplit,
      threads: result.threads,
      mode: result.mode,
      kernels: result.kernels,
      history: result.history,
      dataset: problem.name,
    };
    const last = result.history.at(-1);
    const what = result.aborted ? `Stopped after ${epochsRun} epoch${epochsRun === 1 ? '' : 's'}` : 'Trained';
    ui.modelSummary.textContent = `${what}: a ${spec.inputSize}-${layers} network (${fmt.int(model.paramCount)} parameters) on ${problem.name}, final loss ${fmt.loss(last?.loss)}${last?.valLoss !== undefined ? `, validation loss ${fmt.loss(last.valLoss)}` : ''}.`;
    ui.announce.textContent = `${ui.modelSummary.textContent} The model can be downloaded now.`;
    setState(result.aborted ? 'stopped' : 'trained');
  } catch (error) {
    showError(ui.trainError, error);
    ui.announce.textContent = 'Training failed.';
    setState('error');
  } finally {
    clearInterval(timer);
    state.abort = undefined;
    updateTrainable();
  }
  if (state.model?.model === model) predict();
}

// ---------------------------------------------------------------------------------------------------------------
// Model files and prediction

function downloadFile(which: 'json' | 'weights'): void {
  if (!state.model) return;
  try {
    const files = modelFiles(state.model, state.model.source.startsWith('trained') ? state.training : undefined);
    if (which === 'json') download('model.json', files.modelJson, 'application/json');
    else download('weights.bin', files.weights, 'application/octet-stream');
  } catch (error) {
    showError(ui.modelError, error);
  }
}

async function loadModel(files: File[]): Promise<void> {
  clearError(ui.modelError);
  if (files.length === 0) return;
  try {
    const loaded = await loadModelFiles(files);
    state.model = loaded;
    const m = loaded.model;
    const layers = m.spec.layers.map((l) => `${l.units} ${l.activation}`).join(', ');
    const task = loaded.encoding ? describeTarget(loaded.encoding.target) : 'no data encoding (raw numeric inputs)';
    ui.modelSummary.textContent = `Loaded ${loaded.source}: ${m.inputSize} inputs, layers ${layers} (${fmt.int(m.paramCount)} parameters); ${task}.`;
    ui.announce.textContent = ui.modelSummary.textContent;
    if (!ui.predictInput.value.trim()) {
      const names = loaded.encoding
        ? loaded.encoding.features.map((f) => f.name)
        : Array.from({ length: m.inputSize }, (_, i) => `c${i + 1}`);
      ui.predictInput.value = `${names.join(',')}\n`;
    }
  } catch (error) {
    showError(ui.modelError, error);
  }
  updateTrainable();
  if (state.model && ui.predictInput.value.trim()) predict();
}

function predict(): void {
  clearError(ui.predictError);
  const page = state.model;
  if (!page) return;
  try {
    const { model, encoding } = page;
    const types = new Map<string, ColumnKind>();
    if (encoding) for (const f of encoding.features) types.set(f.name, f.kind);
    const table = parseCsvText(ui.predictInput.value, 'rows to predict', { types });
    const rows = Int32Array.from({ length: table.rows }, (_, i) => i);
    let x: Float32Array;
    if (encoding) {
      x = encodeFeatures(table, encoding.features, rows, { missing: 'error', unknown: 'error', advice: PAGE_ADVICE });
    } else {
      if (table.header.length !== model.inputSize) {
        throw new RangeError(
          `rows to predict: ${table.header.length} columns, the model takes ${model.inputSize} inputs (the model has no data encoding, so give its raw inputs)`,
        );
      }
      x = new Float32Array(table.rows * model.inputSize);
      table.header.forEach((name, j) => {
        const c = table.columns.get(name)!;
        if (c.kind !== 'numeric') throw new RangeError(`rows to predict: column "${name}" must hold numbers`);
        for (let r = 0; r < table.rows; r++) x[r * model.inputSize + j] = c.values[r];
      });
    }
    const out = model.predict(x, table.rows);
    const units = model.outputSize;
    const decoded = decodeOutputs(encoding?.target, out, table.rows, units);
    const head = document.createElement('tr');
    for (const name of ['row', ...decoded.columns]) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = name;
      head.append(th);
    }
    ui.predictions.tHead?.replaceChildren(head);
    const body = ui.predictions.tBodies[0];
    body.replaceChildren(
      ...decoded.cells.map((cells, r) => {
        const tr = document.createElement('tr');
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = String(r + 1);
        tr.append(th);
        for (const c of cells) {
          const td = document.createElement('td');
          td.textContent = String(c);
          tr.append(td);
        }
        return tr;
      }),
    );
    ui.predictions.dataset.outputs = JSON.stringify(Array.from(out));
    ui.predictions.dataset.units = String(units);
  } catch (error) {
    showError(ui.predictError, error);
    ui.predictions.dataset.outputs = '[]';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="dataset"]')) {
  radio.addEventListener('change', () => {
    if (radio.checked) {
      selectSource(radio.value as Source);
      if (radio.value === 'csv' && !ui.csvFile.files?.length) ui.csvFile.focus();
    }
  });
}
ui.csvFile.addEventListener('change', () => {
  const file = ui.csvFile.files?.[0];
  if (file) void readCsvFile(file);
});
ui.target.addEventListener('change', prepare);
ui.missing.addEventListener('change', prepare);

const section = ui.dataSection;
section.addEventListener('dragover', (event) => {
  event.preventDefault();
  section.classList.add('dragging');
});
section.addEventListener('dragleave', (event) => {
  if (event.target === section) section.classList.remove('dragging');
});
section.addEventListener('drop', (event) => {
  event.preventDefault();
  section.classList.remove('dragging');
  const file = event.dataTransfer?.files?.[0];
  if (file) void readCsvFile(file);
});

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void train();
});
ui.stop.addEventListener('click', () => {
  state.abort?.abort();
  ui.announce.textContent = 'Stopping after the current step.';
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.abort) state.abort.abort();
});
ui.downloadJson.addEventListener('click', () => downloadFile('json'));
ui.downloadWeights.addEventListener('click', () => downloadFile('weights'));
ui.modelFiles.addEventListener('change', () => void loadModel(Array.from(ui.modelFiles.files ?? [])));
ui.predict.addEventListener('click', predict);
window.addEventListener('resize', () => drawChart(ui.chart, state.chart));

describeIsolation();
selectSource('seed', true);
drawChart(ui.chart, state.chart);
document.body.dataset.ready = 'true';
