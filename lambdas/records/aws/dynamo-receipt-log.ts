import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ReceiptSigner } from '../ports';
import { GENESIS_HASH, sealedHash, signedMessage } from '../receipt-chain';
import type { ChainHead, ReceiptSeal, SealedReceipt } from '../receipt-chain';
import { RECEIPT_KINDS } from '../receipts';
import type { Receipt, ReceiptKind, ReceiptLog, ReceiptQuery } from '../receipts';
import { DynamoTable, expiryIndexAttributes } from '../../aws/dynamo-document';

/** The item naming the newest receipt of a kind: `kind = chain#<kind>`, `receiptId = head`; it never expires. */
const chainHeadKey = (kind: ReceiptKind) => ({ kind: `chain#${kind}`, receiptId: 'head' });

/** Writers of one kind racing for the head try again, at most this often. */
const MAX_SEAL_ATTEMPTS = 5;


/**
 * Receipts table: partition `kind`, sort `receiptId` (which starts with the time). A receipt is
 * sealed (signed, linked to the previous one of its kind) and put once under a condition, in one
 * transaction with its kind's chain head, so nothing can overwrite one and two writers cannot fork
 * the chain; the functions that write receipts have no update or delete permission on the table
 * beyond the retention run's expiry of old receipts.
 */
export class DynamoReceiptLog extends DynamoTable implements ReceiptLog {
  constructor(
    client: DynamoDBClient,
    tableName: string,
    /** Needed to record; readers go without. */
    private readonly signer?: ReceiptSigner,
  ) {
    super(client, tableName);
  }

  async record(receipt: Receipt): Promise<void> {
    if (!this.signer) throw new Error('recording a receipt needs the receipt signing key');
    for (let attempt = 1; ; attempt += 1) {
      const head = await this.head(receipt.kind);
      const link: Omit<ReceiptSeal, 'signature' | 'signingKeyId'> = head ? { previousHash: head.hash, previousReceiptId: head.receiptId } : { previousHash: GENESIS_HASH };
      const unsigned = { ...receipt, ...link };
      const { signature, keyId } = await this.signer.sign(signedMessage(unsigned));
      const sealed: SealedReceipt = { ...unsigned, signature, signingKeyId: keyId };
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...sealed, ...expiryIndexAttributes(sealed.purgeAt, `${sealed.kind}/${sealed.receiptId}`) },
                  ConditionExpression: 'attribute_not_exists(receiptId)',
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...chainHeadKey(receipt.kind), hash: sealedHash(sealed), headId: sealed.receiptId },
                  ...(head
                    ? { ConditionExpression: '#hash = :previous', ExpressionAttributeNames: { '#hash': 'hash' }, ExpressionAttributeValues: { ':previous': head.hash } }
                    : { ConditionExpression: 'attribute_not_exists(receiptId)' }),
                },
              },
            ],
          }),
        );
        return;
      } catch (error) {
        // Another receipt of the kind took the head first: link to it instead.
        if (!(error instanceof Error && error.name === 'TransactionCanceledException') || attempt >= MAX_SEAL_ATTEMPTS) throw error;
      }
    }
  }

  /** The newest receipt of a kind as its chain head names it; absent before the first sealed receipt. */
  async head(kind: ReceiptKind): Promise<ChainHead | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: chainHeadKey(kind), ConsistentRead: true }));
    return typeof Item?.hash === 'string' && typeof Item.headId === 'string' ? { hash: Item.hash, receiptId: Item.headId } : undefined;
  }

  /** Every receipt of a kind, oldest first, with its seal. */
  async chain(kind: ReceiptKind): Promise<(Receipt & Partial<ReceiptSeal>)[]> {
    const receipts: (Receipt & Partial<ReceiptSeal>)[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#kind = :kind',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':kind': kind },
          ConsistentRead: true,
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const { expiryBucket: _bucket, ...receipt } = item;
        receipts.push(receipt as Receipt & Partial<ReceiptSeal>);
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return receipts;
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
