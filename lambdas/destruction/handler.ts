import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { Receipt } from '../core/receipts';
import { parseRetentionPolicy } from '../core/retention-policy';
import { requireEnv } from '../shared/env';
import { DATA_ENV } from '../shared/retention-env';
import { createDestructionHandler } from './app';

// Clients and configuration are created once per container and reused across invocations.
const handle = createDestructionHandler({
  clients: { dynamodb: new DynamoDBClient({}), kms: new KMSClient({}), s3: new S3Client({}) },
  settings: {
    tables: {
      aliases: requireEnv(DATA_ENV.aliasesTable),
      stores: requireEnv(DATA_ENV.storesTable),
      transmissions: requireEnv(DATA_ENV.transmissionsTable),
      access: requireEnv(DATA_ENV.accessTable),
      receipts: requireEnv(DATA_ENV.receiptsTable),
    },
    inboundBucket: requireEnv(DATA_ENV.inboundBucket),
    hmacKeyId: requireEnv(DATA_ENV.hmacKeyId),
    policy: parseRetentionPolicy(requireEnv(DATA_ENV.retentionPolicy)),
  },
});

/** Direct invocations (CLI, retention run) and the marketplace's EventBridge events; returns the receipt written. */
export async function handler(event: unknown): Promise<Receipt> {
  return handle(event);
}
