import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterQueue } from '../ports';

/**
 * Sends a notification to the relay queue's dead-letter queue with why it failed. The body is the
 * original one, so an SQS redrive (or `StartMessageMoveTask`) back to the relay queue replays it as
 * it came; the attributes name the reason, the error and the SES message, never an address.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      reason: text(letter.reason),
      errorName: text(letter.errorName),
      // SQS refuses empty attribute values; an unreadable notification has no SES message ID.
      ...(letter.sesMessageId ? { sesMessageId: text(letter.sesMessageId) } : {}),
      // The deliveries that failed when the message's others were finished (`<sesMessageId>/<index>`).
      ...(letter.deliveries && letter.deliveries.length > 0 ? { deliveries: text(letter.deliveries.join(' ')) } : {}),
    };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: letter.body, MessageAttributes: attributes }));
  }
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}
