import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Every module specifier the compiled file at `url` imports, following relative imports recursively. */
function importGraph(url: URL, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(url.href)) return seen;
  const source = readFileSync(url, 'utf8');
  const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)].map(
    (m) => m[1],
  );
  seen.set(url.href, specifiers);
  for (const s of specifiers) if (s.startsWith('.')) importGraph(new URL(s, url), seen);
  return seen;
}

describe('browser entry', () => {
  it('imports no Node.js built-in and not piscina, while the main entry adds the pool', () => {
    const browser = importGraph(new URL('../dist/browser.js', import.meta.url));
    const external = [...browser.values()].flat().filter((s) => !s.startsWith('.'));
    expect(new Set(external)).toEqual(new Set(['comlink', 'comlink/dist/esm/node-adapter.mjs']));
    expect([...browser.keys()].map((k) => k.split('/').pop()).sort()).toEqual([
      'arena.js',
      'barrier.js',
      'browser.js',
      'reduce.js',
      'remote.js',
    ]);
    const main = [...importGraph(new URL('../dist/index.js', import.meta.url)).values()].flat();
    expect(main).toContain('piscina');
  });
});
