import { randomUUID } from 'node:crypto';
import { japanDayBounds } from '../records/days';
import type { SignalsReport } from '../fraud/signals';
import { ANALYSIS_COLUMNS, DAY_PARTITION, INVESTIGATION_PARTITION } from './columns';
import { toParquet } from './parquet';
import type { AnalysisFiles, DayRecordSource, InvestigationKeys } from './ports';
import { Pseudonymiser } from './pseudonyms';
import { analysisRows } from './rows';

/**
 * One day's pseudonymised export: the day's records as rows, the day's signals joined, written as
 * one Parquet object per day with a manifest beside it. The daily export uses a key made for it
 * and forgotten; an investigation's export uses that investigation's key and records who asked.
 */

export type ExportKey =
  | { readonly kind: 'per_export' }
  | { readonly kind: 'investigation'; readonly investigationId: string; readonly requestedBy: string };

export interface ExportManifest {
  readonly exportId: string;
  readonly day: string;
  readonly createdAt: string;
  readonly rows: number;
  readonly bytes: number;
  /** Key of the Parquet object in the analysis bucket. */
  readonly object: string;
  readonly key: ExportKey['kind'];
  readonly investigationId?: string;
  /** Who asked for an investigation's export: a person or a case reference. */
  readonly requestedBy?: string;
  readonly columns: readonly string[];
}

export class ExportRequestError extends Error {
  override readonly name = 'ExportRequestError';
}

const INVESTIGATION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** An investigation ID is a partition value and part of an object key: lower-case letters, digits and hyphens. */
export function investigationKey(investigationId: string, requestedBy: string): ExportKey {
  if (!INVESTIGATION_ID.test(investigationId)) throw new ExportRequestError('an investigation ID is 2-63 lower-case letters, digits and hyphens, starting with a letter or digit');
  const who = requestedBy.trim();
  if (who.length === 0 || who.length > 200) throw new ExportRequestError('an investigation export names who asked for it (1-200 characters)');
  return { kind: 'investigation', investigationId, requestedBy: who };
}

/** Where a day's export lives: one object per day, replaced when the day is exported again. */
export function exportObjectKey(day: string, key: ExportKey): string {
  const dayPart = `${DAY_PARTITION}=${day}/records.parquet`;
  return key.kind === 'investigation' ? `investigations/${INVESTIGATION_PARTITION}=${key.investigationId}/${dayPart}` : `records/${dayPart}`;
}

export interface ExportPorts {
  readonly records: DayRecordSource;
  readonly signals: (day: string) => Promise<SignalsReport>;
  readonly files: AnalysisFiles;
  readonly investigationKeys: InvestigationKeys;
}

export async function exportDay(day: string, key: ExportKey, ports: ExportPorts, now: Date): Promise<ExportManifest> {
  const { from, to } = japanDayBounds(day);
  const [records, signals] = await Promise.all([ports.records.recordsReceived(from, to), ports.signals(day)]);
  const pseudonyms = key.kind === 'investigation' ? new Pseudonymiser(await ports.investigationKeys.keyFor(key.investigationId)) : Pseudonymiser.perExport();
  const exportId = randomUUID();
  const rows = analysisRows(records, signals, pseudonyms);
  const body = toParquet(rows, { exportId, key: key.kind });
  const object = exportObjectKey(day, key);
  await ports.files.put(object, body, 'application/vnd.apache.parquet');
  const manifest: ExportManifest = {
    exportId,
    day,
    createdAt: now.toISOString(),
    rows: rows.length,
    bytes: body.byteLength,
    object,
    key: key.kind,
    ...(key.kind === 'investigation' ? { investigationId: key.investigationId, requestedBy: key.requestedBy } : {}),
    columns: [DAY_PARTITION, ...ANALYSIS_COLUMNS.map((column) => column.name)],
  };
  await ports.files.put(`manifests/${DAY_PARTITION}=${day}/${exportId}.json`, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`), 'application/json');
  return manifest;
}
