import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCpuinfo, wasmSimdSupported } from '../src/machine.js';
import { buildRunners, defaultThreadList, exportData, mergeResults, parseList } from '../src/main.js';
import { selectWorkloads } from '../src/workloads.js';
import { fakeResult } from './fixtures.js';

describe('command line', () => {
  it('picks thread counts: every count up to 4 cores, then powers of two and the core count', () => {
    expect(defaultThreadList(1)).toEqual([1]);
    expect(defaultThreadList(2)).toEqual([1, 2]);
    expect(defaultThreadList(16)).toEqual([1, 2, 4, 8, 16]);
    expect(defaultThreadList(12)).toEqual([1, 2, 4, 8, 12]);
    expect(parseList('1, 2,4', 'threads')).toEqual([1, 2, 4]);
    expect(() => parseList('1,x', 'threads')).toThrow(/--threads/);
  });

  it('builds every runner, or those a filter names', () => {
    const ids = buildRunners(2, [1, 2]).map((r) => r.id);
    expect(ids).toEqual([
      'shardprop-wasm',
      'shardprop-js',
      'shardprop-par-wasm-t1',
      'shardprop-par-wasm-t2',
      'shardprop-par-js-t2',
      'tfjs-cpu',
      'tfjs-wasm',
      'brain',
      'naive',
    ]);
    expect(buildRunners(2, [1, 2], 'tfjs,naive').map((r) => r.id)).toEqual(['tfjs-cpu', 'tfjs-wasm', 'naive']);
  });

  it('exports raw float32 data, weights and reference losses for the PyTorch script', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-export-'));
    try {
      await exportData(dir, selectWorkloads('A-b32'));
      const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
      expect(meta.families.map((f: { family: string }) => f.family)).toEqual(['A', 'B']);
      expect(statSync(path.join(dir, 'A-x.f32')).size).toBe(10_000 * 39 * 4);
      expect(statSync(path.join(dir, 'B-y.f32')).size).toBe(10_000 * 10 * 4);
      expect(statSync(path.join(dir, 'A-params.f32')).size).toBe(4_720 * 4);
      expect(Object.keys(meta.refLosses)).toEqual(['A-b32']);
      expect(Object.keys(meta.refLosses['A-b32']).sort()).toEqual(['1000', '10000', '2000']);
      expect(meta.refLosses['A-b32']['10000']).toBeCloseTo(0.0507619, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('merges another run (e.g. PyTorch) into the report, dropping unknown workloads', () => {
    const into = fakeResult();
    const before = into.results.length;
    mergeResults(into, {
      runners: [{ id: 'pytorch-t1', label: 'PyTorch, 1 thread', family: 'pytorch', threads: 1, details: {} }],
      results: [
        { ...into.results[0], runner: 'pytorch-t1', family: 'pytorch' },
        { ...into.results[0], workload: 'Z', runner: 'pytorch-t1' },
      ],
    });
    expect(into.results).toHaveLength(before + 1);
    expect(into.runners.at(-1)?.id).toBe('pytorch-t1');
  });
});

describe('machine', () => {
  it('reads the model and SIMD flags from /proc/cpuinfo text', () => {
    const info = parseCpuinfo(
      'processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t\t: fpu sse4_2 avx2 fma hypervisor\n',
    );
    expect(info).toEqual({ model: 'Test CPU 9000', flags: ['sse4_2', 'avx2', 'fma'], virtualized: true });
    expect(parseCpuinfo('Features\t: fp asimd sve\n').flags).toEqual(['asimd', 'sve']);
  });

  it('detects WebAssembly SIMD (Node 20 has it)', () => {
    expect(wasmSimdSupported()).toBe(true);
  });
});
