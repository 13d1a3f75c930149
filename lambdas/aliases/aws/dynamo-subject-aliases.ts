import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parseAliasName } from '../names';
import type { AliasDeadline, SubjectAlias, SubjectAliases } from '../../destruction/ports';
import { TABLES } from '../../records/table-schema';
import { DynamoAliasStore, retiredAliasKey } from './dynamo-alias-store';
import { isConditionFailure } from '../../aws/dynamo-document';
import { DynamoSubjectTable } from '../../aws/dynamo-subject-table';
import type { ItemKey } from '../../aws/dynamo-subject-table';

const [BY_ADDRESS_HASH, BY_STORE] = TABLES.aliases.indexes;

/** The aliases table as destruction and termination see it: look-ups by owner and store, deletion, re-dating. */
export class DynamoSubjectAliases extends DynamoSubjectTable implements SubjectAliases {
  /** Retired names are written the one way the aliases table's own adapter writes them. */
  private readonly names: DynamoAliasStore;

  constructor(client: DynamoDBClient, tableName: string) {
    super(client, tableName);
    this.names = new DynamoAliasStore(client, tableName);
  }

  protected readonly partitionKey = TABLES.aliases.partitionKey;

  protected itemKeyOf(key: ItemKey): string {
    return key.alias ?? '';
  }

  async withAddressHash(addressHash: string): Promise<SubjectAlias[]> {
    const items = await this.queryAll({
      IndexName: BY_ADDRESS_HASH.name,
      KeyConditionExpression: '#hash = :hash',
      ProjectionExpression: '#alias, #kind, #store, #customerAlias',
      ExpressionAttributeNames: { '#hash': BY_ADDRESS_HASH.partitionKey, '#alias': 'alias', '#kind': 'kind', '#store': 'storeId', '#customerAlias': 'customerAlias' },
      ExpressionAttributeValues: { ':hash': addressHash },
    });
    return items.flatMap((item): SubjectAlias[] => {
      // The kind is read from the name, which is what the relay trusts too.
      const parsed = typeof item.alias === 'string' ? parseAliasName(item.alias) : undefined;
      if (!parsed) return [];
      return [{ alias: parsed.alias, kind: parsed.kind, storeId: String(item.storeId), ...(typeof item.customerAlias === 'string' ? { customerAlias: item.customerAlias } : {}) }];
    });
  }

  async namesOfStore(storeId: string): Promise<string[]> {
    const items = await this.queryAll({
      IndexName: BY_STORE.name,
      KeyConditionExpression: '#store = :store',
      ExpressionAttributeNames: { '#store': BY_STORE.partitionKey },
      ExpressionAttributeValues: { ':store': storeId },
    });
    return items.map((item) => String(item.alias));
  }

  async stored(aliases: readonly string[]): Promise<string[]> {
    return (await this.existing(aliases.map((alias) => ({ alias })))).map((item) => String(item.alias));
  }

  async unretired(aliases: readonly string[]): Promise<string[]> {
    const retired = new Set((await this.existing(aliases.map((alias) => ({ alias: retiredAliasKey(alias) })))).map((item) => String(item.alias)));
    return aliases.filter((alias) => !retired.has(retiredAliasKey(alias)));
  }

  async remove(alias: string): Promise<boolean> {
    // Only alias names reach here; a retired-name item must outlive every destruction.
    if (!parseAliasName(alias)) throw new Error('only an alias item can be removed as an alias');
    return this.removeItem({ alias });
  }

  async keepRetiredName(alias: string): Promise<void> {
    await this.names.keepRetiredName(alias);
  }

  async bringForward(alias: string, deadline: AliasDeadline): Promise<boolean> {
    const expired = await this.expireBy(alias, deadline.expiresAt);
    const redated = await this.bringPurgeAtForward({ alias }, deadline.purgeAt);
    return expired || redated;
  }

  /** ISO 8601 instants from `toISOString` compare correctly as strings. */
  private async expireBy(alias: string, at: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { alias },
          UpdateExpression: 'SET #expiresAt = :at',
          ConditionExpression: 'attribute_exists(#alias) AND #expiresAt > :at',
          ExpressionAttributeNames: { '#alias': 'alias', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':at': at.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
