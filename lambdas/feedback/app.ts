import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { NO_METRICS } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { DIMENSION, METRIC, SERVICES } from '../metric-names';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoAliasStore } from '../aliases/aws/dynamo-alias-store';
import { DynamoFeedbackLog } from './aws/dynamo-feedback-log';
import { applySendingFeedback, parseSendingEvent } from './feedback';
import type { FeedbackOptions, FeedbackOutcome, FeedbackPorts } from './feedback';

interface FeedbackSettings {
  readonly aliasesTable: string;
  readonly transmissionsTable: string;
  readonly relayDomain: string;
  readonly hardBouncePauseDays: number;
  readonly transmissionRetentionDays: number;
}

export interface FeedbackDependencies {
  readonly clients: { readonly dynamodb: DynamoDBClient };
  readonly settings: FeedbackSettings;
  readonly clock?: () => Date;
  readonly logger?: Logger;
  readonly metrics?: FunctionMetrics;
}

export type FeedbackHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

function createFeedbackPorts(deps: FeedbackDependencies): FeedbackPorts {
  return {
    aliases: new DynamoAliasStore(deps.clients.dynamodb, deps.settings.aliasesTable),
    feedback: new DynamoFeedbackLog(deps.clients.dynamodb, deps.settings.transmissionsTable),
  };
}

/** Alias IDs, store IDs and types only: the record holds no address, and neither does the log. */
function logOutcome(logger: Logger, outcome: FeedbackOutcome): void {
  const { record } = outcome;
  const attributes = {
    sesMessageId: record.sesMessageId,
    kind: record.kind,
    direction: record.direction,
    aliasId: record.aliasId,
    storeId: record.storeId,
    bounceType: record.bounceType,
    bounceSubType: record.bounceSubType,
    complaintFeedbackType: record.complaintFeedbackType,
    pause: outcome.pause,
    pausedUntil: record.pausedUntil,
  };
  if (!outcome.recorded) logger.info('duplicate_feedback_skipped', { sesMessageId: record.sesMessageId, kind: record.kind });
  else if (outcome.pause === 'paused') logger.warn('alias_paused', attributes);
  else logger.info('feedback_recorded', attributes);
}

/**
 * SES bounce and complaint events as an SQS batch handler (partial batch response): each record is
 * one event; a record that fails is retried and, after the queue's receive limit, dead-lettered.
 */
export function createFeedbackHandler(deps: FeedbackDependencies): FeedbackHandler {
  const ports = createFeedbackPorts(deps);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.feedback });
  const metrics = deps.metrics ?? NO_METRICS;
  const options: FeedbackOptions = {
    relayDomain: deps.settings.relayDomain,
    hardBouncePauseDays: deps.settings.hardBouncePauseDays,
    transmissionRetentionDays: deps.settings.transmissionRetentionDays,
    clock: deps.clock ?? (() => new Date()),
  };

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    try {
      const feedback = parseSendingEvent(record.body);
      if (!feedback) {
        logger.info('feedback_ignored', { sqsMessageId: record.messageId });
        return;
      }
      const outcome = await applySendingFeedback(feedback, ports, options);
      logOutcome(logger, outcome);
      if (outcome.recorded) metrics.countBy(METRIC.feedback, DIMENSION.kind, outcome.record.kind);
    } catch (error) {
      logger.error('feedback_failed', { sqsMessageId: record.messageId, errorName: error instanceof Error ? error.name : 'unknown' });
      throw error;
    }
  };

  // A BatchProcessor holds the batch it is working on, so each call gets its own: Lambda never runs
  // two invocations in one environment, but the local stack calls the handler concurrently.
  return async (event) => {
    try {
      return await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), { throwOnFullBatchFailure: false });
    } finally {
      metrics.publish();
    }
  };
}
