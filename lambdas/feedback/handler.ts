import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FEEDBACK_ENV, requireEnv, requireHomeRegion, requirePositiveIntegerEnv } from '../env';
import { createFeedbackHandler } from './app';
import { serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';

requireHomeRegion();

// Clients and configuration are created once per container and reused across invocations.
export const handler = createFeedbackHandler({
  metrics: serviceMetrics(SERVICES.feedback),
  clients: { dynamodb: new DynamoDBClient({}) },
  settings: {
    aliasesTable: requireEnv(FEEDBACK_ENV.aliasesTable),
    transmissionsTable: requireEnv(FEEDBACK_ENV.transmissionsTable),
    relayDomain: requireEnv(FEEDBACK_ENV.relayDomain),
    hardBouncePauseDays: requirePositiveIntegerEnv(FEEDBACK_ENV.hardBouncePauseDays),
    transmissionRetentionDays: requirePositiveIntegerEnv(FEEDBACK_ENV.transmissionRetentionDays),
  },
});
