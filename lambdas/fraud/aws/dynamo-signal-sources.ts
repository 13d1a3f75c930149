import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../aws/dynamo-document';
import { OVER_LIMIT_ATTRIBUTE, rateCounterKey, STORE_ITEM, TABLES } from '../../records/table-schema';
import { storeCounterSubject } from '../../relay/rate-limits';
import type { SignalSources } from '../ports';
import type { AccessEvent, DayRecord } from '../signals';

const BY_STORE = TABLES.transmissions.indexes.find((index) => index.name === 'byStore')!;
const FEEDBACK_PREFIX = 'feedback/';

/**
 * The signals' reads: the stores table's store items (a scan: the table holds one item per store
 * and per registered sender, small beside the records), each store's records through the
 * transmissions table's by-store-and-time index, its access records by time in its partition, and
 * its rate-limit counter item of the day.
 */
export class DynamoSignalSources implements SignalSources {
  private readonly db;

  constructor(
    client: DynamoDBClient,
    private readonly tables: { readonly stores: string; readonly transmissions: string; readonly access: string },
  ) {
    this.db = documentClient(client);
  }

  async storeIds(): Promise<string[]> {
    const ids: string[] = [];
    const pages = paginateScan(
      { client: this.db },
      { TableName: this.tables.stores, FilterExpression: '#item = :store', ProjectionExpression: 'storeId', ExpressionAttributeNames: { '#item': 'item' }, ExpressionAttributeValues: { ':store': STORE_ITEM } },
    );
    for await (const page of pages) for (const item of page.Items ?? []) ids.push(String(item.storeId));
    return ids;
  }

  async recordsOfStore(storeId: string, from: Date, to: Date): Promise<DayRecord[]> {
    const items = await this.query({
      TableName: this.tables.transmissions,
      IndexName: BY_STORE.name,
      KeyConditionExpression: '#store = :store AND #at BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#store': 'storeId', '#at': 'receivedAt' },
      ExpressionAttributeValues: { ':store': storeId, ':from': from.toISOString(), ':to': new Date(to.getTime() - 1).toISOString() },
    });
    return items.map((item) => {
      const feedback = String(item.transmissionId).startsWith(FEEDBACK_PREFIX);
      return {
        storeId,
        aliasId: String(item.aliasId ?? ''),
        receivedAt: String(item.receivedAt),
        kind: feedback ? (item.kind === 'complaint' ? 'complaint' : 'bounce') : 'delivery',
        ...(typeof item.direction === 'string' ? { direction: item.direction } : {}),
        ...(typeof item.outcome === 'string' ? { outcome: item.outcome } : {}),
        ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
      };
    });
  }

  async accessOfStore(storeId: string, from: Date, to: Date): Promise<AccessEvent[]> {
    const items = await this.query({
      TableName: this.tables.access,
      KeyConditionExpression: '#store = :store AND #id BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#store': 'storeId', '#id': 'accessId' },
      // Access IDs are `<ISO time>#<random>`: the day's run from its first instant to just before the next.
      ExpressionAttributeValues: { ':store': storeId, ':from': from.toISOString(), ':to': to.toISOString() },
    });
    return items.map((item) => ({ storeId, at: String(item.at), clientIp: String(item.clientIp ?? 'unknown'), action: String(item.action ?? ''), result: String(item.result ?? '') }));
  }

  async overLimitOfStore(storeId: string, day: string): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tables.transmissions, Key: rateCounterKey(storeCounterSubject(storeId), day), ProjectionExpression: '#over', ExpressionAttributeNames: { '#over': OVER_LIMIT_ATTRIBUTE } }),
    );
    return typeof Item?.[OVER_LIMIT_ATTRIBUTE] === 'number' ? Item[OVER_LIMIT_ATTRIBUTE] : 0;
  }

  private async query(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client: this.db }, input)) items.push(...(page.Items ?? []));
    return items;
  }
}
