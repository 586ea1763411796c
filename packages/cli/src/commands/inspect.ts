/**
 * `shardprop inspect`: what a model directory holds: architecture, parameter count, data encoding and the
 * training run.
 */

import { describeTarget, inputNames } from '@shardprop/tabular';
import type { Command } from 'commander';
import { parsePath } from '../config.js';
import { loadModelDir } from '../modeldir.js';
import { createOutput, table as textTable } from '../output.js';
import { formatInt, formatLoss } from '../progress.js';
import type { Runner } from '../runner.js';

interface InspectFlags {
  model: string;
  json?: boolean;
}

export function registerInspect(program: Command, runner: Runner): Command {
  return program
    .command('inspect')
    .description('show a model directory: architecture, parameter count, data encoding, training metadata')
    .requiredOption('--model <dir>', 'model directory', parsePath)
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ shardprop inspect --model shardprop-model
  $ shardprop inspect --model iris-model --json`,
    )
    .action(async (flags: InspectFlags) => runner.setExitCode(await runInspect(flags)));
}

export async function runInspect(flags: InspectFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const loaded = await loadModelDir(flags.model, '--model');
  const { model, meta } = loaded;
  const layers = model.layout.layers.map((l) => ({
    layer: `dense_${l.index + 1}`,
    inputs: l.inSize,
    units: l.outSize,
    activation: l.activation,
    params: l.inSize * l.outSize + l.outSize,
  }));
  const run = meta?.run ?? null;
  const encoding = meta?.encoding ?? null;
  if (out.json) {
    out.printJson({
      ok: true,
      model: loaded.dir,
      inputSize: model.inputSize,
      outputSize: model.outputSize,
      paramCount: model.paramCount,
      layers,
      loss: meta?.loss ?? null,
      encoding,
      inputs: encoding ? inputNames(encoding.features) : null,
      training: run,
      optimizerState: loaded.optimizer ? { step: loaded.optimizer.step, values: loaded.optimizer.state.length } : null,
      files: loaded.files,
    });
    return 0;
  }
  out.line(`model ${loaded.dir}`);
  out.line(
    `  ${model.inputSize} inputs -> ${model.spec.layers.map((l) => l.units).join('-')}, ${formatInt(model.paramCount)} parameters${meta?.loss ? `, loss ${meta.loss}` : ''}`,
  );
  out.line();
  out.line(
    textTable(
      ['layer', 'inputs', 'units', 'activation', 'params'],
      layers.map((l) => [l.layer, l.inputs, l.units, l.activation, l.params]),
    ),
  );
  if (encoding) {
    out.line();
    out.line(`task: ${describeTarget(encoding.target)}`);
    out.line(
      textTable(
        ['feature', 'kind', 'encoding'],
        encoding.features.map((f) => [
          f.name,
          f.kind,
          f.kind === 'numeric'
            ? `standardised: mean ${Number(f.mean.toPrecision(6))}, std ${Number(f.std.toPrecision(6))}`
            : `one-hot over ${f.vocabulary.length}: ${f.vocabulary.slice(0, 6).join(', ')}${f.vocabulary.length > 6 ? ', ...' : ''}`,
        ]),
      ),
    );
  }
  if (run) {
    const s = run.settings;
    out.line();
    out.line(`training: ${run.status}, ${run.nextEpoch}/${s.epochs} epochs, updated ${run.updated}`);
    out.line(
      `  data ${s.data ?? 'built-in seed problem'}: ${formatInt(run.trainRows)} training rows, ${formatInt(run.validationRows)} validation rows`,
    );
    out.line(
      `  ${s.optimizer.name} lr ${s.optimizer.learningRate}, batch ${s.batchSize}, seed ${s.seed}${s.shuffle ? '' : ', no shuffle'}${s.shards ? `, shards ${s.shards}` : ''}${s.earlyStop ? `, early stop ${s.earlyStop}` : ''}, missing values: ${s.missing}`,
    );
    const last = run.history[run.history.length - 1];
    if (last) {
      out.line(
        `  last epoch ${last.epoch + 1}: loss ${formatLoss(last.loss)}${last.valLoss !== undefined ? `, val_loss ${formatLoss(last.valLoss)}` : ''}${last.valAccuracy !== undefined ? `, val_acc ${last.valAccuracy.toFixed(4)}` : ''}`,
      );
    }
    if (run.status === 'interrupted' || (run.status === 'running' && run.nextEpoch < s.epochs)) {
      out.line(`  resume with: shardprop train --resume ${loaded.dir}`);
    }
  }
  if (loaded.optimizer)
    out.line(
      `optimizer state: ${formatInt(loaded.optimizer.step)} steps, ${formatInt(loaded.optimizer.state.length)} values`,
    );
  out.line(`files: ${loaded.files.join(', ')}`);
  return 0;
}
