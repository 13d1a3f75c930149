import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Page, PageRequest, RegisteredSender, SenderVerifications, StoreControls, StoreDirectory, StoreListing, StoreProfile, StoreRecord } from '../ports';
import { InvalidRequestError } from '../stores';
import { batchGetAll, conditionHeld, decodeCursor, DynamoTable, encodeCursor } from '../../aws/dynamo-document';
import { SENDER_ITEM_PREFIX, senderItem, STORE_ITEM, STORE_LIMITS_ATTRIBUTE, STORE_PAUSE_ATTRIBUTES, TABLES } from '../../records/table-schema';

const BY_ITEM = TABLES.stores.indexes[2];


function storeFromItem(item: Record<string, unknown>): StoreRecord {
  const { item: _item, addressHash: _hash, ...store } = item;
  return store as unknown as StoreRecord;
}

function senderFromItem(item: Record<string, unknown>): RegisteredSender {
  const { item: _item, ...sender } = item;
  return sender as unknown as RegisteredSender;
}

/** Stores table: the store itself (`item = "store"`) and one item per registered sender. */
export class DynamoStoreDirectory extends DynamoTable implements StoreDirectory, StoreListing, SenderVerifications, StoreControls {
  /** The index's page of store keys, then the stores themselves in one batch read, in the index's order. */
  async listStores(page: PageRequest): Promise<Page<StoreRecord>> {
    const start = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ['storeId', 'item']);
    if (page.cursor !== undefined && start === undefined) throw new InvalidRequestError('cursor is not one this listing gave', 'cursor');
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_ITEM.name,
        KeyConditionExpression: '#item = :store',
        ExpressionAttributeNames: { '#item': 'item' },
        ExpressionAttributeValues: { ':store': STORE_ITEM },
        Limit: page.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const keys = Items.map((item) => ({ storeId: item.storeId as string, item: STORE_ITEM }));
    const found = new Map((keys.length === 0 ? [] : await batchGetAll(this.db, this.tableName, keys)).map((item) => [item.storeId as string, storeFromItem(item)]));
    // A store erased between the index read and the batch read is left out.
    const items = keys.flatMap((key) => found.get(key.storeId) ?? []);
    return { items, ...(LastEvaluatedKey ? { cursor: encodeCursor({ storeId: LastEvaluatedKey.storeId, item: LastEvaluatedKey.item }) } : {}) };
  }

  async setLimits(storeId: string, limits: NonNullable<StoreRecord['limits']>): Promise<boolean> {
    const empty = Object.keys(limits).length === 0;
    return this.updateStore(storeId, empty ? `REMOVE ${STORE_LIMITS_ATTRIBUTE}` : `SET ${STORE_LIMITS_ATTRIBUTE} = :limits`, empty ? {} : { ':limits': limits });
  }

  async setPause(storeId: string, pause: { readonly at: string; readonly reason: string } | undefined): Promise<boolean> {
    const [pausedAt, pauseReason] = STORE_PAUSE_ATTRIBUTES;
    if (!pause) return this.updateStore(storeId, `REMOVE ${pausedAt}, ${pauseReason}`, {});
    // The first pause's time stands while a second reason is given.
    return this.updateStore(storeId, `SET ${pausedAt} = if_not_exists(${pausedAt}, :at), ${pauseReason} = :reason`, { ':at': pause.at, ':reason': pause.reason });
  }

  private updateStore(storeId: string, update: string, values: Record<string, unknown>): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { storeId, item: STORE_ITEM },
          UpdateExpression: update,
          ConditionExpression: 'attribute_exists(storeId)',
          ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
        }),
      ),
    );
  }

  async getStore(storeId: string): Promise<StoreRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { storeId, item: STORE_ITEM } }));
    return Item ? storeFromItem(Item) : undefined;
  }

  /** One query over the store's partition: the store item and every sender item, page by page. */
  async getStoreProfile(storeId: string): Promise<StoreProfile> {
    let store: StoreRecord | undefined;
    const senders: RegisteredSender[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'storeId = :store',
          ExpressionAttributeValues: { ':store': storeId },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.item === STORE_ITEM) store = storeFromItem(item);
        else if (typeof item.item === 'string' && item.item.startsWith(SENDER_ITEM_PREFIX)) senders.push(senderFromItem(item));
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return store ? { store, senders } : { senders };
  }

  async putStore(record: StoreRecord): Promise<void> {
    // The contact's hash is also written as `addressHash` so the by-address index finds the store.
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...record, item: STORE_ITEM, addressHash: record.contactHash } }));
  }

  async putSender(sender: RegisteredSender): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...sender, item: senderItem(sender.addressHash) } }));
  }

  async removeSender(storeId: string, addressHash: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { storeId, item: senderItem(addressHash) } }));
  }

  async markSenderVerified(storeId: string, addressHash: string, at: Date): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { storeId, item: senderItem(addressHash) },
          UpdateExpression: 'SET #status = :verified, verifiedBy = :link, verifiedAt = :at',
          ConditionExpression: 'attribute_exists(storeId)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':verified': 'verified', ':link': 'link', ':at': at.toISOString() },
        }),
      ),
    );
  }
}
