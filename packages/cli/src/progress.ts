/**
 * Training progress. On a terminal: a cli-progress bar on stderr per epoch (step, loss, rows/s, ETA), replaced by
 * a one-line summary when the epoch ends. Elsewhere: just the one line per epoch. With `--json` the epoch lines
 * are suppressed (stdout carries only the JSON document) and the bar is shown only when stderr is a terminal.
 */
import type { BatchLog, EpochLog } from '@shardprop/core';
import cliProgress from 'cli-progress';

export interface Progress {
  epochBegin(epoch: number, stepsPerEpoch: number): void;
  batch(log: BatchLog): void;
  epochEnd(log: EpochLog, totalEpochs: number): void;
  /** Removes the bar (before printing anything else, e.g. on Ctrl-C). */
  stop(): void;
}

export interface ProgressOptions {
  /** Show a bar (stderr is a terminal). */
  bar: boolean;
  /** Print one line per epoch. */
  lines: boolean;
  totalEpochs: number;
  /** Where epoch lines go (default stdout). */
  write?: (line: string) => void;
}

/**
 * `n` rounded, with thousands separators: what `toLocaleString('en-US')` prints, grouped by hand for safe integers
 * because a process's first `toLocaleString` loads ICU's locale data (about 20 ms of every command that prints a
 * count).
 */
export function formatInt(n: number): string {
  const r = Math.round(n);
  if (!Number.isSafeInteger(r) || Object.is(r, -0)) return r.toLocaleString('en-US');
  const digits = String(Math.abs(r));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return r < 0 ? `-${out}` : out;
}

export function formatLoss(v: number | undefined): string {
  if (v === undefined) return '-';
  if (!Number.isFinite(v)) return String(v);
  return v === 0 || Math.abs(v) >= 1e-4 ? v.toFixed(6) : v.toExponential(3);
}

/** The plain per-epoch line. */
export function epochLine(log: EpochLog, totalEpochs: number): string {
  const width = String(totalEpochs).length;
  const parts = [`epoch ${String(log.epoch + 1).padStart(width)}/${totalEpochs}`, `loss ${formatLoss(log.loss)}`];
  if (log.valLoss !== undefined) parts.push(`val_loss ${formatLoss(log.valLoss)}`);
  if (log.valAccuracy !== undefined) parts.push(`val_acc ${log.valAccuracy.toFixed(4)}`);
  // Absent only in histories saved before schedules existed.
  if (log.learningRate !== undefined) parts.push(`lr ${formatRate(log.learningRate)}`);
  parts.push(`${log.msPerEpoch.toFixed(0)} ms`, `${formatInt(log.rowsPerSec)} rows/s`);
  if (log.threads !== undefined) parts.push(`${log.threads} thread${log.threads === 1 ? '' : 's'}`);
  return parts.join('  ');
}

export function createProgress(options: ProgressOptions): Progress {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  let bar: cliProgress.SingleBar | null = null;
  const stopBar = (): void => {
    if (bar) {
      bar.stop();
      bar = null;
    }
  };
  return {
    epochBegin(epoch, stepsPerEpoch) {
      if (!options.bar) return;
      stopBar();
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `epoch ${epoch + 1}/${options.totalEpochs} {bar} {value}/{total} steps | loss {loss} | {rps} rows/s | {threads} | ETA {eta_formatted}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(stepsPerEpoch, 0, { loss: '-', rps: '-', threads: '-' });
    },
    batch(log) {
      bar?.update(log.step, {
        loss: formatLoss(log.loss),
        rps: formatInt(log.rowsPerSec),
        threads: log.threads === undefined ? '1 thread' : `${log.threads} thread${log.threads === 1 ? '' : 's'}`,
      });
    },
    epochEnd(log, totalEpochs) {
      stopBar();
      if (options.lines) write(epochLine(log, totalEpochs));
    },
    stop: stopBar,
  };
}

/** A learning rate in 4 significant digits, as short as that allows (0.1, 0.05, 0.0009766, 1.25e-05). */
export function formatRate(lr: number): string {
  return String(Number(lr.toPrecision(4)));
}
