/**
 * `tune`'s results on disk and on screen: tune.csv (one row per trial, rewritten atomically after each, and read
 * back by `--resume`), the leaderboard table, and the one-line summary of a trial.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrialResult, TuneMetric } from '@shardprop/core';
import { writeFileAtomic } from '@shardprop/core/node';
import { parse } from 'csv-parse/sync';
import { csvField } from './commands/predict.js';
import { dataError, oneLine, usageError } from './errors.js';
import { table } from './output.js';
import { formatLoss } from './progress.js';

export const TUNE_CSV = 'tune.csv';

/** A finished trial with the flag texts of the settings it varied. */
export interface CliTrial {
  /** The varied settings, by flag name (`lr`, `batch-size`), as the flag takes them. */
  settings: Record<string, string>;
  result: TrialResult;
}

/** Column `budget`: the epochs a trial trained (fewer than --epochs in early rounds of --halving). */
function header(keys: readonly string[], splits: number): string[] {
  const folds = Array.from({ length: splits }, (_, i) => `fold${i + 1}`);
  return ['trial', ...keys, 'budget', 'rung', ...folds, 'mean', 'std', 'ms', 'error'];
}

const num = (v: number) => (Number.isNaN(v) ? '' : String(v));

/** Writes tune.csv (atomically): every finished trial in candidate order, full precision. */
export async function writeTuneCsv(
  dir: string,
  keys: readonly string[],
  splits: number,
  trials: readonly CliTrial[],
): Promise<string> {
  const lines = [header(keys, splits).join(',')];
  const sorted = [...trials].sort(
    (a, b) => a.result.index - b.result.index || (a.result.rung ?? 0) - (b.result.rung ?? 0),
  );
  for (const { settings, result: r } of sorted) {
    const cells = [
      String(r.index + 1),
      ...keys.map((k) => csvField(settings[k])),
      String(r.epochs),
      String(r.rung ?? 0),
      ...r.folds.map(num),
      num(r.mean),
      num(r.std),
      r.ms.toFixed(0),
      csvField(r.error ?? ''),
    ];
    lines.push(cells.join(','));
  }
  const path = join(dir, TUNE_CSV);
  try {
    await writeFileAtomic(path, `${lines.join('\n')}\n`);
  } catch (error) {
    throw dataError(`cannot write ${path}: ${oneLine(error)}`);
  }
  return path;
}

/**
 * The trials of an interrupted search, from DIR/tune.csv, each keyed by its settings and budget. The file must
 * have been written by the same search: the same varied flags and number of splits.
 */
export async function readTuneCsv(dir: string, keys: readonly string[], splits: number): Promise<CliTrial[]> {
  const path = join(dir, TUNE_CSV);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw dataError(
      `--resume ${dir}: ${code === 'ENOENT' ? `no ${TUNE_CSV} there (nothing to resume)` : oneLine(error)}`,
    );
  }
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  } catch (error) {
    throw dataError(`${path}: not a tune.csv (${oneLine(error)})`);
  }
  const have = text.slice(0, text.indexOf('\n')).split(',');
  const want = header(keys, splits);
  if (have.join(',') !== want.join(',')) {
    throw usageError(
      `--resume ${dir}: ${TUNE_CSV} has the columns ${have.join(',')}, this search writes ${want.join(',')}: give the same flags as the interrupted run`,
    );
  }
  return records.map((rec, row) => {
    const number = (column: string): number => {
      const v = rec[column] === '' ? Number.NaN : Number(rec[column]);
      if (rec[column] !== '' && !Number.isFinite(v))
        throw dataError(`${path}: row ${row + 2}, ${column}: not a number`);
      return v;
    };
    const settings: Record<string, string> = {};
    for (const k of keys) settings[k] = rec[k];
    const result: TrialResult = {
      index: number('trial') - 1,
      settings: {},
      folds: Array.from({ length: splits }, (_, i) => number(`fold${i + 1}`)),
      mean: number('mean'),
      std: number('std'),
      ms: number('ms'),
      epochs: number('budget'),
      ...(number('rung') > 0 ? { rung: number('rung') } : {}),
      ...(rec.error ? { error: rec.error } : {}),
    };
    return { settings, result };
  });
}

/** The metric with its direction, for headers. */
export function metricName(metric: TuneMetric): string {
  return metric === 'loss' ? 'val_loss' : metric;
}

export function formatScore(v: number, metric: TuneMetric): string {
  if (Number.isNaN(v)) return 'failed';
  return metric === 'accuracy' || metric === 'r2' ? v.toFixed(4) : formatLoss(v);
}

/** `layers 16,1  lr 0.5` */
export function settingsLine(settings: Record<string, string>): string {
  const parts = Object.entries(settings).map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? parts.join('  ') : '(the given settings)';
}

/** The leaderboard: rank, the varied settings, mean ± std of the metric over the splits, time. */
export function leaderboardTable(
  ranked: readonly CliTrial[],
  keys: readonly string[],
  metric: TuneMetric,
  halving: boolean,
): string {
  const rows = ranked.map((t, i) => {
    const r = t.result;
    const score = Number.isNaN(r.mean)
      ? `failed: ${r.error ?? 'no score'}`
      : `${formatScore(r.mean, metric)} ± ${formatScore(r.std, metric)}`;
    return [
      i + 1,
      ...keys.map((k) => t.settings[k]),
      ...(halving ? [r.epochs] : []),
      score,
      `${(r.ms / 1000).toFixed(1)} s`,
    ];
  });
  return table(['rank', ...keys, ...(halving ? ['epochs'] : []), `${metricName(metric)} (mean ± std)`, 'time'], rows);
}
