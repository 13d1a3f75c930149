import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { Receipt } from '../records/receipts';
import { isIncidentEvent, parseIncidentEvent, parseRetentionEvent } from './request';
import type { RetentionEvent } from './request';
import { DATA_ENV, dataSettingsFromEnv, requireEnv, requireHomeRegion } from '../env';
import { createIncidentRegister, createRetentionRun } from './app';
import { serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';

requireHomeRegion();

// Clients and configuration are created once per container and reused across invocations.
const deps = {
  metrics: serviceMetrics(SERVICES.retention),
  clients: { dynamodb: new DynamoDBClient({}), kms: new KMSClient({}), s3: new S3Client({}), ses: new SESv2Client({}), lambda: new LambdaClient({}) },
  settings: {
    ...dataSettingsFromEnv(),
    receiptKeyId: requireEnv(DATA_ENV.receiptKeyId),
    destructionFunctionName: requireEnv(DATA_ENV.destructionFunctionName),
  },
};
const run = createRetentionRun(deps);
const recordIncident = createIncidentRegister(deps);

/**
 * The schedule sends `{ "requestedBy": "schedule" }`; an operator may add `now` to measure against
 * an earlier instant, never a later one than this function's clock. `{ "action": "record_incident" }`
 * adds an entry to the incident register instead. Returns the receipt written.
 */
export async function handler(event: RetentionEvent | null | undefined, context: Context): Promise<Receipt> {
  if (isIncidentEvent(event)) {
    const { incident, requestedBy } = parseIncidentEvent(event, new Date());
    return recordIncident(incident, requestedBy);
  }
  const { now, requestedBy } = parseRetentionEvent(event, new Date());
  return run({ now, requestedBy, remainingMs: () => context.getRemainingTimeInMillis() });
}
