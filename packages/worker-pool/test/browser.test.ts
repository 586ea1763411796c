import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph, nodeOnlyImports } from '../../../test-utils/import-graph.js';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

describe('browser entry', () => {
  it('imports no Node.js built-in and not piscina, while the main entry adds the pool', () => {
    const browser = importGraph(dist('browser.js'));
    expect(browser.bare).toEqual(new Set(['comlink', 'comlink/dist/esm/node-adapter.mjs']));
    expect(nodeOnlyImports(browser.bare)).toEqual([]);
    expect([...browser.files].map((k) => k.split('/').pop()).sort()).toEqual([
      'arena.js',
      'barrier.js',
      'browser.js',
      'reduce.js',
      'remote.js',
    ]);
    expect(importGraph(dist('index.js')).bare).toContain('piscina');
  });
});
