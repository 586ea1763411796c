// Crash consistency of saveModel: a save is all-or-nothing. The save goes through a file system that fails at
// its k-th step, for every k, as a crash (nothing after step k happens, a failing write is torn) and as an I/O
// error (only step k fails). After each, the directory must load as the previous save or the new one, bit for
// bit (weights, optimizer state for --resume, extra files, metadata), and the next save must clean up.
import { spawnSync } from 'node:child_process';
import { link, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sameBits } from '../../../test-utils/bits.js';
import { FaultyFileSystem } from '../../../test-utils/faulty-fs.js';
import { modelToArtifacts, optimizerStateToBytes } from '../src/io/artifacts.js';
import { crc32 } from '../src/io/crc32.js';
import { mlpSpec } from '../src/model/spec.js';
import { type LoadedModelDir, loadModel, saveModel, writeFileAtomic, writeStreamAtomic } from '../src/node.js';

const spec = mlpSpec(5, [4, 2], 'tanh', 'softmax');

function floats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

const paramCount = 5 * 4 + 4 + 4 * 2 + 2;

/** One save's content: everything that must come back bit for bit. */
interface Save {
  params: Float32Array;
  optimizer: { step: number; state: Float32Array };
  best: Uint8Array;
  epoch: number;
}

function makeSave(seed: number, epoch: number): Save {
  return {
    params: floats(paramCount, seed),
    optimizer: { step: epoch * 10, state: floats(2 * paramCount, seed + 1) },
    best: new Uint8Array(floats(paramCount, seed + 2).buffer),
    epoch,
  };
}

function save(dir: string, s: Save, fileSystem?: FaultyFileSystem): Promise<void> {
  return saveModel(dir, modelToArtifacts(spec, s.params, { epoch: s.epoch }), {
    optimizer: s.optimizer,
    extraFiles: { 'best-weights': s.best },
    fileSystem,
  });
}

/** Whether the loaded directory is exactly `s`. */
function isExactly(loaded: LoadedModelDir, s: Save): boolean {
  return (
    loaded.meta?.epoch === s.epoch &&
    sameBits(loaded.params, s.params) &&
    loaded.optimizer?.step === s.optimizer.step &&
    sameBits(loaded.optimizer.state, s.optimizer.state) &&
    Buffer.from(loaded.extraFiles['best-weights'] ?? []).equals(s.best)
  );
}

/** A pid that no process has now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe('saveModel is all-or-nothing', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shardprop-crash-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const old = makeSave(1, 3);
  const next = makeSave(7, 4);
  const after = makeSave(11, 5);

  it('a save takes these steps, with one rename (of model.json) as its commit point', async () => {
    await save(root, old);
    const fs = new FaultyFileSystem();
    await save(root, next, fs);
    const renames = fs.steps.filter((s) => s.startsWith('rename'));
    expect(renames).toEqual([expect.stringMatching(/^rename \.model\.json\.\d+\.[0-9a-f]{12}\.tmp -> model\.json$/)]);
    const commit = fs.steps.indexOf(renames[0]);
    // Every data file is written and flushed, and the directory flushed, before the commit.
    for (const name of ['weights.2.bin', 'optimizer.2.bin', 'best-weights.2.bin']) {
      expect(fs.steps.indexOf(`fsync ${name}`)).toBeGreaterThan(fs.steps.indexOf(`write ${name}`));
      expect(fs.steps.indexOf(`fsync ${name}`)).toBeLessThan(commit);
    }
    expect(fs.steps.slice(commit - 5, commit)).toEqual([
      `fsync dir ${root.slice(root.lastIndexOf('/') + 1)}`,
      expect.stringMatching(/^create \.model\.json\./),
      expect.stringMatching(/^write \.model\.json\./),
      expect.stringMatching(/^fsync \.model\.json\./),
      expect.stringMatching(/^close \.model\.json\./),
    ]);
    // After it: the directory flushed, then the previous generation removed.
    expect(fs.steps.slice(commit + 1)).toEqual([
      expect.stringMatching(/^fsync dir /),
      'unlink best-weights.1.bin',
      'unlink optimizer.1.bin',
      'unlink weights.1.bin',
    ]);
    expect((await readdir(root)).sort()).toEqual([
      'best-weights.2.bin',
      'model.json',
      'optimizer.2.bin',
      'weights.2.bin',
    ]);
    expect(isExactly(await loadModel(root), next)).toBe(true);
  });

  for (const mode of ['crash', 'error'] as const) {
    it(`a ${mode} at any step leaves the previous save or the new one, whole, and the next save cleans up`, async () => {
      const counter = new FaultyFileSystem();
      await save(root, old);
      await save(root, next, counter);
      const stepCount = counter.steps.length;
      expect(stepCount).toBeGreaterThanOrEqual(20);
      const outcomes: string[] = [];
      for (let k = 1; k <= stepCount; k++) {
        const dir = join(root, `${mode}-${k}`);
        await save(dir, old);
        await writeFile(join(dir, 'notes.txt'), 'mine');
        const fs = new FaultyFileSystem(k, mode);
        let error: Error | undefined;
        await save(dir, next, fs).catch((e: Error) => {
          error = e;
        });
        await fs.closeAll();
        const what = `${mode} at step ${k} (${fs.steps[k - 1]})`;
        let loaded: LoadedModelDir;
        try {
          loaded = await loadModel(dir);
        } catch (e) {
          throw new Error(`${what}: the directory does not load: ${(e as Error).message}`);
        }
        const isOld = isExactly(loaded, old);
        const isNew = isExactly(loaded, next);
        expect(isOld || isNew, `${what}: loads neither save exactly`).toBe(true);
        if (error === undefined) {
          expect(isNew, `${what}: the save succeeded but the directory is not the new save`).toBe(true);
        } else if (isOld) {
          expect(error.message, what).toMatch(
            /failed \(the previous model is unchanged\)|^cannot create model directory/,
          );
        } else if (mode === 'error') {
          expect(error.message, what).toContain('the new model is in place');
        }
        outcomes.push(error === undefined ? 'saved' : isOld ? 'old' : 'new');

        // The next save (as the next run would) works and leaves only its own files and the user's.
        await save(dir, after);
        expect(isExactly(await loadModel(dir), after), what).toBe(true);
        const left = (await readdir(dir)).filter((f) => !f.startsWith(`.model.json.${process.pid}.`)).sort();
        const gen = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
        const g = /^weights\.(\d+)\.bin$/.exec(gen)?.[1];
        expect(left, what).toEqual([`best-weights.${g}.bin`, 'model.json', 'notes.txt', `optimizer.${g}.bin`, gen]);
      }
      // Both outcomes occur: failures before the commit keep the old save, after it the new one.
      expect(outcomes).toContain('old');
      expect(outcomes.some((o) => o !== 'old')).toBe(true);
      if (mode === 'error') expect(outcomes).toContain('saved');
    });
  }

  it('removes leftovers of killed saves and older layouts, never other files', async () => {
    await save(root, old);
    const dead = deadPid();
    const leftovers = [
      `.model.json.${dead}.0123456789ab.tmp`,
      `.training.svg.${dead}.01234567.tmp`,
      'weights.9.bin',
      'optimizer.8.bin',
      'best-weights.9.bin',
      'weights.bin',
      'optimizer.bin',
    ];
    const mine = [
      'notes.txt',
      'weights.bin.bak',
      'other.3.bin',
      'weights.x.bin',
      `.model.json.${process.pid}.0123456789ab.tmp`,
      '.hidden',
    ];
    for (const f of [...leftovers, ...mine]) await writeFile(join(root, f), 'x');
    await save(root, next);
    // The new generation is above every leftover, so none of them was reused.
    expect((await readdir(root)).sort()).toEqual(
      [...mine, 'model.json', 'weights.10.bin', 'optimizer.10.bin', 'best-weights.10.bin'].sort(),
    );
    expect(isExactly(await loadModel(root), next)).toBe(true);
  });

  it('loads and upgrades a directory of the older layout (weights.bin, optimizer.bin)', async () => {
    const a = modelToArtifacts(spec, old.params, { epoch: old.epoch });
    expect(a.modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    await writeFile(join(root, 'model.json'), JSON.stringify(a.modelJson));
    await writeFile(join(root, 'weights.bin'), a.weightData);
    await writeFile(
      join(root, 'optimizer.bin'),
      optimizerStateToBytes({ ...old.optimizer, weightsCrc32: crc32(a.weightData) }),
    );
    const loaded = await loadModel(root);
    expect(isExactly({ ...loaded, extraFiles: { 'best-weights': old.best } }, old)).toBe(true);
    await save(root, next);
    expect((await readdir(root)).sort()).toEqual([
      'best-weights.1.bin',
      'model.json',
      'optimizer.1.bin',
      'weights.1.bin',
    ]);
    expect(isExactly(await loadModel(root), next)).toBe(true);
  });

  it('a corrupt or missing data file is named, not loaded', async () => {
    await save(root, old);
    await writeFile(join(root, 'best-weights.1.bin'), new Uint8Array(old.best.length));
    await expect(loadModel(root)).rejects.toThrow(
      new RegExp(
        `^${join(root, 'best-weights.1.bin')}: checksum mismatch \\(model.json has 0x[0-9a-f]{8}, the file has 0x[0-9a-f]{8}\\); the file is corrupt or was changed$`,
      ),
    );
    await rm(join(root, 'optimizer.1.bin'));
    await expect(loadModel(root)).rejects.toThrow(`${join(root, 'optimizer.1.bin')} is missing`);
  });

  it('a reader racing a save in another process reads one whole save', async () => {
    // Saves and loads interleave on the event loop: a load that read model.json of generation n may find its
    // files removed by the save of n+1, and must then read n+1.
    await save(root, old);
    const saves = [next, after, old, next, after];
    const loads: Promise<LoadedModelDir>[] = [];
    let chain = Promise.resolve();
    for (const s of saves) {
      chain = chain.then(() => save(root, s));
      for (let i = 0; i < 4; i++) loads.push(loadModel(root));
    }
    await chain;
    for (const l of await Promise.all(loads)) {
      expect([old, next, after].some((s) => isExactly(l, s))).toBe(true);
    }
  });
});

describe('writeFileAtomic', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shardprop-atomic-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('replaces the file by a rename: a hard link to the old file keeps the old content', async () => {
    const path = join(root, 'out.csv');
    await writeFile(path, 'old');
    await link(path, join(root, 'link.csv'));
    const fs = new FaultyFileSystem();
    await writeFileAtomic(path, 'new content', fs);
    expect(await readFile(path, 'utf8')).toBe('new content');
    expect(await readFile(join(root, 'link.csv'), 'utf8')).toBe('old');
    expect(fs.steps.filter((s) => s.startsWith('rename'))).toEqual([
      expect.stringMatching(/^rename \.out\.csv\.\d+\.[0-9a-f]{12}\.tmp -> out\.csv$/),
    ]);
    expect((await readdir(root)).sort()).toEqual(['link.csv', 'out.csv']);
  });

  for (const mode of ['crash', 'error'] as const) {
    it(`a ${mode} at any step leaves the old file or the new one, never a mixture`, async () => {
      const counter = new FaultyFileSystem();
      const path = join(root, 'out.csv');
      await writeFile(path, 'old');
      await writeFileAtomic(path, 'x'.repeat(1000), counter);
      for (let k = 1; k <= counter.steps.length; k++) {
        await writeFile(path, 'old');
        const fs = new FaultyFileSystem(k, mode);
        const failed = await writeFileAtomic(path, 'new'.repeat(300), fs).then(
          () => false,
          () => true,
        );
        await fs.closeAll();
        const content = await readFile(path, 'utf8');
        const what = `${mode} at step ${k} (${fs.steps[k - 1]})`;
        expect(['old', 'new'.repeat(300)], what).toContain(content);
        // Before the rename a failure keeps the old file; only a failed directory fsync comes after it.
        if (failed && !fs.steps[k - 1].startsWith('fsync dir')) expect(content, what).toBe('old');
        // An error (not a crash) leaves no temporary file.
        if (mode === 'error') expect(await readdir(root), what).toEqual(['out.csv']);
      }
    });
  }
});

describe('writeStreamAtomic', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shardprop-stream-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const pieces = ['a,b\n', '1,2\n', new TextEncoder().encode('3,4\n')];
  const produceAll = async (write: (d: Uint8Array | string) => Promise<void>) => {
    for (const p of pieces) await write(p);
  };

  it('writes the pieces in order, then replaces the file by one rename', async () => {
    const path = join(root, 'out.csv');
    await writeFile(path, 'old');
    await link(path, join(root, 'link.csv'));
    const fs = new FaultyFileSystem();
    await writeStreamAtomic(path, produceAll, fs);
    expect(await readFile(path, 'utf8')).toBe('a,b\n1,2\n3,4\n');
    expect(await readFile(join(root, 'link.csv'), 'utf8')).toBe('old');
    expect(fs.steps.filter((s) => s.startsWith('rename'))).toHaveLength(1);
  });

  it('a failure while producing leaves the old file and no temporary file', async () => {
    const path = join(root, 'out.csv');
    await writeFile(path, 'old');
    const failing = async (write: (d: string) => Promise<void>) => {
      await write('half');
      throw new Error('the input ended early');
    };
    await expect(writeStreamAtomic(path, failing)).rejects.toThrow('the input ended early');
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(root)).toEqual(['out.csv']);
  });

  it('an error at any step leaves the old file or the whole new one, and no temporary file', async () => {
    const path = join(root, 'out.csv');
    const counter = new FaultyFileSystem();
    await writeStreamAtomic(path, produceAll, counter);
    for (let k = 1; k <= counter.steps.length; k++) {
      await writeFile(path, 'old');
      const fs = new FaultyFileSystem(k, 'error');
      await writeStreamAtomic(path, produceAll, fs).catch(() => {});
      await fs.closeAll();
      expect(['old', 'a,b\n1,2\n3,4\n']).toContain(await readFile(path, 'utf8'));
      expect(await readdir(root)).toEqual(['out.csv']);
    }
  });
});
