import type { SQSRecord } from 'aws-lambda';
import { classifyFailure, retryDelaySeconds } from './failures';
import type { DeadLetterQueue, RetryScheduler } from './ports';

/** The structured log lines failure handling writes (Powertools' Logger is one). */
interface FailureLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface FailureHandling {
  readonly logger: FailureLog;
  /** Without one, permanent failures are retried too and reach the dead-letter queue by SQS redrive. */
  readonly deadLetters?: DeadLetterQueue;
  /** Without one, a failed record waits for the queue's visibility timeout. */
  readonly retries?: RetryScheduler;
}

/**
 * Settles a record the relay could not finish. A permanent failure is sent to the dead-letter queue
 * with its reason and counts as handled (returns, so SQS deletes the record); a transient one gets
 * its next receive delayed by backoff and is rethrown, so the batch reports it as failed. If the
 * dead-letter queue cannot take the record, it is retried like a transient failure: never dropped.
 */
export async function settleFailedRecord(record: SQSRecord, sesMessageId: string | undefined, error: unknown, handling: FailureHandling): Promise<void> {
  const { logger } = handling;
  const failure = classifyFailure(error);
  const context = { sqsMessageId: record.messageId, sesMessageId, reason: failure.reason, errorName: failure.errorName };

  if (!failure.canRetry && handling.deadLetters) {
    try {
      await handling.deadLetters.send({
        body: record.body,
        reason: failure.reason,
        errorName: failure.errorName,
        queueMessageId: record.messageId,
        ...(sesMessageId === undefined ? {} : { sesMessageId }),
      });
      logger.warn('relay_dead_lettered', context);
      return;
    } catch (deadLetterError) {
      logger.error('relay_dead_letter_failed', { ...context, deadLetterErrorName: classifyFailure(deadLetterError).errorName });
    }
  }

  logger.error('relay_failed', context);
  if (handling.retries) {
    const receiveCount = Number.parseInt(record.attributes.ApproximateReceiveCount, 10);
    const delaySeconds = retryDelaySeconds(receiveCount);
    try {
      await handling.retries.retryAfter(record.receiptHandle, delaySeconds);
      logger.info('relay_retry_scheduled', { ...context, receiveCount, delaySeconds });
    } catch (scheduleError) {
      // The queue's own visibility timeout then decides the next receive; the record is not lost.
      logger.warn('relay_retry_schedule_failed', { ...context, scheduleErrorName: classifyFailure(scheduleError).errorName });
    }
  }
  throw error;
}
