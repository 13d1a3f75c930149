import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { collect } from '../destruction/steps';
import { EXPIRY_BUCKET_ATTRIBUTE, PURGE_AT_ATTRIBUTE } from '../records/table-schema';
import { DynamoTable, expiryIndexAttributes, conditionHeld } from './dynamo-document';

export type ItemKey = Readonly<Record<string, string>>;

/**
 * Base of the subject adapters: paginated queries, consistent existence checks, deletions that
 * say whether there was an item, and `purgeAt` moved only ever earlier, always with the expiry-index
 * attribute beside it.
 */
export abstract class DynamoSubjectTable extends DynamoTable {
  /** The table's partition key attribute. */
  protected abstract readonly partitionKey: string;

  /** The item's key values joined by `/`, as the expiry-index shard is computed from. */
  protected abstract itemKeyOf(key: ItemKey): string;

  /** Every page of a query. */
  protected async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ ...input, TableName: this.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * Those of the keys whose items exist, by strongly consistent reads: one GetItem per key, as the
   * functions are granted no batch reads.
   */
  protected async existing(keys: readonly ItemKey[]): Promise<Record<string, unknown>[]> {
    return collect(keys, async (key) => {
      const names = Object.fromEntries(Object.keys(key).map((name, i) => [`#k${i}`, name]));
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names }),
      );
      return Item ? [Item] : [];
    });
  }

  protected async removeItem(key: ItemKey): Promise<boolean> {
    const { Attributes } = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key, ReturnValues: 'ALL_OLD' }));
    return Attributes !== undefined;
  }

  /**
   * Sets `purgeAt` (and its expiry-index bucket) where the item exists and is due later or never:
   * a termination never extends a retention, and a repeated one finds nothing to move.
   */
  protected async bringPurgeAtForward(key: ItemKey, purgeAt: number): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #purgeAt = :purgeAt, #bucket = :bucket',
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#purgeAt) OR #purgeAt > :purgeAt)',
          ExpressionAttributeNames: { '#pk': this.partitionKey, '#purgeAt': PURGE_AT_ATTRIBUTE, '#bucket': EXPIRY_BUCKET_ATTRIBUTE },
          ExpressionAttributeValues: { ':purgeAt': purgeAt, ':bucket': expiryIndexAttributes(purgeAt, this.itemKeyOf(key))[EXPIRY_BUCKET_ATTRIBUTE] },
        }),
      ),
    );
  }
}
