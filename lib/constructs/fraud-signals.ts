import { fileURLToPath } from 'node:url';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FRAUD_ENV } from '../../lambdas/env';
import { RATE_COUNTER_PREFIX, STORE_KEY_ATTRIBUTES, STORE_PAUSE_ATTRIBUTES } from '../../lambdas/records/table-schema';
import { storeCounterSubject } from '../../lambdas/relay/rate-limits';
import type { RelayConfig } from '../config';
import { DATA_LIFECYCLE_FUNCTION_DEFAULTS, queueRetention, SIGNALS_RUN_TIME } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import type { DataKeys } from './data-keys';
import type { DataTables, IndexOf } from './data-tables';
import { createFailureQueue } from './encrypted-messaging';
import { scheduledRun } from './scheduled-run';

export interface FraudSignalsProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  /** @default lambdas/fraud/handler.ts */
  readonly entry?: string;
}

/** The stores' rate-limit counter items (`rate#store#<store ID>#<day>`), whose over-limit counts the signals read. */
export const STORE_RATE_COUNTERS = `${RATE_COUNTER_PREFIX}${storeCounterSubject('')}*`;

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/fraud/handler.ts', import.meta.url));

/**
 * The daily abuse signals: reads the day before's records store by store and pauses a store past a
 * pausing threshold. It reads stores, their records and access log, and writes nothing but a
 * store item's pause; it never sees an address (no address key).
 */
export class FraudSignals extends Construct {
  readonly anshinFunction: AnshinFunction;
  readonly function: NodejsFunction;
  readonly failures: Queue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: FraudSignalsProps) {
    super(scope, id);
    const { config, keys, tables } = props;
    this.anshinFunction = new AnshinFunction(this, 'Signals', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: "Reads the day's abuse signals per store, alias and IP, and pauses stores past a pausing threshold",
      serviceName: 'anshin-fraud',
      logRetentionDays: config.retention.logDays,
      logKey: keys.dataKey,
      memorySize: DATA_LIFECYCLE_FUNCTION_DEFAULTS.memorySize,
      timeout: DATA_LIFECYCLE_FUNCTION_DEFAULTS.timeout,
    });
    this.function = this.anshinFunction.function;
    this.anshinFunction
      // The store items, by a scan of the small stores table; a pause is an update of a store item.
      .bindTable(FRAUD_ENV.storesTable, tables.stores, { actions: ['dynamodb:Scan', 'dynamodb:GetItem'] })
      .bindTable(FRAUD_ENV.transmissionsTable, tables.transmissions, { actions: [], indexes: ['byStore'] satisfies IndexOf<'transmissions'>[] })
      .readOnlyUnder(tables.transmissions, ['dynamodb:GetItem'], [STORE_RATE_COUNTERS])
      .bindTable(FRAUD_ENV.accessTable, tables.access, { actions: ['dynamodb:Query'] })
      .useKeyThrough(keys.dataKey, ['kms:Decrypt'], ['dynamodb'])
      .setEnvironment(FRAUD_ENV.thresholds, JSON.stringify(config.fraud));

    // A pause, and nothing else of a store.
    this.anshinFunction.updateOnly(tables.stores, STORE_KEY_ATTRIBUTES, STORE_PAUSE_ATTRIBUTES);

    this.failures = createFailureQueue(this, 'Failures', {
      key: keys.dataKey,
      retentionPeriod: queueRetention(config.retention.classes.content.retentionDays),
      holds: 'scheduled signal runs that could not be started and runs that kept failing',
    });
    this.anshinFunction.sendAsyncFailuresTo(this.failures);
    this.schedule = scheduledRun(this, {
      target: this.function,
      what: 'anshin-fraud',
      description: `Abuse signals of the day before, daily at ${SIGNALS_RUN_TIME.hour.padStart(2, '0')}:${SIGNALS_RUN_TIME.minute} Asia/Tokyo`,
      cron: { ...SIGNALS_RUN_TIME, day: '*' },
      input: {},
      failures: this.failures,
      queueKey: keys.dataKey,
    }).schedule;
  }
}
