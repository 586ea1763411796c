import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARENA_ALIGNMENT, type ArenaLayout, type ArenaViewType, SharedArena } from '../src/arena.js';

const BYTES: Record<ArenaViewType, number> = { f32: 4, f64: 8, i32: 4 };

const layoutArb = fc
  .uniqueArray(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 8 }),
      type: fc.constantFrom<ArenaViewType>('f32', 'f64', 'i32'),
      length: fc.integer({ min: 0, max: 300 }),
    }),
    { selector: (v) => v.name, maxLength: 8 },
  )
  .map((entries) => {
    const layout: Record<string, { type: ArenaViewType; length: number }> = {};
    for (const { name, type, length } of entries) layout[name] = { type, length };
    return layout as ArenaLayout;
  });

describe('SharedArena', () => {
  it('types each view after its layout entry and keeps views distinct', () => {
    const arena = SharedArena.create({
      params: { type: 'f32', length: 10 },
      loss: { type: 'f64', length: 3 },
      control: { type: 'i32', length: 4 },
    });
    const params: Float32Array = arena.view('params');
    const loss: Float64Array = arena.view('loss');
    const control: Int32Array = arena.view('control');
    expect(params).toBeInstanceOf(Float32Array);
    expect(loss).toBeInstanceOf(Float64Array);
    expect(control).toBeInstanceOf(Int32Array);
    expect([params.length, loss.length, control.length]).toEqual([10, 3, 4]);
    expect(params.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(arena.view('params')).toBe(params);
    expect(arena.views.loss).toBe(loss);
    params.fill(1);
    loss.fill(2);
    control.fill(3);
    expect(Array.from(params)).toEqual(new Array(10).fill(1));
    expect(Array.from(loss)).toEqual([2, 2, 2]);
    expect(arena.names()).toEqual(['params', 'loss', 'control']);
    expect(arena.placement('loss')).toEqual({ type: 'f64', byteOffset: 64, length: 3 });
    expect(arena.byteLength).toBe(192);
  });

  it('aligns every view to 64 bytes, never overlaps, and fits the buffer (property)', () => {
    fc.assert(
      fc.property(layoutArb, fc.integer({ min: 0, max: 200 }), (layout, offset) => {
        const buffer = new SharedArrayBuffer(SharedArena.byteLengthOf(layout, offset) + offset + 64);
        const arena = SharedArena.create(layout, { buffer, byteOffset: offset });
        expect(arena.byteOffset % ARENA_ALIGNMENT).toBe(0);
        expect(arena.byteOffset).toBeGreaterThanOrEqual(offset);
        const ranges = arena.names().map((name) => {
          const p = arena.placement(name);
          const view = arena.view(name);
          expect(p.byteOffset % ARENA_ALIGNMENT).toBe(0);
          expect(view.byteOffset).toBe(p.byteOffset);
          expect(view.length).toBe(layout[name].length);
          expect(view.buffer).toBe(buffer);
          return [p.byteOffset, p.byteOffset + p.length * BYTES[p.type]] as const;
        });
        const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][1]);
        for (const [start, end] of ranges) {
          expect(start).toBeGreaterThanOrEqual(arena.byteOffset);
          expect(end).toBeLessThanOrEqual(arena.byteOffset + arena.byteLength);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips through describe() and structuredClone to the same views over the same memory (property)', () => {
    fc.assert(
      fc.property(layoutArb, (layout) => {
        const arena = SharedArena.create(layout);
        const desc = structuredClone(arena.describe());
        const copy = SharedArena.fromDescription(desc);
        expect(copy.names()).toEqual(arena.names());
        expect(copy.describe().views).toEqual(arena.describe().views);
        for (const name of arena.names()) {
          const a = arena.view(name);
          const b = copy.view(name);
          expect(b.constructor).toBe(a.constructor);
          if (a.length > 0) {
            a[a.length - 1] = 7;
            expect(b[b.length - 1]).toBe(7);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('shares memory with a worker that rebuilds it from describe()', async () => {
    const arena = SharedArena.create({ xs: { type: 'f64', length: 5 }, flag: { type: 'i32', length: 1 } });
    arena.view('xs').set([1, 2, 3, 4, 5]);
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.url).then(({ SharedArena }) => {
        const arena = SharedArena.fromDescription(workerData.desc);
        const xs = arena.view('xs');
        for (let i = 0; i < xs.length; i++) xs[i] *= 10;
        Atomics.store(arena.view('flag'), 0, 1);
        parentPort.postMessage('done');
      });`;
    const url = new URL('../dist/arena.js', import.meta.url).href;
    const worker = new Worker(source, { eval: true, workerData: { desc: arena.describe(), url } });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(Array.from(arena.view('xs'))).toEqual([10, 20, 30, 40, 50]);
    expect(arena.view('flag')[0]).toBe(1);
  });

  it('carves a shared WebAssembly.Memory and passes the memory on in its description', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const arena = SharedArena.create({ a: { type: 'f32', length: 100 } }, { buffer: memory, byteOffset: 1000 });
    expect(arena.byteOffset).toBe(1024);
    expect(arena.memory).toBe(memory);
    expect(arena.view('a').buffer).toBe(memory.buffer);
    const copy = SharedArena.fromDescription(structuredClone(arena.describe()));
    arena.view('a')[99] = 1.5;
    expect(copy.view('a')[99]).toBe(1.5);
    expect(copy.memory).toBeInstanceOf(WebAssembly.Memory);
  });

  it('rejects bad input with messages that name the view', () => {
    expect(() => SharedArena.create({ x: { type: 'f32', length: -1 } })).toThrow(
      'arena view "x": length must be a non-negative integer, got -1',
    );
    expect(() => SharedArena.create({ x: { type: 'f32', length: 1.5 } })).toThrow(/length must be a non-negative/);
    expect(() => SharedArena.create({ y: { type: 'u8' as 'f32', length: 1 } })).toThrow(
      'arena view "y": type must be one of "f32", "f64", "i32", got "u8"',
    );
    expect(() => SharedArena.create({ z: null as never })).toThrow(/arena view "z": expected \{ type, length \}/);
    expect(() =>
      SharedArena.create({ big: { type: 'f64', length: 100 } }, { buffer: new SharedArrayBuffer(256) }),
    ).toThrow('arena: needs bytes [0, 832) but options.buffer has only 256 bytes');
    expect(() => SharedArena.create({}, { buffer: new ArrayBuffer(8) as never })).toThrow(/SharedArrayBuffer/);
    expect(() => SharedArena.create({}, { buffer: new WebAssembly.Memory({ initial: 1 }) })).toThrow(/not shared/);
    expect(() => SharedArena.create({}, { byteOffset: 64 })).toThrow(/byteOffset needs options.buffer/);
    const arena = SharedArena.create({ a: { type: 'i32', length: 1 } });
    expect(() => arena.view('b' as 'a')).toThrow('arena has no view "b" (views: a)');
  });

  it('refuses descriptions that would alias or overrun memory', () => {
    const desc = SharedArena.create({ a: { type: 'f32', length: 16 } }).describe();
    expect(() =>
      SharedArena.fromDescription({ ...desc, views: { a: { type: 'f32', byteOffset: 4, length: 16 } } }),
    ).toThrow('arena view "a": byteOffset must be a multiple of 64, got 4');
    expect(() =>
      SharedArena.fromDescription({ ...desc, views: { a: { type: 'f64', byteOffset: 0, length: 16 } } }),
    ).toThrow(/lie outside the arena/);
    expect(() => SharedArena.fromDescription({ ...desc, byteLength: 1 << 20 })).toThrow(/spans/);
  });

  it('handles an empty layout and zero-length views', () => {
    expect(SharedArena.create({}).byteLength).toBe(0);
    const arena = SharedArena.create({ a: { type: 'f32', length: 0 }, b: { type: 'f32', length: 1 } });
    expect(arena.view('a').length).toBe(0);
    expect(arena.placement('b').byteOffset).toBe(0);
    expect(SharedArena.byteLengthOf({ a: { type: 'f32', length: 17 } })).toBe(128);
  });
});
