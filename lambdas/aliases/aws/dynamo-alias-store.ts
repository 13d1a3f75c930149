import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AliasRetiredError, retiredAliasHash, reverseAliasRecord } from '../names';
import type { AliasAdministration, AliasBlocking, AliasRecord, AliasStore, DisableResult, Page, PageRequest } from '../ports';
import { InvalidRequestError } from '../stores';
import { RETIRED_ALIAS_PREFIX, TABLES } from '../../records/table-schema';
import { batchGetAll, conditionHeld, decodeCursor, DynamoTable, encodeCursor, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';

const INDEX_KEY = ['alias', 'storeId', 'expiresAt'] as const;

const [, , , BY_STORE_EXPIRY] = TABLES.aliases.indexes;

/** Key of the item that keeps a customer alias name from being issued twice. */
export function retiredAliasKey(alias: string): string {
  return `${RETIRED_ALIAS_PREFIX}${retiredAliasHash(alias)}`;
}

function retiredNameItem(alias: string): { alias: string } {
  return { alias: retiredAliasKey(alias) };
}

/**
 * Aliases table: one item per alias, keyed by its name, plus the retired-name hashes. Besides the
 * relay's `AliasStore` it serves feedback's `AliasPauser` and retention's `AliasRetirer`, which its
 * composition roots check structurally, so the relay's code does not import theirs.
 */
export class DynamoAliasStore extends DynamoTable implements AliasStore, AliasAdministration, AliasBlocking {
  /** Customer aliases only: a reverse alias is the customer's own way to the store. */
  async setBlocked(alias: string, at: string | undefined): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alias },
          UpdateExpression: at === undefined ? 'REMOVE blockedAt' : 'SET blockedAt = if_not_exists(blockedAt, :at)',
          ConditionExpression: 'attribute_exists(alias) AND #kind = :customer',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':customer': 'customer', ...(at === undefined ? {} : { ':at': at }) },
        }),
      ),
    );
  }

  async getAlias(alias: string): Promise<AliasRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { alias }, ConsistentRead: true }));
    return Item as AliasRecord | undefined;
  }

  /**
   * A customer alias is written together with the hash of its name, in one transaction: the hash
   * outlives the alias (no TTL), so once DynamoDB TTL, the retention run or a destruction removes the
   * alias, the same name is refused ({@link AliasRetiredError}) instead of issued again. Reverse
   * aliases need no hash: they are derived from a customer alias and only ever created for a live one.
   */
  async putAliasIfAbsent(record: AliasRecord): Promise<{ record: AliasRecord; created: boolean }> {
    const item = { ...record, ...expiryIndexAttributes(record.purgeAt, record.alias) };
    try {
      if (record.kind === 'customer') {
        const reverse = record.reverseAlias === undefined ? undefined : reverseAliasRecord(record, record.reverseAlias, record.createdAt);
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(alias)' } },
              { Put: { TableName: this.tableName, Item: retiredNameItem(record.alias), ConditionExpression: 'attribute_not_exists(alias)' } },
              ...(reverse
                ? [{ Put: { TableName: this.tableName, Item: { ...reverse, ...expiryIndexAttributes(reverse.purgeAt, reverse.alias) }, ConditionExpression: 'attribute_not_exists(alias)' } }]
                : []),
            ],
          }),
        );
      } else {
        await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(alias)' }));
      }
      return { record, created: true };
    } catch (error) {
      if (!isConditionFailure(error) && !isCancelledByCondition(error)) throw error;
      const existing = await this.getAlias(record.alias);
      if (existing) return { record: existing, created: false };
      if (record.kind === 'customer') throw new AliasRetiredError(`alias ${record.alias} was issued before and has been retired`);
      // Deleted between the failed condition and the read: only possible during destruction.
      throw new Error(`alias ${record.alias} vanished while being issued`, { cause: error });
    }
  }

  /**
   * Writes a customer alias's retired-name item unconditionally: aliases issued with one already
   * have it, and writing it again just before an alias is deleted covers any that do not. The item
   * is its key alone, so a repeated write is the same write.
   */
  async keepRetiredName(alias: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: retiredNameItem(alias) }));
  }

  /**
   * The condition keeps a pause from creating a stub item for an alias that was purged, and from
   * shortening a longer pause. ISO 8601 instants from `toISOString` compare correctly as strings.
   */
  async pauseAlias(alias: string, until: Date): Promise<'paused' | 'already_paused' | 'missing'> {
    const pausedUntil = until.toISOString();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alias },
          UpdateExpression: 'SET pausedUntil = :until',
          ConditionExpression: 'attribute_exists(alias) AND (attribute_not_exists(pausedUntil) OR pausedUntil < :until)',
          ExpressionAttributeValues: { ':until': pausedUntil },
        }),
      );
      return 'paused';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.getAlias(alias)) ? 'already_paused' : 'missing';
    }
  }

  /** Only an existing alias is disabled; ISO 8601 instants from `toISOString` compare correctly as strings. */
  async disableAlias(alias: string, at: Date): Promise<DisableResult> {
    const instant = at.toISOString();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alias },
          UpdateExpression: 'SET disabledAt = :at',
          ConditionExpression: 'attribute_exists(alias) AND attribute_not_exists(disabledAt)',
          ExpressionAttributeValues: { ':at': instant },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.getAlias(alias)) ? 'already_disabled' : 'missing';
    }
    // Never later than it was: an alias that had expired stays as it was.
    await conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alias },
          UpdateExpression: 'SET expiresAt = :at',
          ConditionExpression: 'expiresAt > :at',
          ExpressionAttributeValues: { ':at': instant },
        }),
      ),
    );
    return 'disabled';
  }

  /**
   * Reverse aliases share the index with customer aliases and are filtered out after the read, so
   * pages are read until the listing is full; the cursor is the last alias answered, which lets the
   * next page start right after it even when a read page was only partly used.
   */
  async listCustomerAliases(storeId: string, page: PageRequest): Promise<Page<AliasRecord>> {
    let start = page.cursor === undefined ? undefined : decodeCursor(page.cursor, INDEX_KEY);
    if (page.cursor !== undefined && start?.storeId !== storeId) throw new InvalidRequestError('cursor is not one this listing gave', 'cursor');
    const keys: Record<string, string>[] = [];
    let more = true;
    while (keys.length < page.limit && more) {
      const { Items = [], LastEvaluatedKey } = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_STORE_EXPIRY.name,
          KeyConditionExpression: 'storeId = :store',
          FilterExpression: 'begins_with(alias, :customer)',
          ExpressionAttributeValues: { ':store': storeId, ':customer': 'c-' },
          ScanIndexForward: false,
          Limit: 2 * page.limit,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const taken = Items.slice(0, page.limit - keys.length).map((item) => Object.fromEntries(INDEX_KEY.map((name) => [name, String(item[name])])));
      keys.push(...taken);
      more = taken.length < Items.length || LastEvaluatedKey !== undefined;
      start = LastEvaluatedKey as Record<string, string> | undefined;
    }
    const found = new Map((keys.length === 0 ? [] : await batchGetAll(this.db, this.tableName, keys.map(({ alias }) => ({ alias })))).map((item) => [item.alias as string, item as unknown as AliasRecord]));
    const items = keys.flatMap((key) => found.get(key.alias as string) ?? []);
    const last = keys.at(-1);
    return { items, ...(more && last ? { cursor: encodeCursor(last) } : {}) };
  }

  /** A count through the by-store-and-expiry index: customer aliases expiring after `now`. */
  async countLiveCustomerAliases(storeId: string, now: Date): Promise<number> {
    let count = 0;
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_STORE_EXPIRY.name,
          KeyConditionExpression: 'storeId = :store AND expiresAt > :now',
          FilterExpression: 'begins_with(alias, :customer)',
          ExpressionAttributeValues: { ':store': storeId, ':now': now.toISOString(), ':customer': 'c-' },
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

/** A transaction cancelled because one of its conditions failed (not a conflict or throttling). */
function isCancelledByCondition(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: readonly { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((reason) => reason.Code === 'ConditionalCheckFailed');
}
