/**
 * `@shardprop/tabular`: CSV tables and feature encoding shared by the shardprop CLI and browser app.
 *
 * - {@link TableBuilder} types parsed CSV records into columns (numeric or categorical, missing values kept) and
 *   refuses a bad file with one line naming the file, the line and the column. The CLI feeds it from a file
 *   stream; {@link parseCsvText} feeds it from a string with csv-parse's browser build.
 * - {@link readParquetBytes} and {@link readArrowBytes} read Parquet and Arrow IPC (Feather) into the same table
 *   as the CSV of the same data; they load their libraries on first use.
 * - {@link fitFeatures}, {@link encodeDataset} and {@link decodeOutputs} turn a table into a network's inputs and
 *   targets (standardised numbers, one-hot categories, an inferred task) and outputs back into labels.
 * - Every problem is a {@link TabularError} of kind `data` or `usage`.
 *
 * Browser-safe: nothing here imports a Node built-in.
 * @packageDocumentation
 */

export {
  exactNumber,
  NotPlainCsv,
  type NumericLines,
  type NumericLinesFormat,
  PlainCsvReader,
  plainDelimiter,
  readNumericLines,
} from './bytes.js';
export { type ColumnarOptions, readArrowBytes, readParquetBytes } from './columnar.js';
export { parseEncoding } from './encoding-format.js';
export { dataError, TabularError, type TabularErrorKind, usageError } from './errors.js';
export {
  type Advice,
  type CategoricalFeature,
  type ClassTarget,
  checkLoss,
  chooseColumns,
  columnTypes,
  type Decoded,
  decodeOutputs,
  defaultLoss,
  defaultOutputActivation,
  describeTarget,
  type EncodeOptions,
  type Encoding,
  encodeDataset,
  encodeFeatures,
  encodeTargets,
  type FeatureEncoding,
  fitFeatures,
  inferTarget,
  inputNames,
  inputWidth,
  type MissingPolicy,
  type NumericFeature,
  normalization,
  outputUnits,
  type RegressionTarget,
  round,
  TASKS,
  type TargetEncoding,
  type Task,
  targetNames,
  type UnknownPolicy,
  usableRows,
} from './features.js';
export { type CsvOptions, csvParseOptions, parseCsvText } from './parse.js';
export { SEED_FEATURES, SEED_FILE, SEED_ROWS, seedCsv, seedHeader, seedTable, sixDigits } from './seed.js';
export {
  type CategoricalColumn,
  type Column,
  type ColumnKind,
  csvSyntaxError,
  isMissing,
  listNames,
  looksNumeric,
  MISSING_MARKERS,
  type NumericColumn,
  parseNumber,
  positionalNames,
  quote,
  type Table,
  TableBuilder,
  type TableOptions,
  where,
} from './table.js';
