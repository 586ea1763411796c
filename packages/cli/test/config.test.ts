import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, mergeSettings, parseIntList } from '../src/config.js';
import { UserError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'shardprop-config-'));
function config(value: unknown): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

async function failure(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('reads a valid file, resolving paths against its folder', async () => {
    const c = await loadConfig(
      config({ data: 'train.csv', target: 'y', layers: [8, 1], lr: 0.5, batchSize: 16, shuffle: false }),
    );
    expect(c).toEqual({
      data: join(dir, 'train.csv'),
      target: ['y'],
      layers: [8, 1],
      lr: 0.5,
      batchSize: 16,
      shuffle: false,
    });
  });

  it('lets flags override the file', () => {
    expect(mergeSettings({ lr: 0.5, epochs: 3 }, { lr: 0.1, seed: undefined })).toEqual({ lr: 0.1, epochs: 3 });
  });

  it('rejects unknown keys, wrong types and bad JSON with a usage error naming the key', async () => {
    const unknown = await failure(loadConfig(config({ batch_size: 3 })));
    expect(unknown.exitCode).toBe(2);
    expect(unknown.message).toContain('unknown key "batch_size"');
    expect((await failure(loadConfig(config({ lr: 'fast' })))).message).toContain(
      '"lr": expected number, received string',
    );
    expect((await failure(loadConfig(config({ layers: [8, 0] })))).message).toContain('"layers.1"');
    expect((await failure(loadConfig(config({ optimizer: 'adagrad' })))).message).toContain('"optimizer"');
    expect((await failure(loadConfig(config('{ nope')))).message).toContain('not valid JSON');
    expect((await failure(loadConfig(join(dir, 'missing.json')))).message).toContain('no such file');
  });

  it('parses layer lists', () => {
    expect(parseIntList(1)('39, 39,1')).toEqual([39, 39, 1]);
    expect(() => parseIntList(1)('39,x')).toThrow(/comma-separated integers/);
    expect(() => parseIntList(1)('0')).toThrow();
  });
});
