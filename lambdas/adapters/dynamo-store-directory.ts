import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RegisteredSender, StoreDirectory, StoreRecord } from '../core/ports';
import { DynamoTable } from './dynamo-document';

const STORE_ITEM = 'store';
const senderItem = (addressHash: string): string => `sender#${addressHash}`;

/** Stores table: the store itself (`item = "store"`) and one item per registered sender. */
export class DynamoStoreDirectory extends DynamoTable implements StoreDirectory {
  async getStore(storeId: string): Promise<StoreRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { storeId, item: STORE_ITEM } }));
    if (!Item) return undefined;
    const { item: _item, addressHash: _hash, ...store } = Item;
    return store as StoreRecord;
  }

  async putStore(record: StoreRecord): Promise<void> {
    // The contact's hash is also written as `addressHash` so the by-address index finds the store.
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...record, item: STORE_ITEM, addressHash: record.contactHash } }));
  }

  async putSender(sender: RegisteredSender): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...sender, item: senderItem(sender.addressHash) } }));
  }

  async isRegisteredSender(storeId: string, addressHash: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { storeId, item: senderItem(addressHash) }, ProjectionExpression: 'storeId' }),
    );
    return Item !== undefined;
  }
}
