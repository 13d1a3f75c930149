import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../lambdas/aws/dynamo-document';
import type { ChainReport } from '../../lambdas/records/receipt-chain';
import { RelayHarness } from './support/relay-harness';

/** `anshin receipts verify` on the local stack: every receipt signed and chained, tampering found. */

let relay: RelayHarness;

beforeAll(async () => {
  relay = await RelayHarness.start();
  for (const storeId of ['chain-a', 'chain-b', 'chain-c']) {
    await relay.cli(['store', 'create', '--store-id', storeId, '--contact', `owner@${storeId}.example`, '--sender', `news@${storeId}.example`]);
    await relay.cli(['destroy', '--store-id', storeId, '--yes']);
  }
}, 120_000);

afterAll(async () => {
  await relay?.stop();
});

const db = () => documentClient(relay.stack.clients.dynamodb);
const table = () => relay.stack.endpoints.tables.receipts;

async function destructionReceiptIds(): Promise<string[]> {
  const { Items = [] } = await db().send(
    new QueryCommand({ TableName: table(), KeyConditionExpression: '#kind = :kind', ExpressionAttributeNames: { '#kind': 'kind' }, ExpressionAttributeValues: { ':kind': 'destruction' } }),
  );
  return Items.map((item) => String(item.receiptId));
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('anshin receipts verify', () => {
    it('finds every receipt signed and every chain whole', async () => {
      const reports = await relay.cli<ChainReport[]>(['receipts', 'verify']);
      expect(reports.find((report) => report.kind === 'destruction')).toEqual({ kind: 'destruction', checked: 3, unsigned: 0 });
      expect(reports.every((report) => report.broken === undefined)).toBe(true);
    });

    it('fails naming a receipt edited by hand in the table', async () => {
      const [, middle] = await destructionReceiptIds();
      await db().send(
        new UpdateCommand({ TableName: table(), Key: { kind: 'destruction', receiptId: middle }, UpdateExpression: 'SET requestedBy = :who', ExpressionAttributeValues: { ':who': 'someone-else' } }),
      );
      await expect(relay.cli(['receipts', 'verify', '--kind', 'destruction'])).rejects.toThrow(new RegExp(`destruction receipts do not hold at ${middle!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its signature`));
    });

    it('fails naming the receipt after one deleted by hand', async () => {
      const [, middle, last] = await destructionReceiptIds();
      await db().send(new DeleteCommand({ TableName: table(), Key: { kind: 'destruction', receiptId: middle } }));
      await expect(relay.cli(['receipts', 'verify', '--kind', 'destruction'])).rejects.toThrow(/do not hold at .*: its link to the receipt before it does not hold/);
      expect(last).toBeDefined();
    });
  });
});
