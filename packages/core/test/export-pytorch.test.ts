// The PyTorch example (examples/pytorch/) against the safetensors export: the scripts compile wherever Python is
// installed; where PyTorch is too, from_shardprop.py rebuilds the network and predicts what shardprop predicts,
// and train_ddp.py continues training (one process, and two processes over gloo as torchrun would start them)
// from the loss shardprop reports, writing weights that modelFromSafetensors reads back.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { modelFromSafetensors, toSafetensors } from '../src/export/index.js';
import type { ShardpropMetaInput } from '../src/io/artifacts.js';
import { Mlp } from '../src/model/mlp.js';
import type { ModelSpec } from '../src/model/spec.js';
import { Rng } from '../src/random.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/pytorch/', import.meta.url));

function findPython(withTorch: boolean): string | undefined {
  const candidates = [process.env.SHARDPROP_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', withTorch ? 'import torch, torch.distributed' : 'pass'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

const PYTHON = findPython(false);
const TORCH_PYTHON = PYTHON ? findPython(true) : undefined;

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'shardprop-pytorch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 3-class classifier over a numeric and a categorical column, with its CLI metadata, data and predictions. */
function classifierFixture() {
  const spec: ModelSpec = {
    inputSize: 4,
    layers: [
      { units: 8, activation: 'tanh' },
      { units: 6, activation: 'elu' },
      { units: 3, activation: 'softmax' },
    ],
  };
  const model = Mlp.create(spec, { seed: 4 });
  const rng = new Rng(12);
  for (let i = 0; i < model.params.length; i++) model.params[i] += rng.uniform(-0.3, 0.3);
  const colours = ['blue', 'green', 'red'];
  const classes = ['a', 'b', 'c'];
  const rows = Array.from({ length: 60 }, (_, i) => ({
    size: Number((100 + 40 * rng.uniform(-1, 1)).toFixed(3)),
    colour: colours[rng.int(3)],
    kind: classes[i % 3],
  }));
  const mean = rows.reduce((s, r) => s + r.size, 0) / rows.length;
  const std = Math.sqrt(rows.reduce((s, r) => s + (r.size - mean) ** 2, 0) / rows.length);
  const meta: ShardpropMetaInput = {
    featureNames: ['size', 'colour'],
    targetNames: ['kind'],
    encodings: {
      features: [
        { name: 'size', kind: 'numeric', mean, std },
        { name: 'colour', kind: 'categorical', vocabulary: colours, mode: 'red' },
      ],
      target: { task: 'multiclass', column: 'kind', classes, numeric: false },
    },
    normalization: { mean: [mean, 0, 0, 0], std: [std, 1, 1, 1] },
    task: 'multiclass',
    loss: 'categoricalCrossentropy',
    optimizer: { name: 'sgd', learningRate: 0.05 },
    training: { batchSize: 8 },
  };
  // Encoded and standardised as shardprop train / predict do it.
  const x = new Float32Array(
    rows.flatMap((r) => [(r.size - mean) / std, ...colours.map((c) => (c === r.colour ? 1 : 0))]),
  );
  const out = model.predict(x);
  const csv = ['size,colour,kind', ...rows.map((r) => `${r.size},${r.colour},${r.kind}`)].join('\n');
  const preds = [
    'predicted_kind,p_a,p_b,p_c',
    ...rows.map((_, i) => {
      const p = Array.from(out.subarray(3 * i, 3 * i + 3));
      const best = p.indexOf(Math.max(...p));
      return [classes[best], ...p.map((v) => Number(v.toPrecision(7)))].join(',');
    }),
  ].join('\n');
  // The mean categorical cross-entropy (Keras clipping) of the exported weights.
  let loss = 0;
  rows.forEach((r, i) => {
    const p = out[3 * i + classes.indexOf(r.kind)];
    loss -= Math.log(Math.min(Math.max(p, 1e-7), 1 - 1e-7));
  });
  loss /= rows.length;
  return { spec, model, meta, csv, preds, loss };
}

describe('examples/pytorch', () => {
  it.skipIf(!PYTHON)('the scripts compile (what python3 -m py_compile checks, without writing .pyc files)', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.py'));
    expect(files.sort()).toEqual(['from_shardprop.py', 'shardprop_torch.py', 'train_ddp.py']);
    const r = spawnSync(
      PYTHON as string,
      [
        '-c',
        'import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding="utf-8").read(), f, "exec")',
        ...files.map((f) => join(EXAMPLES, f)),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(!TORCH_PYTHON)(
    'from_shardprop.py predicts what shardprop predicts',
    async () => {
      const f = classifierFixture();
      writeFileSync(join(dir, 'cls.safetensors'), toSafetensors(f.model.spec, f.model.params, f.meta));
      writeFileSync(join(dir, 'cls.csv'), f.csv);
      writeFileSync(join(dir, 'cls-preds.csv'), f.preds);
      const r = await run(
        TORCH_PYTHON as string,
        [
          join(EXAMPLES, 'from_shardprop.py'),
          '--weights',
          join(dir, 'cls.safetensors'),
          '--data',
          join(dir, 'cls.csv'),
          '--shardprop-predictions',
          join(dir, 'cls-preds.csv'),
          '--out',
          join(dir, 'torch-preds.csv'),
        ],
        { PYTHONDONTWRITEBYTECODE: '1' },
      );
      expect(r.out).toMatch(/MATCH\n/);
      expect(r.out).toMatch(/predicted class agrees on 60\/60 rows/);
      expect(r.code, r.out).toBe(0);
      const diff = Number(/max abs diff vs shardprop predict: (\S+)/.exec(r.out)?.[1]);
      expect(diff).toBeLessThan(1e-5);
    },
    60_000,
  );

  it.skipIf(!TORCH_PYTHON)(
    'train_ddp.py continues from the exported loss, on one process and on two (gloo), and writes weights shardprop reads back',
    async () => {
      const f = classifierFixture();
      writeFileSync(join(dir, 'ddp.safetensors'), toSafetensors(f.model.spec, f.model.params, f.meta));
      writeFileSync(join(dir, 'ddp.csv'), f.csv);
      const script = join(EXAMPLES, 'train_ddp.py');
      const common = ['--weights', join(dir, 'ddp.safetensors'), '--data', join(dir, 'ddp.csv'), '--epochs', '3'];
      const env: Record<string, string> = {
        PYTHONDONTWRITEBYTECODE: '1',
        OMP_NUM_THREADS: '1',
        MASTER_PORT: String(await freePort()),
      };
      // gloo picks its network interface from the host name, which need not resolve in a sandbox: use loopback.
      if (process.platform === 'linux' && !process.env.GLOO_SOCKET_IFNAME) env.GLOO_SOCKET_IFNAME = 'lo';

      const one = await run(
        TORCH_PYTHON as string,
        [script, ...common, '--out', join(dir, 'one.safetensors'), '--curve', join(dir, 'one.json')],
        env,
      );
      expect(one.code, one.out).toBe(0);
      expect(one.out).toMatch(/DDP: 1 process, backend gloo/);

      // Two processes with the environment torchrun gives them.
      const port = String(await freePort());
      const two = await Promise.all(
        [0, 1].map((rank) =>
          run(
            TORCH_PYTHON as string,
            [script, ...common, '--out', join(dir, 'two.safetensors'), '--curve', join(dir, 'two.json')],
            {
              ...env,
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: port,
              WORLD_SIZE: '2',
              LOCAL_WORLD_SIZE: '2',
              RANK: String(rank),
              LOCAL_RANK: String(rank),
            },
          ),
        ),
      );
      expect(two[0].code, two[0].out).toBe(0);
      expect(two[1].code, two[1].out).toBe(0);
      expect(two[0].out).toMatch(/DDP: 2 processes, backend gloo, device cpu; 60 rows, batch 4 x 2 = 8/);

      for (const name of ['one', 'two']) {
        const curve = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
        expect(curve.loss).toHaveLength(4);
        // Epoch 0 is the loss of the exported weights, as shardprop computes it.
        expect(Math.abs(curve.loss[0] - f.loss)).toBeLessThan(1e-5);
        expect(curve.loss.every(Number.isFinite)).toBe(true);
        const back = modelFromSafetensors(readFileSync(join(dir, `${name}.safetensors`)));
        expect(back.spec).toEqual(f.model.spec);
        expect(back.meta?.encodings).toEqual(f.meta.encodings);
        expect(back.params).not.toEqual(f.model.params);
      }
    },
    120_000,
  );
});
