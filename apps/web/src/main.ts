/**
 * The page: pick or drop data, choose a network, train it on every core with a live loss chart, download the
 * model (tfjs Layers format) and load one back to predict. Plain DOM, no framework.
 *
 * The page publishes its state as data attributes, for scripts and tests: `body[data-state]` (idle, training,
 * trained, stopped, error), `#chart[data-loss]` / `[data-val-loss]` (JSON arrays of per-epoch losses),
 * `#chart[data-layout]` (the drawn chart's layout, see chart.ts), `#status[data-mode]`, `[data-threads]`,
 * `[data-kernels]`, `[data-epoch-ms]` (JSON array of each epoch's milliseconds, for timing scripts), and `#predictions[data-outputs]` (the raw network outputs of the last prediction, row-major
 * JSON).
 */
import './style.css';
import { createOptimizer, Mlp, mlpSpec } from '@shardprop/core';
import { describeTarget, type MissingPolicy, type Table } from '@shardprop/tabular';
import { type ChartData, describeChart, drawChart } from './chart.js';
import { readDataFile } from './data-file.js';
import { irisTable, PRESETS, type Preset, seedTable, tableHead } from './datasets.js';
import { numericAdvice, type Problem, prepareProblem } from './encoding.js';
import { formatDuration, formatInt, formatLoss, plural } from './format.js';
import { download, loadModelFiles, modelFiles, type PageModel, type TrainingRecord } from './model-io.js';
import { predictRows, showPrediction } from './predict.js';
import {
  applyPreset,
  describePreset,
  markField,
  readSettings,
  type Settings,
  type SettingsFields,
  showsPreset,
} from './settings.js';
import { defaultThreads, plannedBackend, sharedMemoryAvailable, trainInBrowser } from './trainer.js';

type Source = 'seed' | 'iris' | 'csv';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: #${id} is missing`);
  return el as T;
}

const fields: SettingsFields = {
  layers: $<HTMLInputElement>('layers'),
  activation: $<HTMLSelectElement>('activation'),
  dropout: $<HTMLInputElement>('dropout'),
  optimizer: $<HTMLSelectElement>('optimizer'),
  lr: $<HTMLInputElement>('lr'),
  lrSchedule: $<HTMLSelectElement>('lr-schedule'),
  l2: $<HTMLInputElement>('l2'),
  batchSize: $<HTMLInputElement>('batch-size'),
  epochs: $<HTMLInputElement>('epochs'),
  valSplit: $<HTMLInputElement>('val-split'),
  threads: $<HTMLSelectElement>('threads'),
  kernels: $<HTMLSelectElement>('kernels'),
};

const ui = {
  isolation: $('isolation'),
  dataSection: $('data-section'),
  dataFields: $<HTMLFieldSetElement>('data-fields'),
  csvFile: $<HTMLInputElement>('csv-file'),
  target: $<HTMLSelectElement>('target'),
  missing: $<HTMLSelectElement>('missing'),
  task: $('task'),
  dataSummary: $('data-summary'),
  dataError: $('data-error'),
  form: $<HTMLFormElement>('settings'),
  settingsFields: $<HTMLFieldSetElement>('settings-fields'),
  threadsHint: $('threads-hint'),
  outputLayer: $('output-layer'),
  presetNote: $('preset-note'),
  presetText: $('preset-text'),
  applyPreset: $<HTMLButtonElement>('apply-preset'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  status: $('status'),
  sEpoch: $('s-epoch'),
  sLoss: $('s-loss'),
  sValLoss: $('s-val-loss'),
  sEpochTime: $('s-epoch-time'),
  sRows: $('s-rows'),
  sTime: $('s-time'),
  sMode: $('s-mode'),
  sThreads: $('s-threads'),
  sThreadsWhy: $('s-threads-why'),
  glossary: $<HTMLDetailsElement>('glossary'),
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
  predictNote: $('predict-note'),
  predictions: $<HTMLTableElement>('predictions'),
};

const state: {
  source: Source;
  table: Table | undefined;
  /** Why the chosen CSV file could not be read, until another file or dataset is chosen. */
  tableError: unknown;
  problem: Problem | undefined;
  model: PageModel | undefined;
  /** What the model summary says about the current model. */
  modelText: string;
  training: TrainingRecord | undefined;
  abort: AbortController | undefined;
  chart: ChartData;
  /** The suggested settings the form was last set to. */
  preset: Preset;
  /** The rows the page last put in the prediction box. */
  prefill: string;
} = {
  source: 'seed',
  table: undefined,
  tableError: undefined,
  problem: undefined,
  model: undefined,
  modelText: '',
  training: undefined,
  abort: undefined,
  chart: { loss: [], valLoss: [], epochs: 0 },
  preset: PRESETS.seed,
  prefill: '',
};

const CORES = defaultThreads();
const SHARED = sharedMemoryAvailable();
const DATASET_NAMES: Record<Source, string> = { seed: 'the seed problem', iris: 'iris', csv: 'a data file' };

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

function kernelWords(backend: 'wasm' | 'js'): string {
  return backend === 'wasm' ? 'WebAssembly SIMD kernels' : 'JavaScript kernels';
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-origin isolation

function describeIsolation(): void {
  const threads = fields.threads;
  if (SHARED) {
    ui.isolation.className = 'notice ok';
    ui.isolation.innerHTML = `<a href="#term-isolated">Cross-origin isolated</a>: this page can share memory between threads, so training can use up to ${plural(CORES, 'Web Worker')} (one per core), with ${plannedBackend('auto') === 'wasm' ? '<a href="#term-simd">WebAssembly SIMD</a> kernels' : 'JavaScript kernels'}.`;
    for (let n = 1; n <= Math.min(CORES, 64); n++) threads.append(new Option(String(n), String(n)));
    threads.value = 'auto';
    ui.threadsHint.textContent = `"auto" times 1 up to ${plural(CORES, 'worker')} on the run's first steps and keeps the fastest (the result is the same either way)`;
  } else {
    ui.isolation.className = 'notice warn';
    ui.isolation.innerHTML =
      'This page is not <a href="#term-isolated">cross-origin isolated</a>, so it cannot share memory between ' +
      'threads: training runs on one Web Worker with JavaScript kernels. To train on every core, serve it with the ' +
      'headers <code>Cross-Origin-Opener-Policy: same-origin</code> and <code>Cross-Origin-Embedder-Policy: ' +
      'require-corp</code> (the Vite dev and preview servers of apps/web do).';
    threads.replaceChildren(new Option('1', '1'));
    threads.disabled = true;
    ui.threadsHint.textContent = 'one worker: shared memory is unavailable';
    fields.kernels.value = 'js';
    fields.kernels.disabled = true;
  }
  document.body.dataset.isolated = String(SHARED);
}

// ---------------------------------------------------------------------------------------------------------------
// Data

/**
 * Offers the suggested settings of `source`: applied when the form still shows the previous suggestion, and
 * otherwise proposed with a button, so that a dataset choice never overwrites settings the visitor changed.
 */
function suggestPreset(source: Source): void {
  const preset = PRESETS[source];
  ui.presetNote.hidden = true;
  if (showsPreset(fields, preset)) {
    state.preset = preset;
    return;
  }
  if (showsPreset(fields, state.preset)) {
    applyPreset(fields, preset);
    state.preset = preset;
    ui.announce.textContent = `Settings set to the suggestions for ${DATASET_NAMES[source]}: ${describePreset(preset)}.`;
    return;
  }
  ui.presetText.textContent = `You changed the settings, so they were kept. Suggested for ${DATASET_NAMES[source]}: ${describePreset(preset)}.`;
  ui.applyPreset.textContent = `Use the suggestions for ${DATASET_NAMES[source]}`;
  ui.applyPreset.onclick = () => {
    applyPreset(fields, preset);
    state.preset = preset;
    ui.presetNote.hidden = true;
    ui.announce.textContent = `Settings set to the suggestions for ${DATASET_NAMES[source]}.`;
    fields.layers.focus();
  };
  ui.presetNote.hidden = false;
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
    if (state.tableError !== undefined) showError(ui.dataError, state.tableError);
    else ui.dataSummary.textContent = state.source === 'csv' ? 'Choose or drop a CSV, Parquet or Arrow file.' : '';
    updateControls();
    return;
  }
  try {
    const problem = prepareProblem(table, ui.target.value, ui.missing.value as MissingPolicy);
    state.problem = problem;
    const d = problem.dataset;
    const dropped = problem.dropped > 0 ? `, ${formatInt(problem.dropped)} left out for missing values` : '';
    const columns = problem.encoding.features.length;
    ui.dataSummary.textContent = `${table.file}: ${formatInt(d.rows)} rows${dropped}, ${formatInt(d.features)} network inputs from ${plural(columns, 'column')}.`;
    ui.task.textContent = `Task: ${describeTarget(problem.encoding.target)}.`;
    ui.outputLayer.textContent = `Output layer (from the target): ${plural(problem.outputUnits, 'unit')}, ${problem.outputActivation} activation, loss ${problem.loss}.`;
    // Rows the model can take as they are: the first few rows that went into training. Rows the visitor typed
    // are kept.
    if (ui.predictInput.value === state.prefill || ui.predictInput.value.trim() === '') {
      state.prefill = tableHead(
        table,
        problem.encoding.features.map((f) => f.name),
        problem.rows.subarray(0, 5),
      );
      ui.predictInput.value = state.prefill;
    }
  } catch (error) {
    showError(ui.dataError, error);
  }
  updateControls();
}

function selectSource(source: Source): void {
  state.source = source;
  state.tableError = undefined;
  const radio = document.querySelector<HTMLInputElement>(`input[name="dataset"][value="${source}"]`);
  if (radio) radio.checked = true;
  if (source === 'seed') setTable(seedTable(), 'y');
  else if (source === 'iris') setTable(irisTable(), 'species');
  else setTable(undefined);
  if (source !== 'csv') ui.csvFile.value = '';
  suggestPreset(source);
  prepare();
}

async function readCsvFile(file: File): Promise<void> {
  if (state.abort) return;
  selectSource('csv');
  try {
    setTable(await readDataFile(file.name, new Uint8Array(await file.arrayBuffer()), { numericAdvice }));
  } catch (error) {
    setTable(undefined);
    state.tableError = error;
  } finally {
    // So that choosing the same file again, once corrected, reads it again.
    ui.csvFile.value = '';
  }
  prepare();
}

// ---------------------------------------------------------------------------------------------------------------
// Training

/** Enables what can be used now; moves the focus off a button that this disables, to its counterpart. */
function updateControls(): void {
  const training = state.abort !== undefined;
  const focused = document.activeElement;
  ui.train.disabled = training || state.problem === undefined;
  ui.stop.disabled = !training;
  ui.settingsFields.disabled = training;
  ui.dataFields.disabled = training;
  ui.presetNote.inert = training;
  ui.downloadJson.disabled = training || state.model === undefined;
  ui.downloadWeights.disabled = ui.downloadJson.disabled;
  ui.predict.disabled = training || state.model === undefined;
  if (focused === ui.train && ui.train.disabled && !ui.stop.disabled) ui.stop.focus();
  if (focused === ui.stop && ui.stop.disabled) ui.train.focus();
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
    drawChartNow();
  });
}

function drawChartNow(): void {
  const layout = drawChart(ui.chart, state.chart);
  if (layout) ui.chart.dataset.layout = JSON.stringify(layout);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function showThreads(threads: number, reason: string, backend: 'wasm' | 'js'): void {
  ui.sMode.textContent = SHARED
    ? `${plural(threads, 'Web Worker')}, ${kernelWords(backend)}`
    : `1 Web Worker (no shared memory), ${kernelWords(backend)}`;
  ui.sThreads.textContent = String(threads);
  ui.sThreadsWhy.textContent = `(${reason})`;
  ui.status.dataset.threads = String(threads);
  ui.status.dataset.kernels = backend;
}

async function train(): Promise<void> {
  if (state.abort || !state.problem) return;
  clearError(ui.trainError);
  const problem = state.problem;
  let settings: Settings;
  try {
    settings = readSettings(fields, SHARED);
  } catch (error) {
    ui.announce.textContent = `Not started: ${(error as Error).message}.`;
    return;
  }
  const spec = mlpSpec(
    problem.dataset.features,
    [...settings.hidden, problem.outputUnits],
    settings.activation,
    problem.outputActivation,
    settings.dropout,
  );
  const model = Mlp.create(spec, { seed: 1 });
  const abort = new AbortController();
  state.abort = abort;
  state.chart = { loss: [], valLoss: [], epochs: settings.epochs };
  redrawChart();
  setState('training');
  updateControls();
  const started = performance.now();
  const layers = spec.layers.map((l) => l.units).join('-');
  ui.announce.textContent = `Training a ${spec.inputSize}-${layers} network on ${problem.name}.`;
  ui.sEpoch.textContent = `0 / ${formatInt(settings.epochs)}`;
  for (const el of [ui.sLoss, ui.sValLoss, ui.sRows, ui.sEpochTime, ui.sThreads, ui.sTime]) el.textContent = '–';
  ui.sThreadsWhy.textContent = '';
  const backend = plannedBackend(settings.kernels);
  ui.sMode.textContent = '–';
  ui.status.dataset.mode = SHARED ? 'parallel' : 'single-worker';
  const epochMs: number[] = [];
  ui.status.dataset.epochMs = '[]';
  const timer = setInterval(() => {
    ui.sTime.textContent = formatDuration(performance.now() - started);
  }, 250);

  try {
    const result = await trainInBrowser(model, problem.dataset, {
      loss: problem.loss,
      optimizer: { name: settings.optimizer, learningRate: settings.learningRate },
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      validationSplit: settings.validationSplit,
      l2: settings.l2,
      ...(settings.lrSchedule !== 'constant' ? { lrSchedule: { name: settings.lrSchedule } } : {}),
      seed: 1,
      threads: settings.threads,
      kernels: settings.kernels,
      signal: abort.signal,
      onThreads: (threads, reason) => showThreads(threads, reason, backend),
      callbacks: {
        onBatchEnd: (log) => {
          ui.sEpoch.textContent = `${formatInt(log.epoch + 1)} / ${formatInt(settings.epochs)} (step ${formatInt(log.step)} of ${formatInt(log.stepsPerEpoch)})`;
          ui.sLoss.textContent = formatLoss(log.loss);
          ui.sRows.textContent = formatInt(log.rowsPerSec);
          state.chart.current = { loss: log.loss, fraction: log.step / log.stepsPerEpoch };
          redrawChart();
        },
        onEpochEnd: (log) => {
          state.chart.loss.push(log.loss);
          epochMs.push(log.msPerEpoch);
          ui.status.dataset.epochMs = JSON.stringify(epochMs);
          if (log.valLoss !== undefined) state.chart.valLoss.push(log.valLoss);
          state.chart.current = undefined;
          ui.sEpoch.textContent = `${formatInt(log.epoch + 1)} / ${formatInt(settings.epochs)}`;
          ui.sLoss.textContent = formatLoss(log.loss);
          ui.sValLoss.textContent = formatLoss(log.valLoss);
          ui.sRows.textContent = formatInt(log.rowsPerSec);
          ui.sEpochTime.textContent = formatDuration(log.msPerEpoch);
          redrawChart();
        },
      },
    });
    showThreads(result.threads, result.threadsReason, result.kernels);
    ui.status.dataset.mode = result.mode;
    const history = result.history;
    const epochsRun = history.length;
    ui.sEpoch.textContent = `${formatInt(epochsRun)} / ${formatInt(settings.epochs)}`;
    if (epochsRun > 0) {
      const rowsPerSec = history.reduce((s, h) => s + h.rowsPerSec, 0) / epochsRun;
      ui.sRows.textContent = `${formatInt(rowsPerSec)} (mean)`;
      ui.sEpochTime.textContent = `${formatDuration(median(history.map((h) => h.msPerEpoch)))} (median)`;
    }
    ui.sTime.textContent = formatDuration(performance.now() - started);
    // The chart shows what the model holds: the completed epochs, on an axis as long as the run.
    state.chart = {
      loss: history.map((h) => h.loss),
      valLoss: history.flatMap((h) => (h.valLoss === undefined ? [] : [h.valLoss])),
      epochs: Math.max(1, epochsRun),
    };
    redrawChart();
    state.model = {
      model,
      encoding: problem.encoding,
      loss: problem.loss,
      source: `trained on ${problem.name}`,
    };
    state.training = {
      optimizer: createOptimizer({ name: settings.optimizer, learningRate: settings.learningRate }).config,
      batchSize: settings.batchSize,
      epochs: settings.epochs,
      validationSplit: settings.validationSplit,
      l2: settings.l2,
      lrSchedule: settings.lrSchedule,
      threads: result.threads,
      mode: result.mode,
      kernels: result.kernels,
      history,
      dataset: problem.name,
    };
    const last = history.at(-1);
    const what = result.aborted
      ? `Stopped after ${plural(epochsRun, 'complete epoch')}${epochsRun === 0 ? ' (the weights are the initial ones)' : ''}`
      : 'Trained';
    setModelText(
      `${what}: a ${spec.inputSize}-${layers} network (${formatInt(model.paramCount)} parameters) on ${problem.name}, final loss ${formatLoss(last?.loss)}${last?.valLoss !== undefined ? `, validation loss ${formatLoss(last.valLoss)}` : ''}.`,
    );
    ui.announce.textContent = `${state.modelText} The model can be downloaded now.`;
    setState(result.aborted ? 'stopped' : 'trained');
  } catch (error) {
    showError(ui.trainError, error);
    ui.sTime.textContent = formatDuration(performance.now() - started);
    state.chart = {
      loss: [],
      valLoss: [],
      epochs: settings.epochs,
      note: 'This run failed: see the message under the Train button.',
    };
    redrawChart();
    if (state.model) {
      ui.modelSummary.textContent = `Still using the previous model (the last run failed). ${state.modelText}`;
    }
    ui.announce.textContent = 'Training failed.';
    setState('error');
  } finally {
    clearInterval(timer);
    state.abort = undefined;
    updateControls();
  }
  if (state.model?.model === model) predict();
}

// ---------------------------------------------------------------------------------------------------------------
// Model files and prediction

function setModelText(text: string): void {
  state.modelText = text;
  ui.modelSummary.textContent = text;
}

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
    setModelText(
      `Loaded ${loaded.source}: ${m.inputSize} inputs, layers ${layers} (${formatInt(m.paramCount)} parameters); ${task}.`,
    );
    ui.announce.textContent = state.modelText;
    const names = loaded.encoding
      ? loaded.encoding.features.map((f) => f.name)
      : Array.from({ length: m.inputSize }, (_, i) => `c${i + 1}`);
    const header = ui.predictInput.value.split('\n', 1)[0].trim();
    if (header !== names.join(',')) {
      state.prefill = `${names.join(',')}\n`;
      ui.predictInput.value = state.prefill;
    }
  } catch (error) {
    showError(ui.modelError, error);
    // The files were not taken: say which model is still in use, and let the same files be chosen again.
    ui.modelFiles.value = '';
    ui.modelSummary.textContent = state.model
      ? `Still using the previous model (the chosen files were not loaded). ${state.modelText}`
      : 'No model yet: the chosen files were not loaded. Train one, or load a model directory.';
  }
  updateControls();
  if (state.model && ui.predictInput.value.trim()) predict();
}

function predict(): void {
  clearError(ui.predictError);
  ui.predictNote.hidden = true;
  const page = state.model;
  if (!page) return;
  try {
    const prediction = predictRows(page, ui.predictInput.value, ui.missing.value as MissingPolicy);
    showPrediction(ui.predictions, prediction);
    const out = prediction.leftOut;
    if (out.length > 0) {
      ui.predictNote.textContent = `${out.length === 1 ? 'Row' : 'Rows'} ${out.join(', ')} left out: a value is missing (Missing values: "leave the row out").`;
      ui.predictNote.hidden = false;
    }
  } catch (error) {
    showPrediction(ui.predictions, undefined);
    showError(ui.predictError, error);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="dataset"]')) {
  radio.addEventListener('change', () => {
    if (radio.checked) {
      selectSource(radio.value as Source);
      if (radio.value === 'csv') ui.csvFile.focus();
    }
  });
}
ui.csvFile.addEventListener('change', () => {
  const file = ui.csvFile.files?.[0];
  if (file) void readCsvFile(file);
});
ui.target.addEventListener('change', prepare);
ui.missing.addEventListener('change', () => {
  prepare();
  if (state.model && ui.predictions.tBodies[0]?.rows.length) predict();
});

const section = ui.dataSection;
section.addEventListener('dragover', (event) => {
  event.preventDefault();
  if (!state.abort) section.classList.add('dragging');
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
  ui.announce.textContent = 'Stopping: the model keeps the epochs completed so far.';
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.abort) state.abort.abort();
});
ui.downloadJson.addEventListener('click', () => downloadFile('json'));
ui.downloadWeights.addEventListener('click', () => downloadFile('weights'));
ui.modelFiles.addEventListener('change', () => void loadModel(Array.from(ui.modelFiles.files ?? [])));
ui.predict.addEventListener('click', predict);
// A link to a word's explanation opens the glossary it is in.
document.addEventListener('click', (event) => {
  if ((event.target as Element | null)?.closest?.('a[href^="#term-"]')) ui.glossary.open = true;
});
window.addEventListener('resize', drawChartNow);
for (const field of Object.values(fields)) {
  field.addEventListener('change', () => markField(field, undefined));
}

describeIsolation();
selectSource('seed');
drawChartNow();
document.body.dataset.ready = 'true';
