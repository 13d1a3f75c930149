import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';
import { idempotencyItemKey, IdempotencyKeyReusedError } from '../idempotency';
import type { IdempotencyKeys } from '../idempotency';

/**
 * Idempotency keys in the aliases table (`alias = idempotency#<hash of the key>`), the table the
 * API function already writes: a conditional put keeps the first request's fingerprint, and TTL and
 * the retention run remove it after the window.
 */
export class DynamoIdempotencyKeys extends DynamoTable implements IdempotencyKeys {
  async take(key: string, fingerprint: string, expiresAt: Date): Promise<{ readonly firstStatus?: number }> {
    const alias = idempotencyItemKey(key);
    const purgeAt = Math.floor(expiresAt.getTime() / 1000);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { alias, fingerprint, purgeAt, ...expiryIndexAttributes(purgeAt, alias) },
          ConditionExpression: 'attribute_not_exists(alias)',
        }),
      );
      return {};
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { alias }, ConsistentRead: true }));
    if (Item?.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError('this Idempotency-Key was used with another request body');
    return typeof Item.status === 'number' ? { firstStatus: Item.status } : {};
  }

  async answered(key: string, status: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { alias: idempotencyItemKey(key) },
        UpdateExpression: 'SET #status = if_not_exists(#status, :status)',
        ConditionExpression: 'attribute_exists(alias)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      }),
    );
  }
}
