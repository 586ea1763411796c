/**
 * The model directory as the CLI uses it: core's all-or-nothing `saveModel` / `loadModel` (model.json and its
 * generation-named data files: weights, optimizer state, and the best weights of an early-stopping run as the
 * extra file `best-weights.<n>.bin`, all committed by one rename), the CLI's metadata in the `shardprop`
 * section of model.json, and the loss plot (training.svg, replaced atomically on its own).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type EpochLog,
  LOSSES,
  type LossName,
  Mlp,
  modelToArtifacts,
  type OptimizerSnapshot,
  parseLoss,
  type ResolvedOptimizerConfig,
  type ShardpropMeta,
  type ShardpropMetaInput,
} from '@shardprop/core';
import { loadModel, saveModel, writeFileAtomic } from '@shardprop/core/node';
import { type Encoding, inputWidth, normalization, parseEncoding, targetNames } from '@shardprop/tabular';
import { z } from 'zod';
import { dataError, oneLine } from './errors.js';
import { lossSvg } from './plot.js';
import { type CliMeta, type RunSettings, RunSettingsSchema, type RunState } from './run-state.js';

/** The role of the best weights among the model's data files (`best-weights.<n>.bin`). */
export const BEST_WEIGHTS = 'best-weights';
/** Where directories written before generations kept the best weights (checked against `bestWeightsSha256`). */
const LEGACY_BEST_WEIGHTS = 'best-weights.bin';
export const TRAINING_SVG = 'training.svg';

export interface LoadedModel {
  /** The directory, resolved. */
  dir: string;
  model: Mlp;
  /** The CLI's metadata; null for a model written by other tools (e.g. tfjs). */
  meta: CliMeta | null;
  optimizer?: OptimizerSnapshot;
  /** Best weights of an early-stopping run, when checkpointed. */
  bestParams?: Float32Array;
  /** The files in the directory. */
  files: string[];
}

const RunSchema = z.object({
  status: z.enum(['running', 'interrupted', 'complete', 'stopped-early']),
  nextEpoch: z.int().min(0),
  history: z.array(z.looseObject({ epoch: z.int(), loss: z.number() })),
  earlyStopping: z.object({ best: z.number(), bestEpoch: z.int(), waited: z.int() }).nullable(),
  lrSchedule: z
    .object({ learningRate: z.number().positive(), best: z.number().nullable(), wait: z.int().min(0) })
    .nullable()
    .optional(),
  trainRows: z.int(),
  validationRows: z.int(),
  updated: z.string(),
  bestWeightsSha256: z.string().optional(),
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function bytesOf(params: Float32Array): Uint8Array {
  // The platform is little-endian wherever Node runs shardprop (x64, arm64); weights.bin is little-endian too.
  return new Uint8Array(params.buffer.slice(params.byteOffset, params.byteOffset + params.byteLength));
}

function cliMetaFrom(meta: ShardpropMeta | undefined, dir: string): CliMeta | null {
  if (!meta) return null;
  const corrupt = (what: string, error: z.ZodError): never => {
    const issue = error.issues[0];
    throw dataError(
      `${join(dir, 'model.json')}: corrupt shardprop.${what}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  };
  let encoding: Encoding | null = null;
  if (meta.encodings !== undefined) {
    try {
      encoding = parseEncoding(meta.encodings);
    } catch (error) {
      throw dataError(`${join(dir, 'model.json')}: corrupt shardprop.encodings: ${oneLine(error)}`);
    }
  }
  // Absent in a shardprop section written without one (the default loss); anything else must be a loss name.
  let loss: LossName = 'meanSquaredError';
  if (meta.loss !== undefined) {
    try {
      loss = parseLoss(meta.loss);
    } catch {
      throw dataError(
        `${join(dir, 'model.json')}: corrupt shardprop.loss: unknown loss ${JSON.stringify(meta.loss)} (expected one of ${LOSSES.join(', ')})`,
      );
    }
  }
  let run: RunState | null = null;
  if (meta.run !== undefined && meta.training !== undefined) {
    const r = RunSchema.safeParse(meta.run);
    if (!r.success) corrupt('run', r.error);
    const s = RunSettingsSchema.safeParse(meta.training);
    const settings: RunSettings = s.success ? s.data : corrupt('training', s.error);
    const state = r.data as unknown as Omit<RunState, 'settings'> & { bestWeightsSha256?: string };
    run = { ...state, history: state.history as EpochLog[], settings };
  }
  return { encoding, loss, run };
}

/** Loads a model directory; every problem is a one-line data error naming the flag and the path. */
export async function loadModelDir(dir: string, flag: string): Promise<LoadedModel> {
  const abs = resolve(dir);
  let loaded: Awaited<ReturnType<typeof loadModel>>;
  try {
    loaded = await loadModel(abs);
  } catch (error) {
    const message = oneLine(error);
    throw dataError(`${flag} ${dir}: ${message.includes(abs) ? message.replace(`${abs}/`, '') : message}`);
  }
  const model = new Mlp(loaded.spec, loaded.params);
  const meta = cliMetaFrom(loaded.meta, abs);
  if (meta?.encoding && inputWidth(meta.encoding.features) !== model.inputSize) {
    throw dataError(
      `${flag} ${dir}: corrupt model.json: the data encoding gives ${inputWidth(meta.encoding.features)} inputs, the network takes ${model.inputSize}`,
    );
  }
  const files = (await readdir(abs)).filter((f) => !f.startsWith('.') && !f.endsWith('.tmp')).sort();
  let bestParams: Float32Array | undefined;
  let bestBytes = loaded.extraFiles[BEST_WEIGHTS];
  const legacySha = (loaded.meta?.run as { bestWeightsSha256?: string } | undefined)?.bestWeightsSha256;
  if (!bestBytes && legacySha) {
    try {
      bestBytes = await readFile(join(abs, LEGACY_BEST_WEIGHTS));
    } catch {
      throw dataError(`${flag} ${dir}: ${LEGACY_BEST_WEIGHTS} is missing (the early-stopping state of the run)`);
    }
    if (sha256(bestBytes) !== legacySha) {
      throw dataError(
        `${flag} ${dir}: ${LEGACY_BEST_WEIGHTS} does not match model.json (corrupt, or from another save)`,
      );
    }
  }
  if (bestBytes) {
    if (bestBytes.byteLength !== model.paramCount * 4) {
      throw dataError(
        `${flag} ${dir}: the best weights hold ${bestBytes.byteLength} bytes, expected ${model.paramCount * 4} (corrupt, or from another save)`,
      );
    }
    bestParams = new Float32Array(
      bestBytes.buffer.slice(bestBytes.byteOffset, bestBytes.byteOffset + bestBytes.byteLength),
    );
  }
  return { dir: abs, model, meta, optimizer: loaded.optimizer, bestParams, files };
}

export interface SaveOptions {
  optimizer?: { config: ResolvedOptimizerConfig; snapshot: OptimizerSnapshot };
  bestParams?: Float32Array;
  /** More keys of the `shardprop` section, beside the CLI's own (e.g. `tune`'s results). */
  extraMeta?: Record<string, unknown>;
}

/**
 * Saves the model, its metadata and (for checkpoints) the optimizer state and best weights as one
 * all-or-nothing save: a crash at any point leaves the previous save or this one (see core's `saveModel`).
 */
export async function saveModelDir(dir: string, model: Mlp, meta: CliMeta, options: SaveOptions = {}): Promise<void> {
  const run = meta.run;
  const section: ShardpropMetaInput = {
    loss: meta.loss,
    ...(meta.encoding
      ? {
          featureNames: meta.encoding.features.map((f) => f.name),
          targetNames: targetNames(meta.encoding.target),
          encodings: meta.encoding,
          normalization: normalization(meta.encoding),
          task: meta.encoding.target.task,
        }
      : {}),
    ...(options.optimizer ? { optimizer: options.optimizer.config } : {}),
    ...(run
      ? {
          training: { ...run.settings } as unknown as Record<string, unknown>,
          epoch: run.nextEpoch,
          run: {
            status: run.status,
            nextEpoch: run.nextEpoch,
            history: run.history,
            earlyStopping: run.earlyStopping,
            lrSchedule: run.lrSchedule ?? null,
            trainRows: run.trainRows,
            validationRows: run.validationRows,
            updated: run.updated,
            ...(run.threads ? { threads: run.threads } : {}),
          },
        }
      : {}),
    ...options.extraMeta,
    generator: 'shardprop-cli',
  };
  try {
    // The penalties go into the Keras topology too, so tfjs and Keras train the saved model the same way.
    const kernelRegularizer = run ? { l1: run.settings.l1 ?? 0, l2: run.settings.l2 ?? 0 } : undefined;
    await saveModel(dir, modelToArtifacts(model.spec, model.params, section, { kernelRegularizer }), {
      optimizer: options.optimizer?.snapshot,
      extraFiles: options.bestParams ? { [BEST_WEIGHTS]: bytesOf(options.bestParams) } : undefined,
    });
  } catch (error) {
    throw dataError(`cannot write the model to ${dir}: ${oneLine(error)}`);
  }
}

/** Writes training.svg beside the model; returns its path. */
export async function writeTrainingPlot(dir: string, history: EpochLog[], validation: boolean): Promise<string> {
  const path = join(dir, TRAINING_SVG);
  const loss = history.map((h) => h.loss);
  const valLoss =
    validation && history.every((h) => h.valLoss !== undefined) ? history.map((h) => h.valLoss as number) : undefined;
  const title =
    history.length > 0
      ? `shardprop training loss (${history.length} epoch${history.length === 1 ? '' : 's'})`
      : 'shardprop: no epochs trained yet';
  await writeFileAtomic(
    path,
    lossSvg({ loss, valLoss, firstEpoch: history.length > 0 ? history[0].epoch + 1 : 1 }, title),
  );
  return path;
}
