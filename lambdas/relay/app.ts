import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, NO_METRICS } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { DIMENSION, METRIC, SERVICES } from '../metric-names';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CachingKeyService } from '../keys/caching-key-service';
import { DynamoAliasStore } from '../aliases/aws/dynamo-alias-store';
import { DynamoBounceBudget } from './aws/dynamo-bounce-budget';
import { DynamoStoreDirectory } from '../aliases/aws/dynamo-store-directory';
import { DynamoRelayedMessages, DynamoTransmissionLog } from './aws/dynamo-transmission-log';
import { KmsKeyService } from '../keys/aws/kms-key-service';
import { MailauthDkimVerifier } from './aws/mailauth-dkim-verifier';
import type { DnsResolver } from './aws/mailauth-dkim-verifier';
import { S3RawMailSource } from './aws/s3-raw-mail-source';
import { SesMailer } from './aws/ses-mailer';
import { SqsDeadLetterQueue } from './aws/sqs-dead-letter-queue';
import { SqsRetryScheduler } from './aws/sqs-retry-scheduler';
import { DynamoRateLimiter } from './aws/dynamo-rate-limiter';
import type { SpamVerdictAction } from './screening';
import type { DeadLetterQueue, HoldQueue, Mailer, RetryScheduler } from './ports';
import { SqsHoldQueue } from './aws/sqs-hold-queue';
import type { RateLimits } from './rate-limits';
import { IncompleteDeliveryError, relayInboundMail, RetryableDeliveryError } from './relay-inbound-mail';
import type { DeliveryResult, RelayAttempt, RelayOptions, RelayPorts } from './relay-inbound-mail';
import { settleFailedRecord } from './failure-handling';
import { outlivedContentRetention, REPLAY_ATTRIBUTE } from './replay';
import { parseSesNotification } from './ses-notification';

export interface RelaySettings {
  readonly aliasesTable: string;
  readonly storesTable: string;
  readonly transmissionsTable: string;
  readonly dataKeyId: string;
  readonly hmacKeyId: string;
  readonly relayDomain: string;
  readonly transmissionRetentionDays: number;
  /**
   * Days raw mail is kept (the content class): a notification older than this, however often it was
   * redelivered or replayed, is dropped unrelayed instead of living on in a queue.
   */
  readonly contentRetentionDays?: number;
  /**
   * Largest rewritten message the relay sends; larger ones are refused as `message_too_large`.
   * @default MAX_OUTBOUND_BYTES, SES v2's 40 MB
   */
  readonly maxOutboundBytes?: number;
  /** SES configuration set to send through; without one SES publishes no bounce or complaint events. */
  readonly configurationSetName?: string;
  /** Queue permanently failed notifications are sent to at once, with their reason (needs the `sqs` client). */
  readonly deadLetterQueueUrl?: string;
  /** The queue the relay reads, for backoff on transient failures (needs the `sqs` client). */
  readonly relayQueueUrl?: string;
  /**
   * Seconds a claimed delivery stays reserved for the invocation that claimed it.
   * @default two minutes (relayInboundMail's default)
   */
  readonly leaseSeconds?: number;
  /**
   * What a failed SES spam verdict does: refused as `spam_detected`, or as `spam_quarantined` for an
   * operator to inspect in S3.
   * @default 'drop'
   */
  readonly spamVerdictAction?: SpamVerdictAction;
  /**
   * DSNs one envelope sender may receive per clock hour.
   * @default DEFAULT_BOUNCES_PER_SENDER_PER_HOUR
   */
  readonly bouncesPerSenderPerHour?: number;
  /** @default DEFAULT_RATE_LIMITS */
  readonly rateLimits?: RateLimits;
  /** The merchant menu's URL: store mail to a customer carries a one-click List-Unsubscribe to it. */
  readonly menuUrl?: string;
  /**
   * A record is started only while the invocation has at least this long left; later ones are left
   * to the queue, so no delivery is cut off by the function's timeout halfway.
   * @default MIN_REMAINING_MILLIS
   */
  readonly minRemainingMillis?: number;
}

/**
 * Time a record needs at most: reading and rewriting a 40 MB message and handing it to SES takes a
 * few seconds (bench/), the look-ups and records well under one; twice that leaves room for retries.
 */
export const MIN_REMAINING_MILLIS = 20_000;

export interface RelayClients {
  readonly dynamodb: DynamoDBClient;
  readonly kms: KMSClient;
  readonly s3: S3Client;
  readonly sesv2: SESv2Client;
  /** For the dead-letter queue and retry backoff; the local stack has none. */
  readonly sqs?: SQSClient;
}

export interface RelayDependencies {
  readonly clients: RelayClients;
  readonly settings: RelaySettings;
  /** Defaults to sending through SES v2 with the given client. */
  readonly mailer?: Mailer;
  /** Defaults to the SQS queue at `settings.deadLetterQueueUrl`, if set; without either, permanent failures are retried until SQS redrives them. */
  readonly deadLetters?: DeadLetterQueue;
  /** Defaults to changing visibility on `settings.relayQueueUrl`, if set; without either, no backoff. */
  readonly retries?: RetryScheduler;
  /**
   * Where held mail waits: defaults to delayed copies on `settings.relayQueueUrl`, if set; without
   * either, a held notification is retried like a failed one.
   */
  readonly holds?: HoldQueue;
  readonly clock?: () => Date;
  readonly logger?: Logger;
  /** Defaults to namespace `Anshin`, service `anshin-relay`. */
  readonly metrics?: FunctionMetrics;
  /** The running total of AWS calls the relay's own clients made; with it, calls per message are a metric. */
  readonly awsCalls?: () => number;
  /** DNS for DKIM keys; defaults to the system resolver. The local stack and tests give a local map. */
  readonly dnsResolver?: DnsResolver;
}

export type RelayHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** Builds the adapters over the given clients; used by the Lambda handler and the local stack alike. */
export function createRelayPorts(deps: RelayDependencies): RelayPorts {
  const { clients, settings } = deps;
  return {
    aliases: new DynamoAliasStore(clients.dynamodb, settings.aliasesTable),
    stores: new DynamoStoreDirectory(clients.dynamodb, settings.storesTable),
    transmissions: new DynamoTransmissionLog(clients.dynamodb, settings.transmissionsTable),
    relayedMessages: new DynamoRelayedMessages(clients.dynamodb, settings.transmissionsTable),
    keys: new CachingKeyService(new KmsKeyService(clients.kms, { dataKeyId: settings.dataKeyId, hmacKeyId: settings.hmacKeyId })),
    rawMail: new S3RawMailSource(clients.s3),
    mailer: deps.mailer ?? new SesMailer(clients.sesv2, settings.configurationSetName),
    dkim: new MailauthDkimVerifier(deps.dnsResolver),
    bounceBudget: new DynamoBounceBudget(clients.dynamodb, settings.transmissionsTable),
    rateLimiter: new DynamoRateLimiter(clients.dynamodb, settings.transmissionsTable),
  };
}

/** The queues a record that is not finished goes back to: dead letters, backoff, held mail. */
function queuePorts(deps: RelayDependencies): { deadLetters?: DeadLetterQueue; retries?: RetryScheduler; holds?: HoldQueue } {
  const { sqs } = deps.clients;
  const { deadLetterQueueUrl, relayQueueUrl } = deps.settings;
  const deadLetters = deps.deadLetters ?? (sqs && deadLetterQueueUrl ? new SqsDeadLetterQueue(sqs, deadLetterQueueUrl) : undefined);
  const retries = deps.retries ?? (sqs && relayQueueUrl ? new SqsRetryScheduler(sqs, relayQueueUrl) : undefined);
  const holds = deps.holds ?? (sqs && relayQueueUrl ? new SqsHoldQueue(sqs, relayQueueUrl) : undefined);
  return { ...(deadLetters ? { deadLetters } : {}), ...(retries ? { retries } : {}), ...(holds ? { holds } : {}) };
}

/** Log attributes of a delivery: alias IDs, store IDs and reasons only, never an address or a subject. */
function logDelivery(logger: Logger, sesMessageId: string, result: DeliveryResult): void {
  if (result.status === 'relayed') logger.info('mail_relayed', { sesMessageId, ...result });
  else if (result.status === 'refused') logger.warn('mail_refused', { sesMessageId, ...result });
  else if (result.status === 'held') logger.info('delivery_held', { sesMessageId, ...result });
  else if (result.status === 'dead_lettered') logger.warn(result.earlier ? 'dead_lettered_delivery_skipped' : 'delivery_dead_lettered', { sesMessageId, ...result });
  else logger.info('duplicate_delivery_skipped', { sesMessageId, transmissionId: result.transmissionId });
}

/** Counts of a delivery: outcome, refusal reason and size; never who it was for. */
function countDelivery(metrics: FunctionMetrics, result: DeliveryResult): void {
  if (result.status === 'relayed') {
    metrics.add(METRIC.relayed, 1);
    metrics.add(METRIC.messageSize, result.sizeBytes, MetricUnit.Bytes);
  } else if (result.status === 'refused') {
    metrics.countBy(METRIC.refused, DIMENSION.reason, result.reason);
    if (result.bounced) metrics.add(METRIC.bounced, 1);
  } else if (result.status === 'held') metrics.add(METRIC.held, 1);
  else if (result.status === 'dead_lettered') {
    if (!result.earlier) metrics.add(METRIC.deadLettered, 1);
  } else metrics.add(METRIC.duplicate, 1);
}

/**
 * The relay as an SQS batch handler: each record is one SES receipt notification. Records fail
 * individually (partial batch response), so one bad message never holds back the others.
 */
export function createRelayHandler(deps: RelayDependencies): RelayHandler {
  const ports = createRelayPorts(deps);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.relay });
  const metrics = deps.metrics ?? NO_METRICS;
  const clock = deps.clock ?? (() => new Date());
  const options: RelayOptions = {
    relayDomain: deps.settings.relayDomain,
    transmissionRetentionDays: deps.settings.transmissionRetentionDays,
    clock,
    ...(deps.settings.maxOutboundBytes === undefined ? {} : { maxOutboundBytes: deps.settings.maxOutboundBytes }),
    ...(deps.settings.leaseSeconds === undefined ? {} : { leaseSeconds: deps.settings.leaseSeconds }),
    ...(deps.settings.spamVerdictAction === undefined ? {} : { spamVerdictAction: deps.settings.spamVerdictAction }),
    ...(deps.settings.bouncesPerSenderPerHour === undefined ? {} : { bouncesPerSenderPerHour: deps.settings.bouncesPerSenderPerHour }),
    ...(deps.settings.rateLimits === undefined ? {} : { rateLimits: deps.settings.rateLimits }),
    ...(deps.settings.menuUrl === undefined ? {} : { menuUrl: deps.settings.menuUrl }),
  };
  const { holds, ...failurePorts } = queuePorts(deps);
  const failureHandling = { logger, ...failurePorts };
  const minRemainingMillis = deps.settings.minRemainingMillis ?? MIN_REMAINING_MILLIS;

  const handleRecord = async (record: SQSRecord, context?: Context): Promise<void> => {
    if (context && context.getRemainingTimeInMillis() < minRemainingMillis) {
      // Not started: the record goes back to the queue as it came, and nothing of it was claimed.
      logger.info('relay_record_left_for_later', { sqsMessageId: record.messageId, remainingMillis: context.getRemainingTimeInMillis() });
      // Visible again at once for the next invocation, instead of after the visibility timeout.
      await failureHandling.retries?.retryAfter(record.receiptHandle, 0).catch(() => undefined);
      throw new RecordNotStartedError('too little time left in this invocation to relay another message');
    }
    let sesMessageId: string | undefined;
    const started = performance.now();
    const callsBefore = deps.awsCalls?.();
    try {
      const mail = parseSesNotification(record.body);
      sesMessageId = mail.sesMessageId;
      const { contentRetentionDays } = deps.settings;
      if (contentRetentionDays !== undefined && outlivedContentRetention(mail.receivedAt, clock(), contentRetentionDays)) {
        // Acknowledged, so it leaves the queue: nothing of it may be kept past the content class.
        logger.warn('notification_past_content_retention', { sesMessageId, receivedAt: mail.receivedAt.toISOString(), contentRetentionDays });
        return;
      }
      const attempt = recordAttempt(record, mail.sesMessageId, failureHandling.deadLetters);
      const results = await relayInboundMail(mail, ports, options, attempt);
      for (const result of results) {
        logDelivery(logger, mail.sesMessageId, result);
        countDelivery(metrics, result);
      }
      const held = results.flatMap((result) => (result.status === 'held' ? [result.retryAfterSeconds] : []));
      if (held.length > 0) {
        // Every other delivery is finished; the copy brings the held ones back when the soonest may go.
        if (!holds) throw new RetryableDeliveryError(`${held.length} of the message's deliveries are held back`);
        await holds.holdFor({ body: record.body, replay: attempt.replay === true }, Math.min(...held));
      }
    } catch (error) {
      if (error instanceof IncompleteDeliveryError) {
        for (const result of error.results) {
          logDelivery(logger, sesMessageId ?? 'unknown', result);
          countDelivery(metrics, result);
        }
        for (const pending of error.pending) logger.warn('delivery_pending_retry', { sesMessageId, ...pending });
      }
      await settleFailedRecord(record, sesMessageId, error, failureHandling);
    } finally {
      metrics.add(METRIC.handlerLatency, performance.now() - started, MetricUnit.Milliseconds);
      if (callsBefore !== undefined && deps.awsCalls) metrics.add(METRIC.awsCalls, deps.awsCalls() - callsBefore);
    }
  };

  // One record at a time: a record can carry a 40 MB message, which takes about 2.2 times its size
  // to relay (bench/relay-memory.ts); ten of them at once would not fit the function's memory.
  // A BatchProcessor holds the batch it is working on, so each call gets its own: Lambda never runs
  // two invocations in one environment, but the local stack calls the handler concurrently.
  return async (event, context) => {
    try {
      return await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
        throwOnFullBatchFailure: false,
        processInParallel: false,
        ...(context ? { context } : {}),
      });
    } finally {
      metrics.publish();
    }
  };
}

/** A record left unstarted for the queue to deliver again; nothing of it was claimed or sent. */
export class RecordNotStartedError extends Error {
  override readonly name = 'RecordNotStartedError';
}

/** Whether the record is a replay, and how a delivery that failed for good is dead-lettered on its own. */
function recordAttempt(record: SQSRecord, sesMessageId: string, deadLetters: DeadLetterQueue | undefined): RelayAttempt {
  const replay = record.messageAttributes[REPLAY_ATTRIBUTE]?.stringValue === 'true';
  if (!deadLetters) return { replay };
  return {
    replay,
    deadLetter: (letter) => deadLetters.send({ body: record.body, queueMessageId: record.messageId, sesMessageId, ...letter }),
  };
}
