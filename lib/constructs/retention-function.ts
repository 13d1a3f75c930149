import { fileURLToPath } from 'node:url';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DATA_ENV } from '../../lambdas/env';
import { EXPIRY_INDEX, RETIRED_ALIAS_PREFIX } from '../../lambdas/records/table-schema';
import { ConfigError, MAX_RUN_INTERVAL_DAYS } from '../config';
import type { RelayConfig } from '../config';
import { DATA_LIFECYCLE_FUNCTION_DEFAULTS, RETENTION_RUN_TIME, queueRetention } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import type { DataKeys } from './data-keys';
import type { DataTables } from './data-tables';
import type { DestructionFunction } from './destruction-function';
import { createFailureQueue } from './encrypted-messaging';
import { allowRawMailErasure } from './raw-mail-erasure';
import { scheduledRun } from './scheduled-run';

export interface RetentionFunctionProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  /** The bucket holding raw inbound mail below `inbound/`. */
  readonly inboundBucket: Bucket;
  /** Erases a terminated store once its support period ends; the only function the run may invoke. */
  readonly destruction: DestructionFunction;
  /**
   * Handler module exporting `handler`.
   * @default lambdas/retention/handler.ts
   */
  readonly entry?: string;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/retention/handler.ts', import.meta.url));

/** What the schedule hands the function, so its receipt says who asked for the run. */
export const SCHEDULED_RUN_INPUT = { requestedBy: 'schedule' } as const;

/**
 * Day-of-month field of the run's cron expression. Every `n`th day of the month never leaves more
 * than `n` days between two runs (a month's last run is at most `n` days before the next month's
 * first), which is the lag the retention promise counts with.
 */
export function runDays(intervalDays: number): string {
  if (!Number.isInteger(intervalDays) || intervalDays < 1 || intervalDays > MAX_RUN_INTERVAL_DAYS) {
    throw new ConfigError(`the retention run interval must be 1 to ${MAX_RUN_INTERVAL_DAYS} days, got ${intervalDays}`);
  }
  return intervalDays === 1 ? '*' : `*/${intervalDays}`;
}

/**
 * The retention run: on an EventBridge Scheduler schedule (Asia/Tokyo, every `runIntervalDays`) it
 * deletes, class by class, what the retention policy says is due: raw mail versions, then the items
 * each table's expiry index lists, including those DynamoDB TTL has not removed yet. It keeps a
 * retired alias's hash so the name is never issued again, asks the destruction function to erase
 * stores whose support period ended, and records a receipt. A run that runs out of time leaves a
 * checkpoint in the receipts table and the next run resumes there.
 *
 * It finds items only through the expiry indexes, which project keys alone, and reads no address.
 */
export class RetentionFunction extends Construct {
  readonly anshinFunction: AnshinFunction;
  readonly function: NodejsFunction;
  /** Scheduled runs that could not be started and runs that kept failing. */
  readonly failures: Queue;
  readonly schedule: Schedule;
  /** The role EventBridge Scheduler starts the run with. */
  readonly scheduleRole: Role;

  constructor(scope: Construct, id: string, props: RetentionFunctionProps) {
    super(scope, id);
    const { config, keys, tables } = props;
    const policy = config.retention;

    this.anshinFunction = new AnshinFunction(this, 'Retention', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'Deletes what the retention policy says is due, class by class, and records a receipt',
      serviceName: 'anshin-retention',
      logRetentionDays: policy.logDays,
      logKey: keys.dataKey,
      memorySize: DATA_LIFECYCLE_FUNCTION_DEFAULTS.memorySize,
      timeout: DATA_LIFECYCLE_FUNCTION_DEFAULTS.timeout,
    });
    this.function = this.anshinFunction.function;

    const dueItems = { indexes: [EXPIRY_INDEX.name] };
    this.anshinFunction
      .bindTable(DATA_ENV.aliasesTable, tables.aliases, { actions: ['dynamodb:DeleteItem'], ...dueItems })
      .bindTable(DATA_ENV.storesTable, tables.stores, { actions: ['dynamodb:DeleteItem'], ...dueItems })
      .bindTable(DATA_ENV.transmissionsTable, tables.transmissions, { actions: ['dynamodb:DeleteItem'], ...dueItems })
      .bindTable(DATA_ENV.accessTable, tables.access, { actions: ['dynamodb:DeleteItem'], ...dueItems })
      // Old receipts expire like every other class: the run alone may delete one, once it is due.
      .bindTable(DATA_ENV.receiptsTable, tables.receipts, { actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem'], ...dueItems })
      // Its own receipts and checkpoint, and the incident register (it holds the receipt key), and nothing else.
      .writeOnlyUnder(tables.receipts, ['dynamodb:PutItem'], ['retention', 'checkpoint', 'chain#retention', 'incident', 'chain#incident'])
      .bindKey(DATA_ENV.receiptKeyId, keys.receiptKey, ['kms:Sign'])
      // The item that keeps a deleted customer alias's name from being issued again, and no other:
      // the run cannot create or overwrite an alias.
      .writeOnlyUnder(tables.aliases, ['dynamodb:PutItem'], [`${RETIRED_ALIAS_PREFIX}*`])
      .useKeyThrough(keys.dataKey, ['kms:Decrypt'], ['dynamodb'])
      .setEnvironment(DATA_ENV.inboundBucket, props.inboundBucket.bucketName)
      .setEnvironment(DATA_ENV.retentionPolicy, JSON.stringify(policy))
      .setEnvironment(DATA_ENV.destructionFunctionName, props.destruction.function.functionName);
    allowRawMailErasure(this.anshinFunction, props.inboundBucket);
    // Entries of SES's suppression list past the address class; the list is one per account and
    // region, so these actions take no resource, and the boundary keeps them in ap-northeast-1.
    this.anshinFunction.allowUnscoped(['ses:ListSuppressedDestinations', 'ses:DeleteSuppressedDestination'], "SES's suppression list (ListSuppressedDestinations, DeleteSuppressedDestination)");
    // The unqualified function only: no version or alias of it, and no other function.
    this.anshinFunction.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.destruction.function.functionArn] }),
    );

    // Failure records hold the run's request (who asked, when), no personal data; the queue is
    // kept like every other all the same.
    this.failures = createFailureQueue(this, 'Failures', {
      key: keys.dataKey,
      retentionPeriod: queueRetention(policy.classes.content.retentionDays),
      holds: 'scheduled retention runs that could not be started and runs that kept failing',
    });
    this.anshinFunction.sendAsyncFailuresTo(this.failures);

    const scheduled = scheduledRun(this, {
      target: this.function,
      what: 'anshin-retention',
      description: `Retention run every ${policy.runIntervalDays === 1 ? 'day' : `${policy.runIntervalDays} days`} at ${RETENTION_RUN_TIME.hour.padStart(2, '0')}:${RETENTION_RUN_TIME.minute} Asia/Tokyo`,
      cron: { ...RETENTION_RUN_TIME, day: runDays(policy.runIntervalDays) },
      input: SCHEDULED_RUN_INPUT,
      failures: this.failures,
      queueKey: keys.dataKey,
    });
    this.schedule = scheduled.schedule;
    this.scheduleRole = scheduled.role;
  }
}
