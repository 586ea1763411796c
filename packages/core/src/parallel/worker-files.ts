/**
 * Where this package's worker files are. Each worker thread loads its own file, always the compiled one, bundled
 * with its imports (scripts/bundle-workers.mjs) so that the thread starts faster: `dist/parallel/<name>`, found
 * relative to this module in src/ (under vitest) and in dist/. A program that bundles this package into a file of
 * its own (the `shardprop` command does, to start faster) moves this module away from its package; the worker files
 * are then those of the installed `@shardprop/core` that the program resolves.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const found = new Map<string, URL>();

/** The URL of `dist/parallel/<name>` of this package (the worker files are looked up once per name). */
export function workerFileUrl(name: string): URL {
  let url = found.get(name);
  if (!url) {
    url = new URL(`../../dist/parallel/${name}`, import.meta.url);
    if (!existsSync(url)) url = installedWorkerFile(name);
    found.set(name, url);
  }
  return url;
}

function installedWorkerFile(name: string): URL {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve('@shardprop/core/package.json');
  } catch {
    throw new Error(
      `@shardprop/core: the worker file dist/parallel/${name} is neither beside this module nor in an installed @shardprop/core (install it beside the program that bundles it)`,
    );
  }
  return new URL(`dist/parallel/${name}`, pathToFileURL(manifest));
}
