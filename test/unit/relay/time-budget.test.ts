import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureProcessOutput } from '../../support/capture-output';
import type { RetryScheduler } from '../../../lambdas/relay/ports';
import { createRelayHandler, MIN_REMAINING_MILLIS } from '../../../lambdas/relay/app';

/** Clients whose every call fails loudly: a record left unstarted must not reach any of them. */
const unreachable = { region: 'ap-northeast-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };

function event(count: number, body = '{}'): SQSEvent {
  return {
    Records: Array.from({ length: count }, (_, i) => ({
      messageId: `m${i}`,
      receiptHandle: `h${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:relay',
      awsRegion: 'ap-northeast-1',
    })),
  };
}

describe('the relay handler near the end of its time', () => {
  it('starts no record when too little time is left, and makes each visible again at once', async () => {
    const visible: [string, number][] = [];
    const retries: RetryScheduler = { retryAfter: async (handle, delay) => void visible.push([handle, delay]) };
    const handler = createRelayHandler({
      clients: { dynamodb: new DynamoDBClient(unreachable), kms: new KMSClient(unreachable), s3: new S3Client(unreachable), sesv2: new SESv2Client(unreachable) },
      settings: { aliasesTable: 'a', storesTable: 's', transmissionsTable: 't', dataKeyId: 'k', hmacKeyId: 'h', relayDomain: 'relay.example.jp', transmissionRetentionDays: 90 },
      retries,
      logger: new Logger({ logLevel: 'SILENT' }),
    });
    const context = { getRemainingTimeInMillis: () => MIN_REMAINING_MILLIS - 1 } as Context;

    const response = await handler(event(3), context);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m0', 'm1', 'm2']);
    expect(visible).toEqual([
      ['h0', 0],
      ['h1', 0],
      ['h2', 0],
    ]);
  });
});

describe('the relay handler and the content retention', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // SES received this mail at 2026-11-24T05:32:33.936Z.
  const notification = readFileSync(new URL('../../fixtures/ses/received-s3-notification.json', import.meta.url), 'utf8');
  const relayAt = (now: string) =>
    createRelayHandler({
      clients: { dynamodb: new DynamoDBClient(unreachable), kms: new KMSClient(unreachable), s3: new S3Client(unreachable), sesv2: new SESv2Client(unreachable) },
      settings: { aliasesTable: 'a', storesTable: 's', transmissionsTable: 't', dataKeyId: 'k', hmacKeyId: 'h', relayDomain: 'relay.example.jp', transmissionRetentionDays: 90, contentRetentionDays: 7 },
      clock: () => new Date(now),
      logger: new Logger({ serviceName: 'anshin-relay' }),
    });

  it('drops a notification older than the content retention, however it came back, without touching its mail', async () => {
    const lines: string[] = [];
    captureProcessOutput(lines);

    const response = await relayAt('2026-12-01T05:32:34Z')(event(1, notification));

    expect(response.batchItemFailures).toEqual([]);
    expect(lines.join('\n')).toContain('notification_past_content_retention');
    expect(lines.join('\n')).toContain('o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1');
  });

  it('still relays one within the retention (here: tries, and the unreachable table fails it)', async () => {
    const response = await relayAt('2026-11-30T05:32:33Z')(event(1, notification));

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m0']);
  });
});

