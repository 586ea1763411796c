// The packages as a user gets them: `pnpm pack` core and worker-pool (their `files`, with `workspace:*` turned
// into versions), `npm install` both tarballs into a fresh project outside the workspace (third-party
// dependencies from the registry), then train, save, load, fitParallel and tune there, and run worker-pool's README
// example from the installed package. Packing runs each package's prepack (`tsc -b`, a no-op after the build, and
// core's worker bundles).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const packages = fileURLToPath(new URL('../../', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'shardprop-pack-install-'));
const tarballs: Record<string, string> = {};

async function pack(name: string): Promise<string> {
  const { stdout } = await exec(npm, ['exec', '--yes', '--', 'pnpm@10.34.9', 'pack', '--pack-destination', project], {
    cwd: join(packages, name),
  });
  const tgz = stdout.trim().split('\n').at(-1) ?? '';
  expect(tgz).toMatch(/\.tgz$/);
  return tgz;
}

async function listing(tgz: string): Promise<string[]> {
  const { stdout } = await exec('tar', ['tzf', tgz]);
  return stdout.trim().split('\n');
}

beforeAll(async () => {
  tarballs.workerPool = await pack('worker-pool');
  tarballs.core = await pack('core');
  writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }\n');
  await exec(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarballs.workerPool, tarballs.core], {
    cwd: project,
    timeout: 170_000,
  });
}, 180_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('packed tarballs installed with npm outside the workspace', () => {
  it('ship the wasm once (no raw .wasm, no base64 source, no literal type), the README examples, no workspace: range', async () => {
    const core = await listing(tarballs.core);
    expect(core.filter((f) => /\.wasm$|kernels-wasm\.generated\.ts$/.test(f))).toEqual([]);
    expect(core).toContain('package/examples/parallel.mjs');
    expect(await listing(tarballs.workerPool)).toContain('package/examples/histogram/worker.mjs');
    const installed = join(project, 'node_modules', '@shardprop', 'core');
    const dts = readFileSync(join(installed, 'dist', 'kernels', 'wasm', 'kernels-wasm.generated.d.ts'), 'utf8');
    expect(dts.length).toBeLessThan(1000);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.dependencies).toEqual({ '@shardprop/worker-pool': '0.1.0' });
    expect(manifest.peerDependenciesMeta).toEqual({ protobufjs: { optional: true } });
  });

  it('train, save, load, fitParallel with fit bits, tune; ONNX names the missing optional peer', async () => {
    copyFileSync(fileURLToPath(new URL('fixtures/pack-consumer.mjs', import.meta.url)), join(project, 'main.mjs'));
    const { stdout } = await exec(process.execPath, ['main.mjs'], { cwd: project, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^fit: 2 epochs, (wasm|js), loss true$/);
    expect(lines.slice(1)).toEqual([
      'save/load: true f',
      'fitParallel: same bits as fit',
      'tune: 2 trials, true',
      'safetensors: true',
      'onnx: ONNX export needs the optional peer dependency protobufjs: npm install protobufjs@^8.8.1',
    ]);
  });

  it("worker-pool's README example runs from the installed package", async () => {
    const main = join(project, 'node_modules', '@shardprop', 'worker-pool', 'examples', 'histogram', 'main.mjs');
    const { stdout } = await exec(process.execPath, [main], { cwd: project, timeout: 30_000 });
    expect(
      stdout
        .trim()
        .split(' ')
        .map(Number)
        .reduce((a, b) => a + b, 0),
    ).toBe(1_000_000);
  });
});
