import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AliasRetirer } from '../core/retention-ports';
import { retiredAliasKey } from './dynamo-alias-store';
import { DynamoTable } from './dynamo-document';

/**
 * Writes a retired customer alias's `retired#<hash>` item. Aliases issued with it already have one;
 * writing it again just before the alias is deleted also covers any that do not. The item is its
 * key alone, so a repeated write is the same write.
 */
export class DynamoAliasRetirer extends DynamoTable implements AliasRetirer {
  async keepRetiredName(alias: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { alias: retiredAliasKey(alias) } }));
  }
}
