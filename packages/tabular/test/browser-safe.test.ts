// The package must run in a browser: nothing it imports, transitively, may be a Node built-in or a Node-only
// package. Walks the compiled import graph of dist/index.js (run the build first), as
// packages/core/test/browser-safe.test.ts does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph, nodeOnlyImports } from '../../../test-utils/import-graph.js';

describe('browser safety', () => {
  it('the entry imports no Node built-ins and no Node-only packages, and csv-parse through its browser build', () => {
    // Workspace packages and csv-parse are followed, as a bundler would.
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const { files, bare } = importGraph(entry, (s) => s.startsWith('@shardprop/') || s.startsWith('csv-parse'));
    expect(files.size).toBeGreaterThan(5);
    expect(nodeOnlyImports(bare)).toEqual([]);
    expect([...bare].filter((s) => s.startsWith('csv-parse'))).toEqual(['csv-parse/browser/esm/sync']);
    expect(bare.has('@shardprop/core')).toBe(true);
  });

  it('loads the columnar libraries (browser-safe; the page bundles them) only when a columnar file is read', () => {
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const { files } = importGraph(entry, (s) => s.startsWith('@shardprop/'));
    const statics: string[] = [];
    const dynamics: string[] = [];
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) statics.push(m[1]);
      for (const m of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) dynamics.push(m[1]);
    }
    expect(statics.filter((s) => s === 'apache-arrow' || s === 'hyparquet')).toEqual([]);
    expect(dynamics.sort()).toEqual(['apache-arrow', 'hyparquet']);
  });

  it('the csv-parse browser build needs no require or Node global at load time', () => {
    const file = createRequire(import.meta.url).resolve('csv-parse/browser/esm/sync');
    const source = readFileSync(file, 'utf8');
    expect(source).not.toMatch(/\brequire\(|from\s*['"]node:/);
  });
});
