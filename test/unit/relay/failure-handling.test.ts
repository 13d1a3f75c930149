import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { DeadLetter, DeadLetterQueue, RetryScheduler } from '../../../lambdas/relay/ports';
import { settleFailedRecord } from '../../../lambdas/relay/failure-handling';
import { InvalidNotificationError } from '../../../lambdas/relay/ses-notification';

function record(receiveCount: string): SQSRecord {
  return {
    messageId: 'queue-message-1',
    receiptHandle: 'handle-1',
    body: '{"notificationType":"Received","mail":{"source":"taro@example.com"}}',
    attributes: { ApproximateReceiveCount: receiveCount, SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:111111111111:relay',
    awsRegion: 'ap-northeast-1',
  };
}

function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
}

function noSuchKey(): Error {
  return Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
}

function setUp(options: { deadLetterFails?: boolean; scheduleFails?: boolean } = {}) {
  const letters: DeadLetter[] = [];
  const scheduled: { receiptHandle: string; delaySeconds: number }[] = [];
  const deadLetters: DeadLetterQueue = {
    send: async (letter) => {
      if (options.deadLetterFails) throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
      letters.push(letter);
    },
  };
  const retries: RetryScheduler = {
    retryAfter: async (receiptHandle, delaySeconds) => {
      if (options.scheduleFails) throw Object.assign(new Error('gone'), { name: 'ReceiptHandleIsInvalid' });
      scheduled.push({ receiptHandle, delaySeconds });
    },
  };
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  return { letters, scheduled, logger, handling: { logger, deadLetters, retries } };
}

describe('settleFailedRecord', () => {
  it('dead-letters a permanent failure with its reason and the original body, and counts it as handled', async () => {
    const { letters, scheduled, logger, handling } = setUp();

    await settleFailedRecord(record('1'), 'ses-1', noSuchKey(), handling);

    expect(letters).toEqual([{ body: record('1').body, reason: 'raw_mail_missing', errorName: 'NoSuchKey', sesMessageId: 'ses-1', queueMessageId: 'queue-message-1' }]);
    expect(scheduled).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith('relay_dead_lettered', { sqsMessageId: 'queue-message-1', sesMessageId: 'ses-1', reason: 'raw_mail_missing', errorName: 'NoSuchKey' });
  });

  it('dead-letters an unreadable notification without an SES message ID', async () => {
    const { letters, handling } = setUp();

    await settleFailedRecord(record('1'), undefined, new InvalidNotificationError('mail is not an object'), handling);

    expect(letters).toHaveLength(1);
    expect(letters[0]).not.toHaveProperty('sesMessageId');
    expect(letters[0]?.reason).toBe('invalid_notification');
  });

  it.each([
    ['1', 30],
    ['2', 60],
    ['4', 240],
  ])('rethrows a transient failure on receive %s and delays the next receive by %i s', async (receiveCount, delaySeconds) => {
    const { letters, scheduled, logger, handling } = setUp();
    const error = throttling();

    await expect(settleFailedRecord(record(receiveCount), 'ses-1', error, handling)).rejects.toBe(error);

    expect(letters).toEqual([]);
    expect(scheduled).toEqual([{ receiptHandle: 'handle-1', delaySeconds }]);
    expect(logger.info).toHaveBeenCalledWith('relay_retry_scheduled', expect.objectContaining({ reason: 'throttled', errorName: 'ThrottlingException', delaySeconds }));
  });

  it('retries a permanent failure when the dead-letter queue cannot take it, so it is never dropped', async () => {
    const { scheduled, logger, handling } = setUp({ deadLetterFails: true });
    const error = noSuchKey();

    await expect(settleFailedRecord(record('1'), 'ses-1', error, handling)).rejects.toBe(error);

    expect(scheduled).toHaveLength(1);
    expect(logger.error).toHaveBeenCalledWith('relay_dead_letter_failed', expect.objectContaining({ reason: 'raw_mail_missing', deadLetterErrorName: 'AccessDenied' }));
  });

  it('retries a permanent failure when there is no dead-letter queue, leaving it to SQS redrive', async () => {
    const { logger } = setUp();
    const error = noSuchKey();

    await expect(settleFailedRecord(record('1'), 'ses-1', error, { logger })).rejects.toBe(error);
  });

  it('still reports a transient failure when the backoff cannot be set', async () => {
    const { logger, handling } = setUp({ scheduleFails: true });
    const error = throttling();

    await expect(settleFailedRecord(record('1'), 'ses-1', error, handling)).rejects.toBe(error);

    expect(logger.warn).toHaveBeenCalledWith('relay_retry_schedule_failed', expect.objectContaining({ scheduleErrorName: 'ReceiptHandleIsInvalid' }));
  });

  it('logs no address and no error message', async () => {
    const { logger, handling } = setUp();

    await settleFailedRecord(record('1'), 'ses-1', Object.assign(new Error('taro@example.com'), { name: 'MessageRejected' }), handling);
    await expect(settleFailedRecord(record('1'), 'ses-1', Object.assign(new Error('taro@example.com'), { name: 'ThrottlingException' }), handling)).rejects.toThrow();

    const logged = JSON.stringify([logger.info.mock.calls, logger.warn.mock.calls, logger.error.mock.calls]);
    expect(logged).not.toContain('@');
  });
});
