import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AliasRetiredError, retiredAliasHash } from '../names';
import type { AliasAdministration, AliasBlocking, AliasRecord, AliasStore, DisableResult } from '../ports';
import { RETIRED_ALIAS_PREFIX, TABLES } from '../../records/table-schema';
import { conditionHeld, DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';

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
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(alias)' } },
              { Put: { TableName: this.tableName, Item: retiredNameItem(record.alias), ConditionExpression: 'attribute_not_exists(alias)' } },
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
