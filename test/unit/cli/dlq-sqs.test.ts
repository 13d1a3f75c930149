import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replayFromSqs } from '../../../cli/dlq';
import type { ReplayProgress } from '../../../cli/dlq';
import type { ReplayItem } from '../../../local/control-server';

const QUEUES = { relay: 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/relay', deadLetter: 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/relay-dlq' };
const NOW = new Date('2026-11-24T12:00:00Z');

const sqsMock = mockClient(SQSClient);

function dead(n: number, overrides: Partial<Message> = {}): Message {
  return {
    MessageId: `m-${n}`,
    ReceiptHandle: `handle-${n}`,
    Body: JSON.stringify({ notificationType: 'Received', mail: { messageId: `ses-${n}`, source: 'someone@example.com' } }),
    MessageAttributes: { reason: { DataType: 'String', StringValue: 'raw_mail_missing' } },
    Attributes: { SentTimestamp: String(NOW.getTime() - 90_000) },
    ...overrides,
  };
}

/** The SQS calls made, in order, as `Command queue-or-handle`. */
function callLog(): string[] {
  return sqsMock.calls().map((call) => {
    const command = call.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
    const input = command.input;
    const detail = (input['ReceiptHandle'] as string | undefined) ?? (input['QueueUrl'] === QUEUES.relay ? 'relay' : 'dlq');
    return `${command.constructor.name.replace(/Command$/, '')} ${detail}`;
  });
}

function recorder(): ReplayProgress & { readonly total: number[]; readonly done: number[] } {
  const total: number[] = [];
  const done: number[] = [];
  return { total, done, start: (n) => total.push(n), item: (_item: ReplayItem, d) => done.push(d) };
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
});

afterEach(() => sqsMock.reset());

describe('replayFromSqs', () => {
  it('deletes, instead of replaying, a dead letter whose mail arrived longer ago than the content retention', async () => {
    // SES received this mail at 2026-11-24T05:32:33.936Z; seven days of content retention.
    const body = readFileSync(new URL('../../fixtures/ses/received-s3-notification.json', import.meta.url), 'utf8');
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dead(1, { Body: body })] }).resolves({});
    const later = () => new Date('2026-12-01T06:00:00Z');

    const items = await replayFromSqs(new SQSClient({}), QUEUES, { dryRun: false, contentRetentionDays: 7 }, recorder(), later);

    expect(items.map((item) => [item.status, item.detail])).toEqual([['expired', 'content_retention_passed']]);
    expect(callLog().filter((call) => !call.startsWith('Receive') && !call.startsWith('GetQueueAttributes'))).toEqual(['DeleteMessage handle-1']);
  });

  it('sends each body to the relay queue before deleting it from the dead-letter queue, until the queue is empty', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dead(1), dead(2)] }).resolves({});
    const progress = recorder();

    const items = await replayFromSqs(new SQSClient({}), QUEUES, { dryRun: false }, progress, () => NOW);

    expect(callLog()).toEqual([
      'GetQueueAttributes dlq',
      'ReceiveMessage dlq',
      'SendMessage relay',
      'DeleteMessage handle-1',
      'SendMessage relay',
      'DeleteMessage handle-2',
      'ReceiveMessage dlq',
    ]);
    expect(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: QUEUES.relay,
      MessageBody: dead(1).Body,
      MessageAttributes: { anshinReplay: { DataType: 'String', StringValue: 'true' } },
    });
    expect(items).toEqual([
      { id: 'm-1', sesMessageId: 'ses-1', reason: 'raw_mail_missing', ageSeconds: 90, status: 'replayed' },
      { id: 'm-2', sesMessageId: 'ses-2', reason: 'raw_mail_missing', ageSeconds: 90, status: 'replayed' },
    ]);
    expect(progress.total).toEqual([2]);
    expect(progress.done).toEqual([1, 2]);
  });

  it('receives in batches of at most ten with a short long-poll, asking for the reason and the time it was dead-lettered', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});

    await replayFromSqs(new SQSClient({}), QUEUES, { dryRun: false }, recorder(), () => NOW);

    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: QUEUES.deadLetter,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp'],
    });
  });

  it('leaves a message whose send failed in the dead-letter queue and makes it visible again', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dead(1), dead(2)] }).resolves({});
    sqsMock.on(SendMessageCommand).resolvesOnce({}).rejectsOnce(Object.assign(new Error('denied for someone@example.com'), { name: 'AccessDenied' }));

    const items = await replayFromSqs(new SQSClient({}), QUEUES, { dryRun: false }, recorder(), () => NOW);

    expect(items.map((i) => [i.id, i.status, i.detail])).toEqual([
      ['m-1', 'replayed', undefined],
      ['m-2', 'failed', 'AccessDenied'],
    ]);
    expect(sqsMock.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual(['handle-1']);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input).toEqual({
      QueueUrl: QUEUES.deadLetter,
      Entries: [{ Id: '0', ReceiptHandle: 'handle-2', VisibilityTimeout: 0 }],
    });
  });

  it('counts a message sent but not deleted as replayed: the copy left behind is a harmless duplicate', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dead(1)] }).resolves({});
    sqsMock.on(DeleteMessageCommand).rejects(Object.assign(new Error('gone'), { name: 'ReceiptHandleIsInvalid' }));

    const items = await replayFromSqs(new SQSClient({}), QUEUES, { dryRun: false }, recorder(), () => NOW);

    expect(items).toEqual([expect.objectContaining({ id: 'm-1', status: 'replayed', detail: 'not_deleted_ReceiptHandleIsInvalid' })]);
  });

  it('sends and deletes nothing in a dry run, describes each message, and makes them all visible again', async () => {
    const moved = dead(2, { MessageAttributes: {} });
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dead(1), moved] }).resolvesOnce({ Messages: [dead(1)] }).resolves({});

    const items = await replayFromSqs(new SQSClient({}), QUEUES, { dryRun: true }, recorder(), () => NOW);

    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(items).toEqual([
      { id: 'm-1', sesMessageId: 'ses-1', reason: 'raw_mail_missing', ageSeconds: 90, status: 'would_replay' },
      // Moved by SQS after five receives: no reason attribute; the SES message ID comes from the body.
      { id: 'm-2', sesMessageId: 'ses-2', ageSeconds: 90, status: 'would_replay' },
    ]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'handle-1', VisibilityTimeout: 0 },
      { Id: '1', ReceiptHandle: 'handle-2', VisibilityTimeout: 0 },
    ]);
    expect(JSON.stringify(items)).not.toContain('someone@example.com');
  });

  it('stops at the limit and puts back what it received beyond it', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dead(1), dead(2)] }).resolves({ Messages: [dead(3)] });

    const items = await replayFromSqs(new SQSClient({}), QUEUES, { dryRun: false, limit: 1 }, recorder(), () => NOW);

    expect(items.map((i) => i.id)).toEqual(['m-1']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.MaxNumberOfMessages).toBe(1);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input.Entries).toEqual([{ Id: '0', ReceiptHandle: 'handle-2', VisibilityTimeout: 0 }]);
  });
});
