/**
 * `@shardprop/cli`: the `shardprop` command. The program is exported for embedding, with the CLI's CSV
 * reader and exit codes; tables and feature encoding are `@shardprop/tabular`'s, imported from there.
 * @packageDocumentation
 */

export { type ReadCsvOptions, type ReadProgress, readCsv, readCsvParse } from './csv.js';
export { EXIT_DATA, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UserError } from './errors.js';
export { type LoadTableOptions, loadTable, TABLE_FORMATS, type TableFormat, tableFormat } from './load.js';
export { buildProgram, main, version } from './main.js';
