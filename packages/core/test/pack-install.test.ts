// The packages as a user gets them: `pnpm pack` every package (their `files`, with `workspace:*` turned into
// versions), `npm install` the tarballs into a fresh project outside the workspace (third-party dependencies from
// the registry), then train, save, load, fitParallel and tune there, run worker-pool's README example from the
// installed package, and the installed `shardprop` command. Packing runs each package's prepack (`tsc -b`, a no-op
// after the build, then core's worker bundles and the CLI's one-file command).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const packages = fileURLToPath(new URL('../../', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'shardprop-pack-install-'));
// Beside it, not inside: Node would otherwise find what the CLI's project lacks in the library's node_modules.
const cliProject = mkdtempSync(join(tmpdir(), 'shardprop-pack-install-cli-'));
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
  tarballs.tabular = await pack('tabular');
  tarballs.cli = await pack('cli');
  writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }\n');
  // The CLI in a project of its own: it depends on protobufjs, whose absence the library's project checks.
  writeFileSync(join(cliProject, 'package.json'), '{ "name": "cli-user", "private": true }\n');
  const all = [tarballs.workerPool, tarballs.core, tarballs.tabular, tarballs.cli];
  await exec(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...all], {
    cwd: cliProject,
    timeout: 170_000,
  });
  await exec(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarballs.workerPool, tarballs.core], {
    cwd: project,
    timeout: 170_000,
  });
}, 340_000);

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(cliProject, { recursive: true, force: true });
});

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

  it('the installed shardprop command is one bundled file that trains and tunes on every thread', async () => {
    const cli = join(cliProject, 'node_modules', '@shardprop', 'cli');
    const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8'));
    expect(manifest.bin).toEqual({ shardprop: './dist/bin.js' });
    // Its imports are inside the file (or its own chunks), ours included; Node's and piscina's stay imports.
    const bin = readFileSync(join(cli, 'dist', 'bin.js'), 'utf8');
    const imported = new Set([...bin.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]));
    expect(imported.size).toBeGreaterThan(0);
    expect([...imported].filter((m) => !isBuiltin(m) && !m.startsWith('./bin-chunks/'))).toEqual(['piscina']);
    const shardprop = join(cliProject, 'node_modules', '.bin', 'shardprop');
    const version = await exec(shardprop, ['--version'], { cwd: cliProject, timeout: 30_000 });
    expect(version.stdout.trim()).toBe(manifest.version);
    const { stdout } = await exec(shardprop, ['train', '--epochs', '2', '--threads', '1', '--json', '--out', 'model'], {
      cwd: cliProject,
      timeout: 60_000,
    });
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ ok: true, status: 'complete', rows: 10_000, epochsRun: 2, threads: 1 });
    expect(result.history).toHaveLength(2);
    expect(readFileSync(join(cliProject, 'model', 'model.json'), 'utf8')).toContain('"generatedBy":"shardprop"');
    // Workers, whose files the bundled core finds in the installed @shardprop/core: data-parallel, then a search.
    const parallel = await exec(shardprop, ['train', '--epochs', '2', '--threads', '2', '--json', '--out', 'model2'], {
      cwd: cliProject,
      timeout: 60_000,
    });
    expect(JSON.parse(parallel.stdout)).toMatchObject({ ok: true, status: 'complete', threads: 2 });
    const search = await exec(
      shardprop,
      ['tune', '--layers', '4,1|8,1', '--epochs', '1', '--folds', '2', '--threads', '2', '--json', '--out', 'tuned'],
      { cwd: cliProject, timeout: 60_000 },
    );
    const tuned = JSON.parse(search.stdout);
    expect(tuned.trials).toHaveLength(2);
    expect(tuned.best.settings.layers).toMatch(/^(4,1|8,1)$/);
  });
});
