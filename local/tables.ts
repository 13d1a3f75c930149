import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { AttributeDefinition, DynamoDBClient, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { TABLES } from '../lambdas/records/table-schema';
import type { TableKey, TableSchema } from '../lambdas/records/table-schema';

export type LocalTableNames = Readonly<Record<TableKey, string>>;

/** Local table names: the schema key with the project prefix, e.g. `anshin-aliases`. */
export const LOCAL_TABLE_NAMES: LocalTableNames = Object.fromEntries(
  (Object.keys(TABLES) as TableKey[]).map((key) => [key, `anshin-${key}`]),
) as Record<TableKey, string>;

function gsiOf(index: TableSchema['indexes'][number]) {
  return {
    IndexName: index.name,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: index.projection === 'keys' ? ('KEYS_ONLY' as const) : ('ALL' as const) },
  };
}

/** A table kept from an earlier version gets the indexes added since, one at a time as DynamoDB allows. */
async function ensureIndexes(client: DynamoDBClient, tableName: string, schema: TableSchema): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of schema.indexes.filter((candidate) => !present.has(candidate.name))) {
    await client.send(new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: attributeDefinitions(schema), GlobalSecondaryIndexUpdates: [{ Create: gsiOf(index) }] }));
  }
}

function keySchema(partitionKey: string, sortKey: string | undefined): KeySchemaElement[] {
  return [{ AttributeName: partitionKey, KeyType: 'HASH' }, ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : [])];
}

function attributeDefinitions(schema: TableSchema): AttributeDefinition[] {
  const types = new Map<string, 'S' | 'N'>([[schema.partitionKey, 'S']]);
  if (schema.sortKey) types.set(schema.sortKey, 'S');
  for (const index of schema.indexes) {
    types.set(index.partitionKey, 'S');
    if (index.sortKey) types.set(index.sortKey, index.sortKeyType === 'number' ? 'N' : 'S');
  }
  return [...types].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

async function existingTables(client: DynamoDBClient): Promise<Set<string>> {
  const names = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const name of page.TableNames ?? []) names.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);
  return names;
}

async function ensureTimeToLive(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  // DynamoDB refuses to enable TTL twice, so a restart must look first.
  if (TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' || TimeToLiveDescription?.TimeToLiveStatus === 'ENABLING') return;
  await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: attribute } }));
}

/**
 * Creates every table of {@link TABLES} that does not exist yet (keys, global secondary indexes
 * with their projections, TTL), so the local tables cannot drift from the deployed ones.
 * Safe to run on every start.
 */
export async function ensureTables(client: DynamoDBClient, names: LocalTableNames = LOCAL_TABLE_NAMES): Promise<void> {
  const existing = await existingTables(client);
  for (const key of Object.keys(TABLES) as TableKey[]) {
    const schema: TableSchema = TABLES[key];
    const tableName = names[key];
    if (!existing.has(tableName)) {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: attributeDefinitions(schema),
          KeySchema: keySchema(schema.partitionKey, schema.sortKey),
          ...(schema.indexes.length > 0
            ? {
                GlobalSecondaryIndexes: schema.indexes.map(gsiOf),
              }
            : {}),
        }),
      );
      await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
    } else if (schema.indexes.length > 0) await ensureIndexes(client, tableName, schema);
    if (schema.ttlAttribute) await ensureTimeToLive(client, tableName, schema.ttlAttribute);
  }
}
