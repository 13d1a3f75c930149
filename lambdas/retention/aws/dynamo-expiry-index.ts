import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DueKeysPage, ExpiryIndex, ItemKey } from '../ports';
import { EXPIRY_BUCKET_ATTRIBUTE, EXPIRY_INDEX, PURGE_AT_ATTRIBUTE, TABLES } from '../../records/table-schema';
import type { TableKey } from '../../records/table-schema';
import { DynamoTable, conditionHeld } from '../../aws/dynamo-document';

/**
 * One table's `byExpiry` index. It projects keys only, so a page of it is just the keys to delete;
 * the deletion itself goes to the table, under a condition on the item's current `purgeAt`.
 */
export class DynamoExpiryIndex extends DynamoTable implements ExpiryIndex {
  private readonly keyAttributes: readonly string[];

  constructor(client: DynamoDBClient, tableName: string, table: TableKey) {
    super(client, tableName);
    const schema: { partitionKey: string; sortKey?: string } = TABLES[table];
    this.keyAttributes = schema.sortKey === undefined ? [schema.partitionKey] : [schema.partitionKey, schema.sortKey];
  }

  async dueKeys(bucket: string, nowSeconds: number, page: { readonly cursor?: string; readonly limit: number }): Promise<DueKeysPage> {
    const { Items, LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: EXPIRY_INDEX.name,
        KeyConditionExpression: '#bucket = :bucket AND #purgeAt <= :now',
        ExpressionAttributeNames: { '#bucket': EXPIRY_BUCKET_ATTRIBUTE, '#purgeAt': PURGE_AT_ATTRIBUTE },
        ExpressionAttributeValues: { ':bucket': bucket, ':now': nowSeconds },
        Limit: page.limit,
        ...(page.cursor === undefined ? {} : { ExclusiveStartKey: JSON.parse(page.cursor) as Record<string, unknown> }),
      }),
    );
    return {
      keys: (Items ?? []).map((item) => this.keyOf(item)),
      ...(LastEvaluatedKey === undefined ? {} : { cursor: JSON.stringify(LastEvaluatedKey) }),
    };
  }

  async deleteIfDue(key: ItemKey, nowSeconds: number): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          // Fails for an item already gone too: it has no purgeAt to compare.
          ConditionExpression: '#purgeAt <= :now',
          ExpressionAttributeNames: { '#purgeAt': PURGE_AT_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
  }

  private keyOf(item: Record<string, unknown>): ItemKey {
    return Object.fromEntries(this.keyAttributes.map((name) => [name, String(item[name])]));
  }
}
