import { GetCommand, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeletionRequestLog, DeletionRequestRecord } from '../deletion-requests';
import { conditionHeld, DynamoTable, expiryIndexAttributes } from '../../aws/dynamo-document';

/** Partition of the receipts table that holds deletion requests (`receiptId` = the request ID). */
const DELETION_REQUEST_KIND = 'deletion-request';

/** Deletion requests in the receipts table, beside the receipts they lead to. */
export class DynamoDeletionRequests extends DynamoTable implements DeletionRequestLog {
  async accept(record: DeletionRequestRecord): Promise<void> {
    const { requestId, ...rest } = record;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { kind: DELETION_REQUEST_KIND, receiptId: requestId, ...rest, ...expiryIndexAttributes(record.purgeAt, `${DELETION_REQUEST_KIND}/${requestId}`) },
        ConditionExpression: 'attribute_not_exists(receiptId)',
      }),
    );
  }

  async get(requestId: string): Promise<DeletionRequestRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { kind: DELETION_REQUEST_KIND, receiptId: requestId }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { kind: _kind, receiptId: _id, expiryBucket: _bucket, doneReceiptId, ...rest } = Item;
    return { ...(rest as Omit<DeletionRequestRecord, 'requestId' | 'receiptId'>), requestId, ...(typeof doneReceiptId === 'string' ? { receiptId: doneReceiptId } : {}) };
  }

  /** Every request on record, for the yearly statement. */
  async list(): Promise<DeletionRequestRecord[]> {
    const records: DeletionRequestRecord[] = [];
    const pages = paginateQuery({ client: this.db }, { TableName: this.tableName, KeyConditionExpression: '#kind = :kind', ExpressionAttributeNames: { '#kind': 'kind' }, ExpressionAttributeValues: { ':kind': DELETION_REQUEST_KIND } });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { kind: _kind, receiptId, expiryBucket: _bucket, doneReceiptId, ...rest } = item;
        records.push({ ...(rest as Omit<DeletionRequestRecord, 'requestId' | 'receiptId'>), requestId: String(receiptId), ...(typeof doneReceiptId === 'string' ? { receiptId: doneReceiptId } : {}) });
      }
    }
    return records;
  }

  async markDone(requestId: string, receiptId: string): Promise<void> {
    await conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { kind: DELETION_REQUEST_KIND, receiptId: requestId },
          UpdateExpression: 'SET #status = :done, doneReceiptId = :receipt',
          ConditionExpression: 'attribute_exists(receiptId)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':done': 'done', ':receipt': receiptId },
        }),
      ),
    );
  }
}
