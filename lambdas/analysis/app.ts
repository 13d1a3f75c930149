import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { NO_METRICS } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { METRIC, SERVICES } from '../metric-names';
import { DynamoSignalSources } from '../fraud/aws/dynamo-signal-sources';
import { readSignals } from '../fraud/fraud-run';
import type { FraudThresholds } from '../fraud/signals';
import { DynamoDayRecords } from './aws/dynamo-day-records';
import { KmsInvestigationKeys } from './aws/kms-investigation-keys';
import { S3AnalysisFiles } from './aws/s3-analysis-files';
import { exportDay, investigationKey } from './export-run';
import type { ExportKey, ExportManifest } from './export-run';

export interface AnalysisSettings {
  readonly tables: { readonly stores: string; readonly transmissions: string; readonly access: string };
  readonly transmissionRetentionDays: number;
  readonly thresholds: FraudThresholds;
  readonly bucket: string;
  readonly pseudonymKeyId: string;
}

export interface AnalysisExport {
  exportDay(day: string, key: ExportKey): Promise<ExportManifest>;
}

/** Used by the scheduled function and, in-process, by the CLI. */
export function createAnalysisExport(deps: {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly kms: KMSClient;
  readonly settings: AnalysisSettings;
  readonly logger?: Logger;
  readonly metrics?: FunctionMetrics;
  readonly now?: () => Date;
}): AnalysisExport {
  const { settings } = deps;
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.analysis });
  const metrics = deps.metrics ?? NO_METRICS;
  const sources = new DynamoSignalSources(deps.dynamodb, settings.tables);
  const ports = {
    records: new DynamoDayRecords(deps.dynamodb, settings.tables.transmissions, settings.transmissionRetentionDays),
    signals: (day: string) => readSignals(day, sources, settings.thresholds),
    files: new S3AnalysisFiles(deps.s3, settings.bucket),
    investigationKeys: new KmsInvestigationKeys(deps.kms, settings.pseudonymKeyId),
  };
  return {
    async exportDay(day, key) {
      const manifest = await exportDay(day, key, ports, (deps.now ?? (() => new Date()))());
      // Who asked for an investigation's export is on record here and in the manifest beside it.
      logger.info('analysis_exported', { ...manifest, columns: undefined });
      metrics.add(METRIC.rowsExported, manifest.rows);
      metrics.publish();
      return manifest;
    },
  };
}

/**
 * What a run exports: the day the event names (`{ "day": "YYYY-MM-DD" }`, else the last whole
 * day), under a key of its own unless it names an investigation (`"investigation": { "id",
 * "requestedBy" }`).
 */
export function keyOfEvent(event: unknown): ExportKey {
  const investigation = typeof event === 'object' && event !== null && 'investigation' in event ? (event as { investigation: unknown }).investigation : undefined;
  if (investigation === undefined) return { kind: 'per_export' };
  const { id, requestedBy } = (investigation ?? {}) as { id?: unknown; requestedBy?: unknown };
  return investigationKey(typeof id === 'string' ? id : '', typeof requestedBy === 'string' ? requestedBy : '');
}
