import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Receipt, ReceiptKind, ReceiptLog, ReceiptQuery } from '../receipts';
import { DynamoTable, expiryIndexAttributes } from '../../aws/dynamo-document';

const RECEIPT_KINDS: readonly ReceiptKind[] = ['retention', 'destruction', 'termination'];

/**
 * Receipts table: partition `kind`, sort `receiptId` (which starts with the time). A receipt is put
 * once under a condition, so nothing can overwrite one; the functions that write receipts have no
 * update or delete permission on the table beyond the retention run's expiry of old receipts.
 */
export class DynamoReceiptLog extends DynamoTable implements ReceiptLog {
  async record(receipt: Receipt): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...receipt, ...expiryIndexAttributes(receipt.purgeAt, `${receipt.kind}/${receipt.receiptId}`) },
        ConditionExpression: 'attribute_not_exists(receiptId)',
      }),
    );
  }

  async get(kind: ReceiptKind, receiptId: string): Promise<Receipt | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { kind, receiptId }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { expiryBucket: _bucket, ...receipt } = Item;
    return receipt as Receipt;
  }

  async list(query: ReceiptQuery): Promise<Receipt[]> {
    const kinds = query.kind === undefined ? RECEIPT_KINDS : [query.kind];
    const perKind = await Promise.all(kinds.map((kind) => this.newest(kind, query.limit)));
    return perKind
      .flat()
      .sort((a, b) => (a.receiptId < b.receiptId ? 1 : a.receiptId > b.receiptId ? -1 : 0))
      .slice(0, query.limit);
  }

  private async newest(kind: ReceiptKind, limit: number): Promise<Receipt[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#kind = :kind',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: { ':kind': kind },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => {
      const { expiryBucket: _bucket, ...receipt } = item;
      return receipt as Receipt;
    });
  }
}
