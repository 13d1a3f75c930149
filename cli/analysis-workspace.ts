import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ANALYSIS_COLUMNS } from '../lambdas/analysis/columns';
import type { Target } from './target';

/**
 * The analysis export on this machine, for DuckDB: the Parquet objects of the chosen days are
 * copied from the target's analysis bucket into tables `records` and `investigation_records`
 * (the Glue tables' names and columns), and then DuckDB is locked against files and the network,
 * so a query reads those tables and nothing else. For every day at once on AWS, Athena's workgroup
 * is the engine; this is for the local stack and for a few days.
 */

export interface DayRange {
  readonly from?: string;
  readonly to?: string;
}

export interface AnalysisWorkspace {
  readonly connection: DuckDBConnection;
  /** Objects loaded, per table. */
  readonly loaded: { readonly records: number; readonly investigation_records: number };
  close(): void;
}

const DAY_OBJECT = /(?:^|\/)day=(\d{4}-\d{2}-\d{2})\/records\.parquet$/;
const LAYOUTS = [
  { table: 'records', prefix: 'records/', partitions: [['day', 'DATE']] },
  { table: 'investigation_records', prefix: 'investigations/', partitions: [['investigation', 'VARCHAR'], ['day', 'DATE']] },
] as const;

const inRange = (day: string, range: DayRange): boolean => (range.from === undefined || day >= range.from) && (range.to === undefined || day <= range.to);
const sqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const COLUMN_LIST = ANALYSIS_COLUMNS.map((column) => column.name).join(', ');
const COLUMN_DEFINITIONS = ANALYSIS_COLUMNS.map((column) => `${column.name} ${column.type === 'int' ? 'INTEGER' : 'VARCHAR'}`).join(', ');

async function download(target: Target, prefix: string, range: DayRange, into: string): Promise<number> {
  let count = 0;
  for await (const page of paginateListObjectsV2({ client: target.s3 }, { Bucket: target.analysisBucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      const key = object.Key ?? '';
      const day = DAY_OBJECT.exec(key)?.[1];
      if (day === undefined || !inRange(day, range)) continue;
      const { Body } = await target.s3.send(new GetObjectCommand({ Bucket: target.analysisBucket, Key: key }));
      const path = join(into, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      count += 1;
    }
  }
  return count;
}

export async function openAnalysisWorkspace(target: Target, range: DayRange = {}): Promise<AnalysisWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'anshin-analysis-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const loaded = { records: 0, investigation_records: 0 };
    for (const layout of LAYOUTS) {
      const count = await download(target, layout.prefix, range, dir);
      loaded[layout.table] = count;
      const partitionNames = layout.partitions.map(([name]) => name).join(', ');
      if (count === 0) {
        await connection.run(`CREATE TABLE ${layout.table} (${layout.partitions.map(([name, type]) => `${name} ${type}`).join(', ')}, ${COLUMN_DEFINITIONS})`);
        continue;
      }
      const glob = join(dir, layout.prefix, ...layout.partitions.map(() => '*'), 'records.parquet');
      const hiveTypes = `{${layout.partitions.map(([name, type]) => `'${name}': '${type}'`).join(', ')}}`;
      await connection.run(`CREATE TABLE ${layout.table} AS SELECT ${partitionNames}, ${COLUMN_LIST} FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types = ${hiveTypes})`);
    }
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
    return {
      connection,
      loaded,
      close: () => {
        connection.closeSync();
        instance.closeSync();
      },
    };
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rows of a query as plain objects (dates as `YYYY-MM-DD`, big integers as numbers where exact). */
export async function queryRows(connection: DuckDBConnection, sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  const reader = await connection.runAndReadAll(sql);
  const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
  return { columns: reader.columnNames(), rows };
}
