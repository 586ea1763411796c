/**
 * `shardprop export`: a model directory as an ONNX model (for ONNX Runtime and other runtimes) or as
 * safetensors weights for a PyTorch `nn.Sequential` (see examples/pytorch/ at the repository root). The file is
 * written atomically: to a temporary name beside it, flushed, then renamed into place.
 */
import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { DEFAULT_ONNX_OPSET, MAX_ONNX_OPSET, MIN_ONNX_OPSET } from '@shardprop/core/internal';
import { loadModel, writeFileAtomic } from '@shardprop/core/node';
import type { Command } from 'commander';
import { parsePath } from '../config.js';
import { dataError, oneLine, usageError } from '../errors.js';
import { createOutput } from '../output.js';
import { formatInt } from '../progress.js';
import type { Runner } from '../runner.js';

export const EXPORT_FORMATS = ['onnx', 'safetensors'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const EXTENSIONS: Record<string, ExportFormat> = { '.onnx': 'onnx', '.safetensors': 'safetensors' };

export interface ExportFlags {
  model: string;
  out: string;
  format?: string;
  opset?: string;
  /** `--no-normalization` sets this to false. */
  normalization?: boolean;
  json?: boolean;
}

export function registerExport(program: Command, runner: Runner): Command {
  return program
    .command('export')
    .description('export a model for other engines: ONNX (ONNX Runtime and friends) or safetensors (PyTorch)')
    .requiredOption('--model <dir>', 'model directory written by shardprop train', parsePath)
    .requiredOption('--out <file>', 'the file to write (replaced atomically if it exists)', parsePath)
    .option('--format <format>', 'onnx or safetensors (default: from the extension of --out)')
    .option(
      '--opset <n>',
      `ONNX opset, ${MIN_ONNX_OPSET} to ${MAX_ONNX_OPSET} (default ${DEFAULT_ONNX_OPSET}); onnx only`,
    )
    .option(
      '--no-normalization',
      'onnx only: leave the input standardisation out of the graph (it then takes standardised inputs)',
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
ONNX: the graph takes the raw (one-hot encoded, not yet standardised) inputs as "input" [N, inputs] float32
and gives "output" [N, outputs] float32 (class probabilities for a classifier); the standardisation
(x - mean) / std is the graph's first two nodes. The metadata carries the class labels (class_labels),
the input column names (input_names), the standardisation and the architecture.

safetensors: the weights of a torch.nn.Sequential in which layer i is nn.Linear at index 2i (weight
[out, in], bias [out]) and its activation at 2i + 1 (nn.Identity for linear). The architecture, the
standardisation (applied by the caller), the labels and the feature names are in the file's metadata.
examples/pytorch/ rebuilds the model from it, checks its predictions against shardprop predict and
continues training with DistributedDataParallel.

Examples:
  $ shardprop export --model iris-model --format onnx --out iris.onnx
  $ shardprop export --model iris-model --out iris.safetensors
  $ shardprop export --model shardprop-model --format onnx --opset 13 --out seed.onnx --json`,
    )
    .action(async (flags: ExportFlags) => runner.setExitCode(await runExport(flags)));
}

/** The export format from --format, or from the extension of --out. */
export function exportFormat(flags: Pick<ExportFlags, 'format' | 'out'>): ExportFormat {
  if (flags.format !== undefined) {
    const f = flags.format.trim().toLowerCase();
    if ((EXPORT_FORMATS as readonly string[]).includes(f)) return f as ExportFormat;
    throw usageError(
      `--format ${JSON.stringify(flags.format)}: unknown export format (expected ${EXPORT_FORMATS.join(' or ')})`,
    );
  }
  const byExtension = EXTENSIONS[extname(flags.out).toLowerCase()];
  if (byExtension) return byExtension;
  throw usageError(
    `--format: not given, and the extension of --out ${flags.out} does not say (.onnx or .safetensors); pass --format ${EXPORT_FORMATS.join(' or ')}`,
  );
}

function parseOpset(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < MIN_ONNX_OPSET || n > MAX_ONNX_OPSET) {
    throw usageError(
      `--opset ${value}: expected a whole number from ${MIN_ONNX_OPSET} to ${MAX_ONNX_OPSET} (default ${DEFAULT_ONNX_OPSET})`,
    );
  }
  return n;
}

export async function runExport(flags: ExportFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const format = exportFormat(flags);
  if (format !== 'onnx' && flags.opset !== undefined) throw usageError('--opset applies to --format onnx only');
  if (format !== 'onnx' && flags.normalization === false) {
    throw usageError(
      '--no-normalization applies to --format onnx only (safetensors never applies the standardisation; it is in the metadata)',
    );
  }
  const opset = flags.opset === undefined ? DEFAULT_ONNX_OPSET : parseOpset(flags.opset);
  const outPath = resolve(flags.out);
  const existing = await stat(outPath).catch(() => undefined);
  if (existing?.isDirectory()) throw usageError(`--out ${flags.out} is a directory; name the file to write`);

  const dir = resolve(flags.model);
  let loaded: Awaited<ReturnType<typeof loadModel>>;
  try {
    loaded = await loadModel(dir);
  } catch (error) {
    const message = oneLine(error);
    throw dataError(`--model ${flags.model}: ${message.includes(dir) ? message.replaceAll(`${dir}/`, '') : message}`);
  }
  const { spec, params, meta } = loaded;
  // Loaded here, not with the command: the ONNX writer brings protobufjs, about 35 ms of every command's start.
  const { exportArchitecture, exportClassLabels, exportMetadata, toOnnx, torchParamNames, toSafetensors } =
    await import('@shardprop/core/export');

  const normalizationInGraph = format === 'onnx' && meta?.normalization !== undefined && flags.normalization !== false;
  let bytes: Uint8Array;
  try {
    bytes =
      format === 'onnx'
        ? toOnnx(spec, params, meta, { opset, includeNormalization: flags.normalization !== false })
        : toSafetensors(spec, params, meta);
  } catch (error) {
    throw dataError(`--model ${flags.model}: cannot export: ${oneLine(error)}`);
  }
  try {
    await writeFileAtomic(outPath, bytes);
  } catch (error) {
    const missingDir = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw dataError(
      `--out ${flags.out}: cannot write (${missingDir ? `the directory ${dirname(outPath)} does not exist` : oneLine(error)})`,
    );
  }

  const arch = exportArchitecture(spec);
  const metadata = Object.fromEntries(exportMetadata(spec, meta, { normalizationInGraph }));
  const labels = exportClassLabels(meta) ?? null;
  const paramCount = params.length;
  const tensors = spec.layers.flatMap((_, i) => {
    const n = torchParamNames(i);
    return [n.weight, n.bias];
  });
  if (out.json) {
    out.printJson({
      ok: true,
      model: dir,
      format,
      out: outPath,
      bytes: bytes.byteLength,
      inputSize: arch.inputSize,
      outputSize: arch.outputSize,
      paramCount,
      layers: arch.layers,
      classLabels: labels,
      normalization: meta?.normalization ? { inGraph: normalizationInGraph } : null,
      outputDescription: metadata.output_description,
      ...(format === 'onnx'
        ? {
            opset,
            input: { name: 'input', dtype: 'float32', shape: ['N', arch.inputSize] },
            output: { name: 'output', dtype: 'float32', shape: ['N', arch.outputSize] },
          }
        : {
            sequential: arch.sequential,
            tensors: tensors.map((name, k) => {
              const l = arch.sequential[2 * Math.floor(k / 2)].kwargs;
              return {
                name,
                dtype: 'F32',
                shape: k % 2 === 0 ? [l.out_features, l.in_features] : [l.out_features],
              };
            }),
          }),
    });
    return 0;
  }
  const size = `${formatInt(paramCount)} parameters, ${formatInt(bytes.byteLength)} bytes`;
  if (format === 'onnx') {
    out.line(`wrote ${flags.out}: ONNX opset ${opset}, ${size}`);
    const inputs = normalizationInGraph
      ? 'raw inputs; the standardisation (x - mean) / std is in the graph'
      : meta?.normalization
        ? 'standardised inputs: apply (x - mean) / std from the "normalization" metadata first'
        : 'inputs as the network takes them';
    out.line(`  input   "input"  float32 [N, ${arch.inputSize}]  (${inputs})`);
    out.line(`  output  "output" float32 [N, ${arch.outputSize}]  (${metadata.output_description})`);
  } else {
    const modules = arch.sequential.map((m) =>
      m.module === 'Linear'
        ? `Linear(${m.kwargs.in_features}, ${m.kwargs.out_features})`
        : `${m.module}(${Object.entries(m.kwargs)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')})`,
    );
    out.line(`wrote ${flags.out}: safetensors, ${tensors.length} F32 tensors (${tensors.join(', ')}), ${size}`);
    out.line(`  torch.nn.Sequential(${modules.join(', ')})`);
    if (meta?.normalization) {
      out.line('  inputs: standardise with (x - mean) / std from the "normalization" metadata before the network');
    }
    out.line(`  output: ${metadata.output_description}`);
  }
  if (labels) out.line(`  classes: ${labels.join(', ')}`);
  return 0;
}
