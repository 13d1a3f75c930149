import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { EXPIRY_BUCKET_ATTRIBUTE, expiryBucket } from '../records/table-schema';

/** Document client with the marshalling options every adapter relies on. */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The expiry-index attribute an item with a `purgeAt` must carry, so the retention run finds it;
 * written by the adapter beside every `purgeAt` it writes. `itemKey` is the item's key values joined by `/`.
 */
export function expiryIndexAttributes(purgeAt: number | undefined, itemKey: string): { [EXPIRY_BUCKET_ATTRIBUTE]?: string } {
  return purgeAt === undefined ? {} : { [EXPIRY_BUCKET_ATTRIBUTE]: expiryBucket(purgeAt, itemKey) };
}

/** DynamoDB's limit on the keys of one BatchGetItem. */
export const BATCH_GET_LIMIT = 100;
const BATCH_GET_ROUNDS = 8;

/**
 * The items of up to {@link BATCH_GET_LIMIT} keys of one table, in no particular order, reading
 * only `attributes` when given. Keys DynamoDB leaves unprocessed (throttling) are asked for again
 * after a growing pause; still unprocessed after eight rounds, it throws rather than answer with
 * part of them.
 */
export async function batchGetAll(db: DynamoDBDocumentClient, table: string, keys: readonly Record<string, unknown>[], attributes?: readonly string[]): Promise<Record<string, unknown>[]> {
  const projection =
    attributes === undefined ? {} : { ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '), ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])) };
  const found: Record<string, unknown>[] = [];
  let pending: Record<string, unknown>[] | undefined = [...keys];
  for (let round = 0; pending && pending.length > 0; round += 1) {
    if (round >= BATCH_GET_ROUNDS) throw new Error(`BatchGetItem left keys unprocessed ${BATCH_GET_ROUNDS} times in a row`);
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
    const { Responses, UnprocessedKeys }: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ...projection } } }));
    found.push(...(Responses?.[table] ?? []));
    pending = UnprocessedKeys?.[table]?.Keys;
  }
  return found;
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Whether a conditional write went through: false when its condition failed; any other error is thrown. */
export async function conditionHeld(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** An item key a listing goes on after, as the caller holds it: opaque, so its shape can change unnoticed. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The key a cursor from {@link encodeCursor} stands for, or undefined when it is not one: it must
 * hold exactly `attributes`, each a string, so a forged cursor cannot steer the query elsewhere.
 */
export function decodeCursor(cursor: string, attributes: readonly string[]): Record<string, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed);
  const wanted = new Set(attributes);
  if (entries.length !== wanted.size || entries.some(([name, value]) => !wanted.has(name) || typeof value !== 'string' || value.length > 1024)) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Base of every table adapter: one table, reached through the shared document client settings. */
export abstract class DynamoTable {
  protected readonly db: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
  ) {
    this.db = documentClient(client);
  }
}
