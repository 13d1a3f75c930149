import { parquetWriteBuffer } from 'hyparquet-writer';
import { ANALYSIS_COLUMNS } from './columns';
import type { AnalysisRow } from './columns';

/**
 * The rows as one Parquet file (Snappy, statistics on), in the column order the Glue table
 * declares. `metadata` goes into the file's key-value metadata: export ID and key kind, never who
 * asked.
 */
export function toParquet(rows: readonly AnalysisRow[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const columnData = ANALYSIS_COLUMNS.map((column) => ({
    name: column.name,
    data: rows.map((row) => row[column.name]),
    type: column.type === 'int' ? ('INT32' as const) : ('STRING' as const),
    nullable: column.type !== 'int',
  }));
  const buffer = parquetWriteBuffer({
    columnData,
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: 'anshin-relay analysis export',
  });
  return new Uint8Array(buffer);
}
