import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { STORE_ITEM } from '../../records/table-schema';
import type { StoreItemKey, SubjectStoreItems } from '../../destruction/ports';
import { TABLES } from '../../records/table-schema';
import { isConditionFailure } from '../../aws/dynamo-document';
import { DynamoSubjectTable } from '../../aws/dynamo-subject-table';
import type { ItemKey } from '../../aws/dynamo-subject-table';

const [BY_ADDRESS_HASH] = TABLES.stores.indexes;

function storeItemKey(item: Record<string, unknown>): StoreItemKey {
  return { storeId: String(item.storeId), item: String(item.item) };
}

/** The stores table as destruction and termination see it: a store's partition, address-hash matches, deletion, re-dating. */
export class DynamoSubjectStoreItems extends DynamoSubjectTable implements SubjectStoreItems {
  protected readonly partitionKey = TABLES.stores.partitionKey;

  protected itemKeyOf(key: ItemKey): string {
    return `${key.storeId}/${key.item}`;
  }

  async itemsOfStore(storeId: string): Promise<StoreItemKey[]> {
    const items = await this.queryAll({
      KeyConditionExpression: '#store = :store',
      ConsistentRead: true,
      ProjectionExpression: '#store, #item',
      ExpressionAttributeNames: { '#store': 'storeId', '#item': 'item' },
      ExpressionAttributeValues: { ':store': storeId },
    });
    return items.map(storeItemKey);
  }

  async withAddressHash(addressHash: string): Promise<StoreItemKey[]> {
    const items = await this.queryAll({
      IndexName: BY_ADDRESS_HASH.name,
      KeyConditionExpression: '#hash = :hash',
      ProjectionExpression: '#store, #item',
      ExpressionAttributeNames: { '#hash': BY_ADDRESS_HASH.partitionKey, '#store': 'storeId', '#item': 'item' },
      ExpressionAttributeValues: { ':hash': addressHash },
    });
    return items.map(storeItemKey);
  }

  async stored(keys: readonly StoreItemKey[]): Promise<StoreItemKey[]> {
    return (await this.existing(keys.map((key) => ({ storeId: key.storeId, item: key.item })))).map(storeItemKey);
  }

  async remove(key: StoreItemKey): Promise<boolean> {
    return this.removeItem({ storeId: key.storeId, item: key.item });
  }

  async markTerminated(storeId: string, at: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { storeId, item: STORE_ITEM },
          UpdateExpression: 'SET #terminatedAt = if_not_exists(#terminatedAt, :at)',
          ConditionExpression: 'attribute_exists(#store)',
          ExpressionAttributeNames: { '#store': 'storeId', '#terminatedAt': 'terminatedAt' },
          ExpressionAttributeValues: { ':at': at.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async bringForward(key: StoreItemKey, purgeAt: number): Promise<boolean> {
    return this.bringPurgeAtForward({ storeId: key.storeId, item: key.item }, purgeAt);
  }

  async purgeAtOf(storeId: string): Promise<number | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { storeId, item: STORE_ITEM }, ConsistentRead: true, ProjectionExpression: '#purgeAt', ExpressionAttributeNames: { '#purgeAt': 'purgeAt' } }),
    );
    return typeof Item?.purgeAt === 'number' ? Item.purgeAt : undefined;
  }
}
