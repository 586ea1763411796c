/**
 * The data files the page reads, as the CLI reads them: Parquet (`.parquet`) and Arrow IPC / Feather (`.arrow`,
 * `.feather`, `.ipc`) by extension, anything else as CSV text, into the same `Table`, with the same encoding rules
 * and one-line messages. @shardprop/tabular loads the Parquet and Arrow libraries only for such a file, so the
 * bundler keeps them out of the first page load.
 */
import { parseCsvText, readArrowBytes, readParquetBytes, type Table, type TableOptions } from '@shardprop/tabular';

export type DataFileFormat = 'csv' | 'parquet' | 'arrow';

const BY_EXTENSION: Record<string, DataFileFormat> = {
  parquet: 'parquet',
  arrow: 'arrow',
  feather: 'arrow',
  ipc: 'arrow',
};

/** The format of a file by its name's extension (case-insensitive); CSV when it has no other. */
export function dataFileFormat(name: string): DataFileFormat {
  const dot = name.lastIndexOf('.');
  return (dot < 0 ? undefined : BY_EXTENSION[name.slice(dot + 1).toLowerCase()]) ?? 'csv';
}

/**
 * Reads a file's bytes into typed columns; `name` picks the format and is the file messages name.
 * @throws TabularError for a file that is not what its name says or holds a value the table refuses
 */
export async function readDataFile(name: string, bytes: Uint8Array, options: TableOptions = {}): Promise<Table> {
  switch (dataFileFormat(name)) {
    case 'parquet':
      return readParquetBytes(bytes, name, options);
    case 'arrow':
      return readArrowBytes(bytes, name, options);
    default:
      return parseCsvText(new TextDecoder().decode(bytes), name, options);
  }
}
