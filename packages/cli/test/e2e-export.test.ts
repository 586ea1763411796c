// `shardprop export`: ONNX and safetensors files that other runtimes read back, and clear errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelFromSafetensors, parseOnnx } from '@shardprop/core/export';
import { loadModel } from '@shardprop/core/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, flags, tempDir, writeFixtures } from './helpers.js';

const dir = tempDir();
const files = writeFixtures(dir);
const model = join(dir, 'model');

beforeAll(async () => {
  const r = await cli([
    'train',
    ...flags({ data: files.multi, target: 'kind', layers: '6,3', epochs: 2, threads: 1, out: model }),
  ]);
  expect(r.code).toBe(0);
});

describe('shardprop export', () => {
  it('writes a safetensors file holding the same weights, and --json describes it', async () => {
    const out = join(dir, 'm.safetensors');
    const r = await cli(['export', '--model', model, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('safetensors');
    const saved = await loadModel(model);
    const back = modelFromSafetensors(new Uint8Array(readFileSync(out)));
    expect(Array.from(back.params)).toEqual(Array.from(saved.params));
  });

  it('writes an ONNX model whose graph parses, with the class labels in its metadata', async () => {
    const out = join(dir, 'm.onnx');
    const r = await cli(['export', '--model', model, '--format', 'onnx', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const parsed = parseOnnx(new Uint8Array(readFileSync(out)));
    expect(JSON.stringify(parsed)).toContain('class_labels');
  });

  it('an unknown format is a usage error (exit 2), a missing model a model error (exit 1), without stacks', async () => {
    const bad = await cli(['export', '--model', model, '--format', 'pickle', '--out', join(dir, 'x.bin')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/pickle/);
    const missing = await cli(['export', '--model', join(dir, 'nope'), '--out', join(dir, 'x.onnx')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope/);
    for (const r of [bad, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
