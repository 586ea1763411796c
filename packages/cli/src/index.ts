/**
 * `@shardprop/cli`: the `shardprop` command. The program is exported for embedding and tests; the modules
 * behind it (CSV reading, feature encoding) are exported too.
 * @packageDocumentation
 */

export {
  type Column,
  type ColumnKind,
  MISSING_MARKERS,
  parseNumber,
  type ReadCsvOptions,
  readCsv,
  type Table,
} from './csv.js';
export { EXIT_DATA, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UserError } from './errors.js';
export {
  decodeOutputs,
  type Encoding,
  encodeDataset,
  encodeFeatures,
  type FeatureEncoding,
  fitFeatures,
  inferTarget,
  inputNames,
  type TargetEncoding,
  type Task,
} from './features.js';
export { buildProgram, main, version } from './main.js';
export { seedCsv, seedTable } from './seed.js';
