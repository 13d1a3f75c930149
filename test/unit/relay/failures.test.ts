import { describe, expect, it } from 'vitest';
import { classifyFailure, DEAD_LETTER_REASONS, MaybeSentError, retryDelaySeconds } from '../../../lambdas/relay/failures';
import type { DeadLetterReason } from '../../../lambdas/relay/failures';
import { IncompleteDeliveryError, RetryableDeliveryError } from '../../../lambdas/relay/relay-inbound-mail';
import { InvalidNotificationError } from '../../../lambdas/relay/ses-notification';

/** An error shaped like an AWS SDK v3 service exception. */
function sdkError(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name}: taro@example.com is not allowed`), { name, $metadata: { httpStatusCode }, $fault: httpStatusCode >= 500 ? 'server' : 'client', ...extra });
}

/** An error shaped like Node's socket errors: named `Error`, identified by `code`. */
function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:443`), { code });
}

describe('classifyFailure', () => {
  it.each<[string, unknown, DeadLetterReason]>([
    ['DynamoDB throttling', sdkError('ThrottlingException', 400), 'throttled'],
    ['SES v2 rate limit', sdkError('TooManyRequestsException', 429), 'throttled'],
    ['DynamoDB provisioned throughput', sdkError('ProvisionedThroughputExceededException', 400), 'throttled'],
    ['DynamoDB request limit', sdkError('RequestLimitExceeded', 400), 'throttled'],
    ['SES daily quota', sdkError('LimitExceededException', 400), 'throttled'],
    ['S3 slow down', sdkError('SlowDown', 503), 'throttled'],
    ['KMS internal error', sdkError('KMSInternalException', 500), 'key_service_unavailable'],
    ['KMS dependency timeout', sdkError('DependencyTimeoutException', 503), 'key_service_unavailable'],
    ['KMS key unavailable', sdkError('KeyUnavailableException', 500), 'key_service_unavailable'],
    ['SDK timeout', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), 'network_error'],
    ['S3 request timeout', sdkError('RequestTimeout', 400), 'network_error'],
    ['connection reset', networkError('ECONNRESET'), 'network_error'],
    ['connection timed out', networkError('ETIMEDOUT'), 'network_error'],
    ['connection refused', networkError('ECONNREFUSED'), 'network_error'],
    ['unnamed 5xx', sdkError('SomethingNew', 502), 'service_error'],
    ['SDK-marked retryable', Object.assign(sdkError('SomethingNew', 400), { $retryable: {} }), 'service_error'],
    ['SDK-marked throttling', Object.assign(sdkError('SomethingNew', 400), { $retryable: { throttling: true } }), 'throttled'],
    ['lease held by another invocation', new RetryableDeliveryError('delivery x/0 is being processed by another invocation'), 'delivery_in_progress'],
    ['SES account suspended', sdkError('AccountSuspendedException', 400), 'sending_paused'],
    ['SES sending paused', sdkError('SendingPausedException', 400), 'sending_paused'],
    ['SES MAIL FROM not verified', sdkError('MailFromDomainNotVerifiedException', 400), 'sending_paused'],
    ['unknown 4xx', sdkError('SomethingNew', 400), 'unknown_error'],
    ['plain Error', new Error('boom'), 'unknown_error'],
    ['a thrown string', 'boom', 'unknown_error'],
    ['undefined', undefined, 'unknown_error'],
    ['raw mail gone', sdkError('NoSuchKey', 404), 'raw_mail_missing'],
    ['unreadable notification', new InvalidNotificationError('queue body is not JSON'), 'invalid_notification'],
    ['SES message rejected', sdkError('MessageRejected', 400), 'message_rejected'],
    ['KMS key disabled', sdkError('DisabledException', 400), 'key_unusable'],
    ['KMS key pending deletion', sdkError('KMSInvalidStateException', 400), 'key_unusable'],
    ['KMS ciphertext invalid', sdkError('InvalidCiphertextException', 400), 'key_unusable'],
    ['IAM denial (DynamoDB, KMS, SES)', sdkError('AccessDeniedException', 400), 'access_denied'],
    ['IAM denial (S3)', sdkError('AccessDenied', 403), 'access_denied'],
    ['DynamoDB validation', sdkError('ValidationException', 400), 'invalid_request'],
    ['SES bad request', sdkError('BadRequestException', 400), 'invalid_request'],
  ])('classifies %s as %s', (_label, error, reason) => {
    const failure = classifyFailure(error);

    expect(failure.reason).toBe(reason);
    expect(failure.canRetry).toBe(DEAD_LETTER_REASONS[reason].canRetry);
  });

  it.each<[DeadLetterReason, boolean]>([
    ['throttled', true],
    ['unknown_error', true],
    ['sending_paused', true],
    ['delivery_in_progress', true],
    ['raw_mail_missing', false],
    ['invalid_notification', false],
    ['message_rejected', false],
    ['access_denied', false],
    ['invalid_request', false],
  ])('marks %s as retryable: %s', (reason, canRetry) => {
    expect(DEAD_LETTER_REASONS[reason].canRetry).toBe(canRetry);
  });

  it('names a network error by its code, not by the generic Error name', () => {
    expect(classifyFailure(networkError('ECONNRESET')).errorName).toBe('ECONNRESET');
  });

  it('names an SDK error by its name and never passes its message on', () => {
    const failure = classifyFailure(sdkError('MessageRejected', 400));

    expect(failure.errorName).toBe('MessageRejected');
    expect(JSON.stringify(failure)).not.toContain('@');
  });

  it.each([['taro@example.com'], ['Throttling exception for taro'], [''], ['x'.repeat(65)]])('does not pass on a name that is not an identifier: %j', (name) => {
    const failure = classifyFailure(Object.assign(new Error('boom'), { name }));

    expect(failure.errorName).toBe('unknown');
    expect(failure.reason).toBe('unknown_error');
  });
});

describe('retryDelaySeconds', () => {
  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [4, 240],
    [5, 480],
    [6, 900],
    [1000, 900],
  ])('delays the next receive after receive %i by %i s', (receiveCount, seconds) => {
    expect(retryDelaySeconds(receiveCount)).toBe(seconds);
  });

  it.each([[0], [-3], [Number.NaN], [1.5]])('treats an unreadable receive count (%d) as the first receive', (receiveCount) => {
    expect(retryDelaySeconds(receiveCount)).toBe(30);
  });

  it('never exceeds the cap it is given', () => {
    expect(retryDelaySeconds(4, { baseSeconds: 10, maxSeconds: 50 })).toBe(50);
  });
});

describe('classifyFailure of a message with deliveries left for a retry', () => {
  it('takes the reason of the first pending delivery', () => {
    const cause = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    expect(classifyFailure(new IncompleteDeliveryError([], [], cause))).toMatchObject({ reason: 'throttled', canRetry: true, errorName: 'ThrottlingException' });
    expect(classifyFailure(new IncompleteDeliveryError([], [], new MaybeSentError('lost')))).toMatchObject({ reason: 'maybe_sent', canRetry: true });
  });

  it('is retried even when its cause alone would not be', () => {
    const cause = Object.assign(new Error('no'), { name: 'MessageRejected' });
    expect(classifyFailure(new IncompleteDeliveryError([], [], cause))).toMatchObject({ canRetry: true });
  });
});
