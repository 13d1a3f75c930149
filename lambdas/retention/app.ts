import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { openIncidentRegister, recordIncident } from '../records/incidents';
import type { IncidentInput } from '../records/incidents';
import { NO_METRICS } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { DIMENSION, METRIC, SERVICES } from '../metric-names';
import { DynamoAliasStore } from '../aliases/aws/dynamo-alias-store';
import { DynamoExpiryIndex } from './aws/dynamo-expiry-index';
import { DynamoReceiptLog } from '../records/aws/dynamo-receipt-log';
import { KmsReceiptSigner } from '../records/aws/kms-receipt-signer';
import { SesSuppressionSweep } from './aws/ses-suppression-sweep';
import { DynamoRetentionCheckpoint } from './aws/dynamo-retention-checkpoint';
import { LambdaStoreErasure } from './aws/lambda-store-erasure';
import { S3RawMailArchive } from '../records/aws/s3-raw-mail-archive';
import type { RawMailArchive } from '../records/ports';
import type { Receipt } from '../records/receipts';
import { runRetention } from './retention-run';
import type { RetentionProgress } from './retention-run';
import type { RetentionPolicy } from '../records/retention-policy';
import type { ExpiringTable, ExpiryIndex, RetentionPorts, StoreErasure } from './ports';
import type { TableKey } from '../records/table-schema';


interface RetentionSettings {
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly inboundBucket: string;
  readonly policy: RetentionPolicy;
  /** The asymmetric key every receipt is signed with. */
  readonly receiptKeyId: string;
  /** The function that erases a terminated store once its support period ended (needs the `lambda` client). */
  readonly destructionFunctionName?: string;
  /**
   * Milliseconds kept back from the time budget to write the receipt and the checkpoint.
   * @default RETENTION_DEFAULTS.reserveMs
   */
  readonly reserveMs?: number;
}

interface RetentionClients {
  readonly dynamodb: DynamoDBClient;
  /** Signs the run's receipt. */
  readonly kms: KMSClient;
  readonly s3: S3Client;
  /** SES's suppression list, swept of entries past the address class. */
  readonly ses: SESv2Client;
  /** For asking the destruction function to erase stores; not needed when `storeErasure` is given. */
  readonly lambda?: LambdaClient;
}

export interface RetentionDependencies {
  readonly clients: RetentionClients;
  readonly settings: RetentionSettings;
  /** Defaults to invoking `settings.destructionFunctionName` asynchronously with the `lambda` client. */
  readonly storeErasure?: StoreErasure;
  /** Defaults to the inbound bucket through the `s3` client. */
  readonly rawMail?: Pick<RawMailArchive, 'sweepOlderThan'>;
  /** What `now` is when a request names none. */
  readonly clock?: () => Date;
  readonly logger?: Logger;
  readonly metrics?: FunctionMetrics;
}

interface RetentionRequest {
  /** The instant periods are measured against. @default the dependencies' clock */
  readonly now?: Date;
  /** Named on the receipt: `schedule`, `cli`, … */
  readonly requestedBy: string;
  /** Milliseconds the run has left (Lambda's remaining time); without it the run goes to the end. */
  readonly remainingMs?: () => number;
}

export type RetentionRun = (request: RetentionRequest) => Promise<Receipt>;

/** The incident register's writer: the retention function holds the receipt key, so it records incidents too. */
export function createIncidentRegister(deps: Pick<RetentionDependencies, 'clients' | 'settings' | 'clock' | 'logger'>): (incident: IncidentInput, requestedBy: string) => Promise<Receipt> {
  const log = signedReceiptLog(deps);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.retention });
  const clock = deps.clock ?? (() => new Date());
  return async (incident, requestedBy) => {
    const receipt = await recordIncident(log, incident, { policy: deps.settings.policy, requestedBy, now: clock() });
    // The receipt ID and flags only: the title and description stay in the register.
    logger.warn('incident_recorded', { receiptId: receipt.receiptId, breach: incident.breach, classes: incident.classes, affected: incident.affected });
    return receipt;
  };
}

function defaultStoreErasure(deps: RetentionDependencies): StoreErasure {
  const { lambda } = deps.clients;
  const { destructionFunctionName } = deps.settings;
  if (!lambda || !destructionFunctionName) {
    throw new Error('a retention run needs a store erasure: a lambda client and destructionFunctionName, or storeErasure');
  }
  return new LambdaStoreErasure(lambda, destructionFunctionName);
}

/** The receipts table, with the receipt key to sign what is recorded. */
function signedReceiptLog({ clients, settings }: Pick<RetentionDependencies, 'clients' | 'settings'>): DynamoReceiptLog {
  return new DynamoReceiptLog(clients.dynamodb, settings.tables.receipts, new KmsReceiptSigner(clients.kms, settings.receiptKeyId));
}

/** Builds the adapters over the given clients; used by the Lambda handler, the CLI and the tests alike. */
function createRetentionPorts(deps: RetentionDependencies): RetentionPorts {
  const { clients, settings } = deps;
  const expiryIndex = (table: ExpiringTable): ExpiryIndex => new DynamoExpiryIndex(clients.dynamodb, settings.tables[table], table);
  return {
    expiryIndexes: {
      aliases: expiryIndex('aliases'),
      stores: expiryIndex('stores'),
      access: expiryIndex('access'),
      transmissions: expiryIndex('transmissions'),
      receipts: expiryIndex('receipts'),
    },
    rawMail: deps.rawMail ?? new S3RawMailArchive(clients.s3, settings.inboundBucket),
    suppressions: new SesSuppressionSweep(clients.ses),
    receipts: signedReceiptLog(deps),
    checkpoints: new DynamoRetentionCheckpoint(clients.dynamodb, settings.tables.receipts),
    aliasRetirer: new DynamoAliasStore(clients.dynamodb, settings.tables.aliases),
    storeErasure: deps.storeErasure ?? defaultStoreErasure(deps),
  };
}

/** Counts and stage names only: the run never sees an address, and logs no alias or store. */
function logProgress(logger: Logger, progress: RetentionProgress): void {
  logger.info(progress.stopped ? 'retention_stopped' : 'retention_stage_done', { ...progress });
}

/** What the run removed, by class, and whether it finished: the alarm on incomplete runs reads it. */
function countReceipt(metrics: FunctionMetrics, receipt: Receipt): void {
  for (const [dataClass, count] of Object.entries(receipt.counts)) metrics.countBy(METRIC.itemsRemoved, DIMENSION.dataClass, dataClass, count ?? 0);
  metrics.add(METRIC.retentionComplete, receipt.complete ? 1 : 0);
  metrics.publish();
}

function logReceipt(logger: Logger, receipt: Receipt): void {
  const { receiptId, policyVersion, requestedBy, startedAt, finishedAt, counts, aliasesRetired, complete } = receipt;
  const attributes = { receiptId, policyVersion, requestedBy, startedAt, finishedAt, counts, aliasesRetired, complete };
  if (complete) logger.info('retention_finished', attributes);
  else logger.warn('retention_unfinished', attributes);
}

/**
 * The retention run over DynamoDB, S3 and the destruction function. A run that stops for time
 * returns a receipt with `complete: false`; the next run, scheduled or not, picks up where it stopped.
 */
export function createRetentionRun(deps: RetentionDependencies): RetentionRun {
  const ports = createRetentionPorts(deps);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.retention });
  const metrics = deps.metrics ?? NO_METRICS;
  const clock = deps.clock ?? (() => new Date());
  const { policy, reserveMs } = deps.settings;

  const register = signedReceiptLog(deps);
  return async (request) => {
    // The incident register opens with the first run, so its keeping can be shown from then on.
    const opened = await openIncidentRegister(register, { policy, requestedBy: request.requestedBy, now: request.now ?? clock() });
    if (opened) logger.info('incident_register_opened', { receiptId: opened.receiptId });
    const receipt = await runRetention(ports, {
      now: request.now ?? clock(),
      policy,
      requestedBy: request.requestedBy,
      ...(request.remainingMs === undefined ? {} : { remainingMs: request.remainingMs }),
      ...(reserveMs === undefined ? {} : { reserveMs }),
      onProgress: (progress) => logProgress(logger, progress),
    }).catch((error: unknown) => {
      // The name only: an SDK message can quote a key, and keys include alias names.
      logger.error('retention_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
      throw error;
    });
    logReceipt(logger, receipt);
    countReceipt(metrics, receipt);
    return receipt;
  };
}
