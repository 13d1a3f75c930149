import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';
import type { VerificationTokens } from '../ports';

const TOKEN_PREFIX = 'verification#';

/**
 * Sender verification links in the stores table, in the store's partition
 * (`item = verification#<hash of the token>`), so erasing the store erases them; gone by TTL a day on.
 * The sender's hash is kept as `senderHash`, not `addressHash`, so the by-address index does not list it.
 */
export class DynamoVerificationTokens extends DynamoTable implements VerificationTokens {
  async put(token: { readonly storeId: string; readonly tokenHash: string; readonly addressHash: string; readonly expiresAt: Date }): Promise<void> {
    const item = `${TOKEN_PREFIX}${token.tokenHash}`;
    const purgeAt = Math.ceil(token.expiresAt.getTime() / 1000);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { storeId: token.storeId, item, senderHash: token.addressHash, purgeAt, ...expiryIndexAttributes(purgeAt, `${token.storeId}/${item}`) },
      }),
    );
  }

  /** Deleting is the use: of two clicks at once, one finds the item. */
  async take(storeId: string, tokenHash: string, now: Date): Promise<string | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { storeId, item: `${TOKEN_PREFIX}${tokenHash}` },
          ConditionExpression: 'attribute_exists(senderHash) AND purgeAt > :now',
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return typeof Attributes?.senderHash === 'string' ? Attributes.senderHash : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
