import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { NO_METRICS } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { METRIC, SERVICES } from '../metric-names';
import { DynamoStoreDirectory } from '../aliases/aws/dynamo-store-directory';
import { DynamoSignalSources } from './aws/dynamo-signal-sources';
import { lastWholeDay, readSignals, runSignals } from './fraud-run';
import type { SignalsRun } from './fraud-run';
import type { StorePausing } from './ports';
import type { FraudThresholds, SignalsReport } from './signals';

export interface FraudSettings {
  readonly tables: { readonly stores: string; readonly transmissions: string; readonly access: string };
  readonly thresholds: FraudThresholds;
}

export interface FraudSignals {
  /** The day's signals, changing nothing. */
  signals(day: string): Promise<SignalsReport>;
  /** The day's signals, with every store past a pausing threshold paused. */
  run(day: string): Promise<SignalsRun>;
}

/** Used by the scheduled function and, in-process, by the CLI. */
export function createFraudSignals(deps: { readonly dynamodb: DynamoDBClient; readonly settings: FraudSettings; readonly logger?: Logger; readonly metrics?: FunctionMetrics }): FraudSignals {
  const { settings } = deps;
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.fraud });
  const metrics = deps.metrics ?? NO_METRICS;
  const sources = new DynamoSignalSources(deps.dynamodb, settings.tables);
  const stores = new DynamoStoreDirectory(deps.dynamodb, settings.tables.stores);
  const pausing: StorePausing = {
    isPaused: async (storeId) => (await stores.getStore(storeId))?.pausedAt !== undefined,
    pause: (storeId, reason) => stores.setPause(storeId, { at: new Date().toISOString(), reason }),
  };
  return {
    signals: (day) => readSignals(day, sources, settings.thresholds),
    async run(day) {
      const run = await runSignals(day, sources, pausing, settings.thresholds);
      // Store IDs, alias IDs, IPs and figures: never an address.
      for (const store of run.stores) logger.warn('store_flagged', { day, ...store });
      for (const alias of run.aliases) logger.warn('alias_flagged', { day, ...alias });
      for (const ip of run.ips) logger.warn('ip_flagged', { day, ...ip });
      for (const paused of run.paused) logger.warn('store_paused', { day, ...paused });
      metrics.add(METRIC.storesFlagged, run.stores.length);
      metrics.add(METRIC.storesPaused, run.paused.length);
      metrics.publish();
      logger.info('signals_run', { day, storesSeen: run.storesSeen, flaggedStores: run.stores.length, flaggedAliases: run.aliases.length, flaggedIps: run.ips.length, paused: run.paused.length });
      return run;
    },
  };
}

/** The scheduled run takes the last whole day unless the event names one (`{ "day": "YYYY-MM-DD" }`). */
export function dayOfEvent(event: unknown, now: Date): string {
  const day = typeof event === 'object' && event !== null && 'day' in event ? (event as { day: unknown }).day : undefined;
  if (day === undefined) return lastWholeDay(now);
  if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new Error('day must be YYYY-MM-DD');
  return day;
}
