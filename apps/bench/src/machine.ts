/** The machine a benchmark ran on: CPU model, cores, SIMD flags, runtime versions. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { wasmKernelsSupported } from '@shardprop/core';

export interface MachineInfo {
  host: string;
  cpuModel: string;
  /** Logical cores (`os.availableParallelism()`). */
  cores: number;
  /** CPU SIMD extensions the kernel reports (x86: sse4_2 ... avx512; Arm: asimd, sve). */
  simdFlags: string[];
  /** WebAssembly 128-bit SIMD validates in this runtime. */
  wasmSimd: boolean;
  /** shardprop's WebAssembly kernels are usable (SIMD and shared memory). */
  shardpropWasmKernels: boolean;
  memoryGiB: number;
  os: string;
  arch: string;
  node: string;
  v8: string;
  /** True when the kernel reports a hypervisor (shared cloud machines are noisier). */
  virtualized: boolean;
}

const SIMD_FLAGS = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx512_bf16',
  'neon',
  'asimd',
  'sve',
  'sve2',
];

/** A module whose one function returns a `v128.const`: it validates only where WebAssembly SIMD exists. */
const WASM_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0b,
]);

export function wasmSimdSupported(): boolean {
  try {
    return WebAssembly.validate(WASM_SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Parses the CPU flags out of `/proc/cpuinfo` text (first processor). */
export function parseCpuinfo(text: string): { model?: string; flags: string[]; virtualized: boolean } {
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const flagLine = /^(?:flags|Features)\s*:\s*(.+)$/m.exec(text)?.[1] ?? '';
  const all = new Set(flagLine.trim().split(/\s+/));
  return { model, flags: SIMD_FLAGS.filter((f) => all.has(f)), virtualized: all.has('hypervisor') };
}

export function machineInfo(): MachineInfo {
  let parsed: ReturnType<typeof parseCpuinfo> = { flags: [], virtualized: false };
  try {
    parsed = parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // Not Linux: no flags to report.
  }
  return {
    host: os.hostname(),
    cpuModel: os.cpus()[0]?.model?.trim() || parsed.model || 'unknown',
    cores: os.availableParallelism(),
    simdFlags: parsed.flags,
    wasmSimd: wasmSimdSupported(),
    shardpropWasmKernels: wasmKernelsSupported(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    v8: process.versions.v8,
    virtualized: parsed.virtualized,
  };
}

/** Clock ticks per second of `/proc/stat` (USER_HZ; 100 on every mainstream Linux build). */
const USER_HZ = 100;

/** CPU seconds all processes on the machine have spent busy since boot (Linux), or undefined elsewhere. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    return Number.isFinite(busy) ? busy / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Measures how much CPU other processes used while `fn` ran, in cores (busy CPU seconds of the whole machine
 * minus this process's, worker threads included, over the wall time). On a shared machine this says which
 * repetitions ran beside someone else's work. Undefined where `/proc/stat` is missing.
 */
export async function withOtherLoad<T>(fn: () => Promise<T>): Promise<{ value: T; otherCores?: number }> {
  const busy0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const busy1 = machineBusySeconds();
  if (busy0 === undefined || busy1 === undefined || wall < 0.05) return { value };
  const ownDelta = process.cpuUsage(own0);
  const own = (ownDelta.user + ownDelta.system) / 1e6;
  // Tick granularity is 10 ms per core: clamp the noise at 0.
  return { value, otherCores: Math.max(0, (busy1 - busy0 - own) / wall) };
}

/**
 * Waits until other processes keep fewer than `maxCores` cores busy over a 1-second window, or `timeoutS`
 * seconds have passed. Call it while this process is idle. Returns the seconds waited and the last load seen.
 */
export async function waitForIdle(timeoutS: number, maxCores = 0.25): Promise<{ waitedS: number; load?: number }> {
  const started = performance.now();
  let load: number | undefined;
  while ((performance.now() - started) / 1000 < timeoutS) {
    const b0 = machineBusySeconds();
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const b1 = machineBusySeconds();
    if (b0 === undefined || b1 === undefined) break;
    const own = process.cpuUsage(own0);
    load = Math.max(0, (b1 - b0 - (own.user + own.system) / 1e6) / ((performance.now() - t0) / 1000));
    if (load < maxCores) break;
  }
  return { waitedS: (performance.now() - started) / 1000, load };
}

export interface SoftwareInfo {
  /** The repository's commit, and whether the working tree differed from it (uncommitted changes). */
  git?: { commit: string; dirty: boolean };
  versions: Record<string, string>;
}

/** Which code ran: the git commit of the repository (when run inside one) and the package versions. */
export function softwareInfo(cwd: string, versions: Record<string, string>): SoftwareInfo {
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const commit = run(['rev-parse', '--short=12', 'HEAD']).trim();
    const dirty = run(['status', '--porcelain', '--untracked-files=no']).trim().length > 0;
    return { git: { commit, dirty }, versions };
  } catch {
    return { versions };
  }
}
