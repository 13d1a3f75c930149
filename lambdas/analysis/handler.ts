import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { ANALYSIS_ENV, requireEnv, requireHomeRegion, requireJsonEnv, requirePositiveIntegerEnv } from '../env';
import { dayOfEvent } from '../fraud/app';
import { parseFraudThresholds } from '../fraud/signals';
import { createAnalysisExport, keyOfEvent } from './app';
import { serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';
import type { ExportManifest } from './export-run';

requireHomeRegion();

const analysis = createAnalysisExport({
  dynamodb: new DynamoDBClient({}),
  metrics: serviceMetrics(SERVICES.analysis),
  s3: new S3Client({}),
  kms: new KMSClient({}),
  settings: {
    tables: { stores: requireEnv(ANALYSIS_ENV.storesTable), transmissions: requireEnv(ANALYSIS_ENV.transmissionsTable), access: requireEnv(ANALYSIS_ENV.accessTable) },
    transmissionRetentionDays: requirePositiveIntegerEnv(ANALYSIS_ENV.transmissionRetentionDays),
    thresholds: parseFraudThresholds(requireJsonEnv(ANALYSIS_ENV.thresholds), ANALYSIS_ENV.thresholds),
    bucket: requireEnv(ANALYSIS_ENV.analysisBucket),
    pseudonymKeyId: requireEnv(ANALYSIS_ENV.pseudonymKeyId),
  },
});

/** The daily schedule: the last whole day, under a key made for this export. */
export async function handler(event: unknown): Promise<ExportManifest> {
  return analysis.exportDay(dayOfEvent(event, new Date()), keyOfEvent(event));
}
