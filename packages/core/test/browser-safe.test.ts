// The main entry must run in a browser: nothing it imports, transitively, may be a Node built-in or a
// Node-only package. Walks the compiled import graph of dist/index.js.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const require = createRequire(entry);
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else {
        bare.add(spec);
        // Follow workspace packages through their browser entries, as a bundler would.
        if (spec.startsWith('@shardprop/')) visit(require.resolve(spec));
      }
    }
  };
  visit(entry);
  return { files, bare };
}

describe('browser safety', () => {
  it('the main entry imports no Node built-ins and no Node-only packages', () => {
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const { files, bare } = importGraph(entry);
    expect(files.size).toBeGreaterThan(20);
    const nodeOnly = [...bare].filter(
      (s) => s.startsWith('node:') || ['fs', 'os', 'path', 'worker_threads', 'piscina'].includes(s),
    );
    expect(nodeOnly).toEqual([]);
    expect([...bare]).toContain('@shardprop/worker-pool/browser');
  });

  it('the parallel-shared subpath (the Web Worker side of the trainer) is browser-safe too', () => {
    const { bare } = importGraph(fileURLToPath(new URL('../dist/parallel/shared.js', import.meta.url)));
    const nodeOnly = [...bare].filter(
      (s) => s.startsWith('node:') || ['fs', 'os', 'path', 'worker_threads', 'piscina'].includes(s),
    );
    expect(nodeOnly).toEqual([]);
  });

  it('the parallel and node subpaths are where the Node-only code lives', () => {
    const parallel = importGraph(fileURLToPath(new URL('../dist/parallel/index.js', import.meta.url)));
    expect([...parallel.bare]).toContain('node:os');
    const node = importGraph(fileURLToPath(new URL('../dist/node.js', import.meta.url)));
    expect([...node.bare].some((s) => s.startsWith('node:'))).toBe(true);
  });
});
