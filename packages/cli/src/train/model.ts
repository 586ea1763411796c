/**
 * `train`, step 3: the model. The checkpoint's or the `--init` model (with `--init`, `--dropout` replaces the
 * model's dropout), checked against the data's inputs and the loss's outputs, or a new one built from the flags and
 * initialised from the seed.
 */
import { Mlp } from '@shardprop/core';
import { describeTarget, inputNames } from '@shardprop/tabular';
import { TRAIN_DEFAULTS } from '../config.js';
import { dataError } from '../errors.js';
import type { LoadedModel } from '../modeldir.js';
import { dropoutFlag, newModelSpec } from '../train-setup.js';
import type { TrainingData } from './data.js';
import type { RunStart } from './settings.js';

export function trainingModel(start: RunStart, data: TrainingData): Mlp {
  const { resumed, initial, settings } = start;
  const { width, units, target, loss, encoding } = data;
  if (resumed || initial) {
    const from = (resumed ?? initial) as LoadedModel;
    const flag = resumed ? '--resume' : '--init';
    let model = from.model;
    if (initial && settings.dropout !== undefined) {
      // --init keeps the weights; the dropout of this run is the flag's.
      const rates = dropoutFlag(settings.dropout, model.spec.layers.length - 1);
      const layers = model.spec.layers.map((l, i) => {
        const { dropout: _old, ...rest } = l;
        return i < rates.length && rates[i] > 0 ? { ...rest, dropout: rates[i] } : rest;
      });
      model = new Mlp({ ...model.spec, layers }, model.params);
    }
    if (model.inputSize !== width) {
      throw dataError(
        `${flag} ${from.dir}: the model takes ${model.inputSize} inputs, the data gives ${width} (${inputNames(encoding.features).join(', ')})`,
      );
    }
    if (model.outputSize !== units) {
      throw dataError(
        `${flag} ${from.dir}: the model has ${model.outputSize} outputs, ${describeTarget(target)} with ${loss} needs ${units}`,
      );
    }
    return model;
  }
  const spec = newModelSpec(settings, width, units, target, loss, data.table, data.rows);
  return Mlp.create(spec, { seed: settings.seed ?? TRAIN_DEFAULTS.seed });
}
