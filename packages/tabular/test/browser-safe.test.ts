// The package must run in a browser: nothing it imports, transitively, may be a Node built-in or a Node-only
// package. Walks the compiled import graph of dist/index.js (run the build first), as
// packages/core/test/browser-safe.test.ts does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const NODE_ONLY = ['fs', 'os', 'path', 'stream', 'buffer', 'worker_threads', 'piscina'];

function importGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const require = createRequire(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else {
        bare.add(spec);
        // Follow workspace packages and csv-parse, as a bundler would.
        if (spec.startsWith('@shardprop/') || spec.startsWith('csv-parse')) visit(require.resolve(spec));
      }
    }
  };
  visit(entry);
  return { files, bare };
}

describe('browser safety', () => {
  it('the entry imports no Node built-ins and no Node-only packages, and csv-parse through its browser build', () => {
    const { files, bare } = importGraph(fileURLToPath(new URL('../dist/index.js', import.meta.url)));
    expect(files.size).toBeGreaterThan(5);
    const nodeOnly = [...bare].filter((s) => s.startsWith('node:') || NODE_ONLY.includes(s));
    expect(nodeOnly).toEqual([]);
    expect([...bare].filter((s) => s.startsWith('csv-parse'))).toEqual(['csv-parse/browser/esm/sync']);
    expect(bare.has('@shardprop/core')).toBe(true);
  });

  it('the csv-parse browser build needs no require or Node global at load time', () => {
    const file = createRequire(import.meta.url).resolve('csv-parse/browser/esm/sync');
    const source = readFileSync(file, 'utf8');
    expect(source).not.toMatch(/\brequire\(|from\s*['"]node:/);
  });
});
