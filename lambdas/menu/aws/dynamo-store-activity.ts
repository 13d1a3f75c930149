import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AliasRecord } from '../../aliases/ports';
import { BATCH_GET_LIMIT, batchGetAll, documentClient } from '../../aws/dynamo-document';
import { TABLES } from '../../records/table-schema';
import { directionOf } from '../activity';
import type { CountedAlias, MessageSummary, StoreActivity } from '../activity';

/** A store's aliases are read up to this many (customer and reverse together). */
const MAX_ALIASES = 1000;
/** Counting queries in flight at once. */
const COUNT_CONCURRENCY = 8;

const indexName = (table: 'aliases' | 'transmissions', name: string): string => {
  const index = TABLES[table].indexes.find((candidate) => candidate.name === name);
  if (!index) throw new Error(`${table} has no index ${name}`);
  return index.name;
};

async function inBatches<T, R>(items: readonly T[], size: number, work: (batch: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await work(items.slice(start, start + size))));
  return results;
}

/** What a store's menu shows of its aliases and transmission records, read from the two tables' by-store indexes. */
export class DynamoStoreActivity implements StoreActivity {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tables: { readonly aliases: string; readonly transmissions: string },
  ) {
    this.db = documentClient(client);
  }

  async customerAliases(storeId: string, limit: number): Promise<CountedAlias[]> {
    const names = await this.aliasNamesOf(storeId);
    const records = await inBatches(names, BATCH_GET_LIMIT, (batch) => this.getAliases(batch));
    const replies = new Map<string, string[]>();
    for (const record of records) {
      if (record.kind === 'merchant' && record.customerAlias) replies.set(record.customerAlias, [...(replies.get(record.customerAlias) ?? []), record.alias]);
    }
    const customers = records
      .filter((record) => record.kind === 'customer')
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, limit);
    return inBatches(customers, COUNT_CONCURRENCY, (batch) =>
      Promise.all(
        batch.map(async (record) => {
          const fromCustomer = await Promise.all((replies.get(record.alias) ?? []).map((reply) => this.relayedTo(reply)));
          return { record, toCustomer: await this.relayedTo(record.alias), fromCustomer: fromCustomer.reduce((sum, count) => sum + count, 0) };
        }),
      ),
    );
  }

  async messages(storeId: string, limit: number): Promise<MessageSummary[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tables.transmissions,
        IndexName: indexName('transmissions', 'byStore'),
        KeyConditionExpression: 'storeId = :store',
        ExpressionAttributeValues: { ':store': storeId },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? [])
      .filter((item) => item.outcome === 'relayed' || item.outcome === 'refused')
      .map((item) => ({
        at: String(item.receivedAt),
        direction: directionOf(item.direction as MessageSummary['direction'], String(item.aliasId)),
        alias: String(item.aliasId),
        outcome: item.outcome as MessageSummary['outcome'],
        ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
        sizeBytes: Number(item.sizeBytes ?? 0),
      }));
  }

  private async aliasNamesOf(storeId: string): Promise<string[]> {
    const names: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tables.aliases,
          IndexName: indexName('aliases', 'byStore'),
          KeyConditionExpression: 'storeId = :store',
          ExpressionAttributeValues: { ':store': storeId },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const item of page.Items ?? []) names.push(String(item.alias));
      cursor = page.LastEvaluatedKey;
    } while (cursor && names.length < MAX_ALIASES);
    return names.slice(0, MAX_ALIASES);
  }

  private async getAliases(names: string[]): Promise<AliasRecord[]> {
    // The address ciphertext is never read: the menu has no use for it.
    const attributes = ['alias', 'kind', 'storeId', 'orderId', 'customerAlias', 'createdAt', 'expiresAt', 'purgeAt', 'pausedUntil', 'disabledAt'];
    return (await batchGetAll(this.db, this.tables.aliases, names.map((alias) => ({ alias })), attributes)) as unknown as AliasRecord[];
  }


  private async relayedTo(alias: string): Promise<number> {
    let count = 0;
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tables.transmissions,
          IndexName: indexName('transmissions', 'byAlias'),
          KeyConditionExpression: 'aliasId = :alias',
          FilterExpression: 'outcome = :relayed',
          ExpressionAttributeValues: { ':alias': alias, ':relayed': 'relayed' },
          Select: 'COUNT',
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      count += page.Count ?? 0;
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return count;
  }
}
