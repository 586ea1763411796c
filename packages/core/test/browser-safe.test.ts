// The main entry must run in a browser: nothing it imports, transitively, may be a Node built-in or a
// Node-only package. Walks the compiled import graph of dist/index.js.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph, nodeOnlyImports } from '../../../test-utils/import-graph.js';

// Workspace packages are followed through the entries a bundler picks (their browser entries).
const followWorkspace = (spec: string) => spec.startsWith('@shardprop/');

describe('browser safety', () => {
  it('the main entry imports no Node built-ins and no Node-only packages', () => {
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const { files, bare } = importGraph(entry, followWorkspace);
    expect(files.size).toBeGreaterThan(20);
    expect(nodeOnlyImports(bare)).toEqual([]);
    expect([...bare]).toContain('@shardprop/worker-pool/browser');
  });

  it('the parallel-shared subpath (the Web Worker side of the trainer) is browser-safe too', () => {
    const entry = fileURLToPath(new URL('../dist/parallel/shared.js', import.meta.url));
    expect(nodeOnlyImports(importGraph(entry, followWorkspace).bare)).toEqual([]);
  });

  it('the parallel and node subpaths are where the Node-only code lives', () => {
    const parallel = importGraph(fileURLToPath(new URL('../dist/parallel/index.js', import.meta.url)), followWorkspace);
    expect([...parallel.bare]).toContain('node:os');
    const node = importGraph(fileURLToPath(new URL('../dist/node.js', import.meta.url)), followWorkspace);
    expect([...node.bare].some((s) => s.startsWith('node:'))).toBe(true);
  });
});
