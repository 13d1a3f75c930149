import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { HoldQueue } from '../ports';
import { REPLAY_ATTRIBUTE } from '../replay';

/** SQS delays a message by at most 15 minutes; a longer hold takes several. */
const MAX_DELAY_SECONDS = 900;

/** Held mail goes back on the relay queue as a delayed copy of its notification. */
export class SqsHoldQueue implements HoldQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async holdFor(notification: { readonly body: string; readonly replay: boolean }, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: notification.body,
        DelaySeconds: Math.min(Math.max(0, Math.ceil(delaySeconds)), MAX_DELAY_SECONDS),
        ...(notification.replay ? { MessageAttributes: { [REPLAY_ATTRIBUTE]: { DataType: 'String', StringValue: 'true' } } } : {}),
      }),
    );
  }
}
