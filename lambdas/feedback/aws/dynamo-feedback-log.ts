import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { FeedbackRecord } from '../record';
import type { FeedbackLog } from '../ports';
import { DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';

/**
 * Bounce and complaint records in the transmissions table. Their IDs (`feedback/…`) never collide
 * with delivery IDs (`<sesMessageId>/<index>`), and they carry no `state`, so the relay's claims and
 * the completed-delivery listings never see them.
 */
export class DynamoFeedbackLog extends DynamoTable implements FeedbackLog {
  async recordFeedback(record: FeedbackRecord): Promise<'recorded' | 'duplicate'> {
    try {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: { ...record, ...expiryIndexAttributes(record.purgeAt, record.transmissionId) }, ConditionExpression: 'attribute_not_exists(transmissionId)' }),
      );
      return 'recorded';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return 'duplicate';
    }
  }
}
