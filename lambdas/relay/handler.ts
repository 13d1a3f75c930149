import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SPAM_VERDICT_ACTIONS } from './screening';
import type { SpamVerdictAction } from './screening';
import { RELAY_ENV, requireEnv, requireHomeRegion, requireJsonEnv, requirePositiveIntegerEnv } from '../env';
import { parseRateLimits } from './rate-limits';
import { createRelayHandler } from './app';
import { countSdkCalls, serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';

requireHomeRegion();

function requireSpamVerdictActionEnv(): SpamVerdictAction {
  const value = requireEnv(RELAY_ENV.spamVerdictAction);
  if (!(SPAM_VERDICT_ACTIONS as readonly string[]).includes(value)) {
    throw new Error(`environment variable ${RELAY_ENV.spamVerdictAction} must be one of ${SPAM_VERDICT_ACTIONS.join(', ')}`);
  }
  return value as SpamVerdictAction;
}

// Clients and configuration are created once per container and reused across invocations.
const clients = { dynamodb: new DynamoDBClient({}), kms: new KMSClient({}), s3: new S3Client({}), sesv2: new SESv2Client({}), sqs: new SQSClient({}) };

export const handler = createRelayHandler({
  metrics: serviceMetrics(SERVICES.relay),
  clients,
  awsCalls: countSdkCalls(Object.values(clients)),
  settings: {
    aliasesTable: requireEnv(RELAY_ENV.aliasesTable),
    storesTable: requireEnv(RELAY_ENV.storesTable),
    transmissionsTable: requireEnv(RELAY_ENV.transmissionsTable),
    dataKeyId: requireEnv(RELAY_ENV.addressKeyId),
    hmacKeyId: requireEnv(RELAY_ENV.hmacKeyId),
    relayDomain: requireEnv(RELAY_ENV.relayDomain),
    transmissionRetentionDays: requirePositiveIntegerEnv(RELAY_ENV.transmissionRetentionDays),
    contentRetentionDays: requirePositiveIntegerEnv(RELAY_ENV.contentRetentionDays),
    deadLetterQueueUrl: requireEnv(RELAY_ENV.deadLetterQueueUrl),
    relayQueueUrl: requireEnv(RELAY_ENV.relayQueueUrl),
    configurationSetName: requireEnv(RELAY_ENV.configurationSet),
    spamVerdictAction: requireSpamVerdictActionEnv(),
    bouncesPerSenderPerHour: requirePositiveIntegerEnv(RELAY_ENV.bouncesPerSenderPerHour),
    rateLimits: parseRateLimits(requireJsonEnv(RELAY_ENV.rateLimits), RELAY_ENV.rateLimits),
    menuUrl: requireEnv(RELAY_ENV.menuUrl),
  },
});
