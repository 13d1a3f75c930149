import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsDeadLetterQueue } from '../../../../lambdas/relay/aws/sqs-dead-letter-queue';
import { SqsRetryScheduler } from '../../../../lambdas/relay/aws/sqs-retry-scheduler';
import { SqsHoldQueue } from '../../../../lambdas/relay/aws/sqs-hold-queue';
import { REPLAY_ATTRIBUTE } from '../../../../lambdas/relay/replay';

const sqs = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/relay-dlq';

afterEach(() => sqs.reset());

describe('SqsDeadLetterQueue', () => {
  it('sends the original body with the reason, error name and SES message ID as attributes', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    await new SqsDeadLetterQueue(new SQSClient({ region: 'ap-northeast-1' }), QUEUE_URL).send({
      body: '{"original":true}',
      reason: 'raw_mail_missing',
      errorName: 'NoSuchKey',
      sesMessageId: 'ses-1',
      queueMessageId: 'q-1',
    });

    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: QUEUE_URL,
        MessageBody: '{"original":true}',
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: 'raw_mail_missing' },
          errorName: { DataType: 'String', StringValue: 'NoSuchKey' },
          sesMessageId: { DataType: 'String', StringValue: 'ses-1' },
        },
      },
    ]);
  });

  it('leaves out the SES message ID when there is none, as SQS refuses empty attributes', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    await new SqsDeadLetterQueue(new SQSClient({ region: 'ap-northeast-1' }), QUEUE_URL).send({ body: 'x', reason: 'invalid_notification', errorName: 'InvalidNotificationError', queueMessageId: 'q-1' });

    expect(Object.keys(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageAttributes ?? {})).toEqual(['reason', 'errorName']);
  });
});

describe('SqsRetryScheduler', () => {
  it('sets the visibility timeout of the failed message', async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});

    await new SqsRetryScheduler(new SQSClient({ region: 'ap-northeast-1' }), QUEUE_URL).retryAfter('handle-1', 120);

    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'handle-1', VisibilityTimeout: 120 }]);
  });
});

describe('SqsHoldQueue', () => {
  it('puts a delayed copy of the notification on the relay queue, at most 15 minutes a hop, keeping a replay a replay', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    const holds = new SqsHoldQueue(new SQSClient({ region: 'ap-northeast-1' }), QUEUE_URL);

    await holds.holdFor({ body: '{"notification":1}', replay: false }, 59.2);
    await holds.holdFor({ body: '{"notification":2}', replay: true }, 86_400);

    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MessageBody: '{"notification":1}', DelaySeconds: 60 },
      { QueueUrl: QUEUE_URL, MessageBody: '{"notification":2}', DelaySeconds: 900, MessageAttributes: { [REPLAY_ATTRIBUTE]: { DataType: 'String', StringValue: 'true' } } },
    ]);
  });
});
