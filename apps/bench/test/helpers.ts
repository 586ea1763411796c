import type { RunRequest } from '../src/runners/types.js';
import { initialParams, WORKLOADS, type Workload, workloadData } from '../src/workloads.js';

/** A workload shrunk to `rows` rows (the synthetic data of fewer rows is a prefix of the full data). */
export function tiny(id: string, rows = 200, batchSize?: number): Workload {
  const base = WORKLOADS.find((w) => w.id === id);
  if (!base) throw new Error(`no workload ${id}`);
  return { ...base, rows, batchSize: batchSize ?? base.batchSize, id: batchSize ? `${base.family}-b${batchSize}` : id };
}

export function request(w: Workload, epochs = 1): RunRequest {
  return { workload: w, data: workloadData(w), rows: w.rows, epochs, params: initialParams(w) };
}

export function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}
