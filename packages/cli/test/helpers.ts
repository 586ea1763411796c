import { type SpawnOptions, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI and collects its output. */
export function cli(args: string[], options: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The next epoch of the run checkpointed in a model directory, or undefined while there is none. */
export function nextEpoch(out: string): number | undefined {
  try {
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    return json.shardprop?.run?.nextEpoch;
  } catch {
    return undefined;
  }
}

export function tempDir(prefix = 'shardprop-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A deterministic stream of numbers in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const r3 = (v: number) => Number(v.toFixed(3));

/** Small fixture files: regression, binary (string labels), multi-class with a string feature. */
export function writeFixtures(dir: string): { reg: string; bin: string; multi: string } {
  const rnd = lcg(7);
  const reg = ['x1,x2,x3,y'];
  for (let i = 0; i < 160; i++) {
    const [a, b, c] = [rnd() * 4 - 2, rnd() * 4 - 2, rnd() * 10];
    reg.push([a, b, c, 3 * a - 2 * b + 0.5 * c + 10].map(r3).join(','));
  }
  const bin = ['x1,x2,label'];
  for (let i = 0; i < 160; i++) {
    const [a, b] = [rnd() * 2 - 1, rnd() * 2 - 1];
    bin.push(`${r3(a)},${r3(b)},${a + b > 0 ? 'yes' : 'no'}`);
  }
  const multi = ['x1,color,x2,kind'];
  const colors = ['red', 'green', 'blue'];
  for (let i = 0; i < 180; i++) {
    const color = colors[i % 3];
    const a = rnd() * 2 - 1;
    const kind = color === 'red' ? 'alpha' : color === 'green' ? (a > 0 ? 'beta' : 'alpha') : 'gamma';
    multi.push(`${r3(a)},${color},${r3(rnd())},${kind}`);
  }
  const files = { reg: join(dir, 'reg.csv'), bin: join(dir, 'bin.csv'), multi: join(dir, 'multi.csv') };
  writeFileSync(files.reg, `${reg.join('\n')}\n`);
  writeFileSync(files.bin, `${bin.join('\n')}\n`);
  writeFileSync(files.multi, `${multi.join('\n')}\n`);
  return files;
}

/** Parses a CSV written by predict (no quoting needed for the fixtures). */
export function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

/**
 * The name of a model directory's data file of a role (`weights`, `optimizer`, ...), as its model.json says
 * (`<role>.bin` in the layout before generations, whose model.json lists no files).
 */
export function dataFile(dir: string, role: string): string {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  if (role === 'weights') return json.weightsManifest[0].paths[0];
  if (json.shardprop?.files === undefined) return `${role}.bin`;
  const path = json.shardprop.files[role]?.path;
  if (typeof path !== 'string') throw new Error(`${dir}/model.json names no ${role} file`);
  return path;
}

/** The bytes of a model directory's data file of a role. */
export function readDataFile(dir: string, role: string): Buffer {
  return readFileSync(join(dir, dataFile(dir, role)));
}

/**
 * Command-line flags from an object, in its key order: `{ batchSize: 16, json: true }` gives
 * `['--batch-size', '16', '--json']` (camelCase keys as kebab-case flags; `true` is a flag without a value).
 */
export function flags(values: Record<string, string | number | true>): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return value === true ? [flag] : [flag, String(value)];
  });
}
