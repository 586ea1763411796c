// Where core's worker files are found: beside its modules, or, when a program has bundled the module into a file
// of its own elsewhere (the shardprop command does), in the @shardprop/core that program resolves; nowhere, one
// line that says what to install. The moved module is the compiled one, copied (the test task builds first).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { workerFileUrl } from '../src/parallel/worker-files.js';

const compiled = fileURLToPath(new URL('../dist/parallel/worker-files.js', import.meta.url));
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * The compiled module, copied (without its source map) into a program's folder of its own, `bin/`, beside which
 * `node_modules/@shardprop/core` is this package when `installed`; imported from there.
 */
async function moved(installed: boolean): Promise<typeof import('../src/parallel/worker-files.js')> {
  const dir = mkdtempSync(join(tmpdir(), 'shardprop-bundled-'));
  made.push(dir);
  mkdirSync(join(dir, 'bin'));
  const code = readFileSync(compiled, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
  writeFileSync(join(dir, 'bin', 'worker-files.js'), code);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  if (installed) {
    mkdirSync(join(dir, 'node_modules', '@shardprop'), { recursive: true });
    symlinkSync(fileURLToPath(new URL('..', import.meta.url)), join(dir, 'node_modules', '@shardprop', 'core'), 'dir');
  }
  return import(pathToFileURL(join(dir, 'bin', 'worker-files.js')).href);
}

describe('workerFileUrl', () => {
  const own = new URL('../dist/parallel/tune-worker.bundle.js', import.meta.url);

  it("finds the worker files beside core's modules", () => {
    expect(workerFileUrl('tune-worker.bundle.js').href).toBe(own.href);
  });

  it('finds those of the installed package from a module moved elsewhere', async () => {
    const m = await moved(true);
    expect(m.workerFileUrl('tune-worker.bundle.js').href).toBe(own.href);
    expect(m.workerFileUrl('worker.bundle.js').href).toBe(
      new URL('../dist/parallel/worker.bundle.js', import.meta.url).href,
    );
  });

  it('says what to install where no @shardprop/core resolves', async () => {
    const m = await moved(false);
    expect(() => m.workerFileUrl('tune-worker.bundle.js')).toThrow(
      /^@shardprop\/core: the worker file dist\/parallel\/tune-worker.bundle.js is neither beside this module nor in an installed @shardprop\/core/,
    );
  });
});
