import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FRAUD_ENV, requireEnv, requireHomeRegion, requireJsonEnv } from '../env';
import { createFraudSignals, dayOfEvent } from './app';
import { serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';
import type { SignalsRun } from './fraud-run';
import { parseFraudThresholds } from './signals';

requireHomeRegion();

const fraud = createFraudSignals({
  dynamodb: new DynamoDBClient({}),
  metrics: serviceMetrics(SERVICES.fraud),
  settings: {
    tables: { stores: requireEnv(FRAUD_ENV.storesTable), transmissions: requireEnv(FRAUD_ENV.transmissionsTable), access: requireEnv(FRAUD_ENV.accessTable) },
    thresholds: parseFraudThresholds(requireJsonEnv(FRAUD_ENV.thresholds), FRAUD_ENV.thresholds),
  },
});

/** The daily schedule: the last whole day's signals, and pauses where a pausing threshold was crossed. */
export async function handler(event: unknown): Promise<SignalsRun> {
  return fraud.run(dayOfEvent(event, new Date()));
}
