/**
 * The model directory in the browser: `model.json` + `weights.bin` in the TensorFlow.js Layers format (core's
 * `modelToArtifacts` / `modelFromArtifacts`), with the CLI's metadata (the data encoding, loss and task) in the
 * `shardprop` section, so a model downloaded here loads in `tf.loadLayersModel` and in `shardprop predict`.
 */
import {
  type EpochLog,
  type KernelBackend,
  type LossName,
  Mlp,
  MODEL_JSON,
  type ModelJson,
  modelFromArtifacts,
  modelToArtifacts,
  type ResolvedOptimizerConfig,
  type ShardpropMetaInput,
  WEIGHTS_BIN,
} from '@shardprop/core';
import { type Encoding, inputWidth, normalization, parseEncoding, targetNames } from '@shardprop/tabular';

/** A model the page can predict with, and what it knows about its data. */
export interface PageModel {
  model: Mlp;
  /** How raw columns become inputs; undefined for a model written by other tools (raw numeric inputs). */
  encoding: Encoding | undefined;
  loss: LossName | undefined;
  /** Where it came from, for the summary line. */
  source: string;
}

export interface TrainingRecord {
  optimizer: ResolvedOptimizerConfig;
  batchSize: number;
  epochs: number;
  validationSplit: number;
  /** Kernel L2 penalty; recorded in model.json as Keras' L1L2 kernel regularizer. */
  l2: number;
  lrSchedule: string;
  threads: number;
  mode: string;
  kernels: KernelBackend;
  history: EpochLog[];
  dataset: string;
}

/** The two files of a model, ready to download. */
export function modelFiles(
  page: PageModel,
  training?: TrainingRecord,
): { modelJson: string; weights: Uint8Array<ArrayBuffer> } {
  const { model, encoding, loss } = page;
  const section: ShardpropMetaInput = {
    ...(loss ? { loss } : {}),
    ...(encoding
      ? {
          featureNames: encoding.features.map((f) => f.name),
          targetNames: targetNames(encoding.target),
          encodings: encoding,
          normalization: normalization(encoding),
          task: encoding.target.task,
        }
      : {}),
    ...(training
      ? {
          optimizer: training.optimizer,
          epoch: training.history.length,
          kernels: training.kernels,
          training: {
            dataset: training.dataset,
            batchSize: training.batchSize,
            epochs: training.epochs,
            validationSplit: training.validationSplit,
            l2: training.l2,
            lrSchedule: training.lrSchedule,
            threads: training.threads,
            mode: training.mode,
            history: training.history.map((h) => ({ ...h })),
          },
        }
      : {}),
    generator: 'shardprop-web',
  };
  const artifacts = modelToArtifacts(
    model.spec,
    model.params,
    section,
    training ? { kernelRegularizer: { l1: 0, l2: training.l2 } } : undefined,
  );
  const weights = new Uint8Array(artifacts.weightData.byteLength);
  weights.set(artifacts.weightData);
  return { modelJson: `${JSON.stringify(artifacts.modelJson, null, 2)}\n`, weights };
}

/** The CLI's encoding in a `shardprop` section (tabular's parseEncoding, as the CLI reads it). */
function encodingOf(encodings: unknown, inputSize: number): Encoding | undefined {
  if (encodings === undefined) return undefined;
  let encoding: Encoding;
  try {
    encoding = parseEncoding(encodings);
  } catch (error) {
    throw new Error(`${MODEL_JSON}: corrupt shardprop.encodings: ${(error as Error).message}`);
  }
  if (inputWidth(encoding.features) !== inputSize) {
    throw new Error(
      `${MODEL_JSON}: the data encoding gives ${inputWidth(encoding.features)} inputs, the network takes ${inputSize}`,
    );
  }
  return encoding;
}

/**
 * Reads a model from the files the user picked: a `model.json` and the weight files its manifest names
 * (one `weights.bin` from this page, or `weights.<n>.bin` from `shardprop train`, which names it by generation).
 * @throws Error naming the missing or malformed file.
 */
export async function loadModelFiles(files: readonly File[]): Promise<PageModel> {
  const jsonFile = files.find((f) => f.name.endsWith('.json'));
  if (!jsonFile)
    throw new Error(
      `choose the model's ${MODEL_JSON} together with its weight file (${WEIGHTS_BIN}, or weights.<n>.bin from shardprop train)`,
    );
  let json: ModelJson;
  try {
    json = JSON.parse(await jsonFile.text()) as ModelJson;
  } catch (error) {
    throw new Error(`${jsonFile.name}: not valid JSON (${(error as Error).message})`);
  }
  const paths = Array.isArray(json?.weightsManifest)
    ? json.weightsManifest.flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []))
    : [];
  if (paths.length === 0) throw new Error(`${jsonFile.name}: no weightsManifest paths (is it a Layers model.json?)`);
  const parts: Uint8Array[] = [];
  for (const path of paths) {
    const base = path.split('/').pop() ?? path;
    const file =
      files.find((f) => f.name === base) ?? (paths.length === 1 ? files.find((f) => f !== jsonFile) : undefined);
    if (!file)
      throw new Error(`${jsonFile.name} needs the weight file ${base}: choose it together with ${jsonFile.name}`);
    parts.push(new Uint8Array(await file.arrayBuffer()));
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  const loaded = modelFromArtifacts(json, bytes);
  const model = new Mlp(loaded.spec, loaded.params);
  const meta = loaded.meta;
  const loss = typeof meta?.loss === 'string' ? (meta.loss as LossName) : undefined;
  return { model, encoding: encodingOf(meta?.encodings, model.inputSize), loss, source: jsonFile.name };
}

/** Offers `data` as a file download named `name`. */
export function download(name: string, data: string | Uint8Array<ArrayBuffer>, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
