import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AliasPauser, AliasRecord, AliasStore, PauseResult } from '../core/ports';
import { DynamoTable, isConditionFailure } from './dynamo-document';

/** Aliases table: one item per alias, keyed by its name. */
export class DynamoAliasStore extends DynamoTable implements AliasStore, AliasPauser {
  async getAlias(alias: string): Promise<AliasRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { alias }, ConsistentRead: true }));
    return Item as AliasRecord | undefined;
  }

  async putAliasIfAbsent(record: AliasRecord): Promise<{ record: AliasRecord; created: boolean }> {
    try {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: { ...record }, ConditionExpression: 'attribute_not_exists(alias)' }),
      );
      return { record, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.getAlias(record.alias);
      // Deleted between the failed condition and the read: only possible during destruction.
      if (!existing) throw new Error(`alias ${record.alias} vanished while being issued`, { cause: error });
      return { record: existing, created: false };
    }
  }

  /**
   * The condition keeps a pause from creating a stub item for an alias that was purged, and from
   * shortening a longer pause. ISO 8601 instants from `toISOString` compare correctly as strings.
   */
  async pauseAlias(alias: string, until: Date): Promise<PauseResult> {
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
}
