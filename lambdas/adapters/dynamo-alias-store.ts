import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AliasRecord, AliasStore } from '../core/ports';
import { DynamoTable, isConditionFailure } from './dynamo-document';

/** Aliases table: one item per alias, keyed by its name. */
export class DynamoAliasStore extends DynamoTable implements AliasStore {
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
}
