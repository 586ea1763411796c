/**
 * The compiled import graph of an entry file, for the tests that prove an entry is browser-safe: every relative
 * import is followed, bare specifiers are collected, and the packages `follow` names are followed through their
 * resolved files, as a bundler would.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
/** Bare specifiers that exist only in Node.js (besides every `node:` one). */
const NODE_ONLY = ['fs', 'os', 'path', 'stream', 'buffer', 'worker_threads', 'piscina'];

export interface ImportGraph {
  /** Absolute paths of the files reached. */
  files: Set<string>;
  /** Every bare (package) specifier imported on the way. */
  bare: Set<string>;
}

export function importGraph(entry: string, follow: (specifier: string) => boolean = () => false): ImportGraph {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const require = createRequire(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else {
        bare.add(spec);
        if (follow(spec)) visit(require.resolve(spec));
      }
    }
  };
  visit(entry);
  return { files, bare };
}

/** The specifiers of `bare` that a browser cannot load. */
export function nodeOnlyImports(bare: Iterable<string>): string[] {
  return [...bare].filter((s) => s.startsWith('node:') || NODE_ONLY.includes(s));
}
