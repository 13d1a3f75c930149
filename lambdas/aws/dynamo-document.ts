import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
