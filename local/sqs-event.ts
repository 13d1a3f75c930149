import { createHash, randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { REPLAY_ATTRIBUTE } from '../lambdas/relay/replay';

/**
 * One SQS record carrying `body` as it is, the way the relay queue hands it to the Lambda: what the
 * ingress delivers, what the control endpoint redelivers or replays, what held mail brings back. A
 * replay carries the attribute `anshin dlq replay` sets on AWS.
 */
export function sqsEventOf(
  body: string,
  queue: { readonly queueArn: string; readonly region: string },
  options: { readonly messageId?: string; readonly receiveCount?: number; readonly replay?: boolean } = {},
): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: options.messageId ?? randomUUID(),
        receiptHandle: `local-${randomUUID()}`,
        body,
        attributes: { ApproximateReceiveCount: String(options.receiveCount ?? 1), SentTimestamp: now, SenderId: 'AIDAIT2UOQQY3AUEKVGXU', ApproximateFirstReceiveTimestamp: now },
        messageAttributes: options.replay ? { [REPLAY_ATTRIBUTE]: { stringValue: 'true', dataType: 'String', stringListValues: [], binaryListValues: [] } } : {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: queue.queueArn,
        awsRegion: queue.region,
      },
    ],
  };
}
