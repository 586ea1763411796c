/**
 * `@shardprop/cli`: the `shardprop` command. The program is exported for embedding and tests; the modules
 * behind it (CSV reading, feature encoding) are exported too.
 * @packageDocumentation
 */

// Tables and encodings come from @shardprop/tabular, re-exported as they were when they lived here.
export {
  type Column,
  type ColumnKind,
  decodeOutputs,
  type Encoding,
  encodeDataset,
  encodeFeatures,
  type FeatureEncoding,
  fitFeatures,
  inferTarget,
  inputNames,
  MISSING_MARKERS,
  parseNumber,
  seedCsv,
  seedTable,
  type Table,
  TabularError,
  type TargetEncoding,
  type Task,
} from '@shardprop/tabular';
export { type ReadCsvOptions, type ReadProgress, readCsv, readCsvParse } from './csv.js';
export { EXIT_DATA, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UserError } from './errors.js';
export { type LoadTableOptions, loadTable, TABLE_FORMATS, type TableFormat, tableFormat } from './load.js';
export { buildProgram, main, version } from './main.js';
