import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Receipt } from '../records/receipts';
import { DATA_ENV, dataSettingsFromEnv, requireEnv, requireHomeRegion } from '../env';
import { createDestructionHandler } from './app';
import { serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';

requireHomeRegion();

// Clients and configuration are created once per container and reused across invocations.
const handle = createDestructionHandler({
  metrics: serviceMetrics(SERVICES.destruction),
  clients: { dynamodb: new DynamoDBClient({}), kms: new KMSClient({}), s3: new S3Client({}), cognito: new CognitoIdentityProviderClient({}), ses: new SESv2Client({}) },
  settings: {
    ...dataSettingsFromEnv(),
    hmacKeyId: requireEnv(DATA_ENV.hmacKeyId),
    addressKeyId: requireEnv(DATA_ENV.addressKeyId),
    userPoolId: requireEnv(DATA_ENV.userPoolId),
    receiptKeyId: requireEnv(DATA_ENV.receiptKeyId),
  },
});

/** Direct invocations (CLI, retention run) and the marketplace's EventBridge events; returns the receipt written. */
export async function handler(event: unknown): Promise<Receipt> {
  return handle(event);
}
