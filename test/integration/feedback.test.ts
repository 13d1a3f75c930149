import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { documentClient } from '../../lambdas/aws/dynamo-document';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { createFeedbackHandler } from '../../lambdas/feedback/app';
import type { FeedbackHandler } from '../../lambdas/feedback/app';
import { RelayHarness } from './support/relay-harness';
import { captureProcessOutput } from '../support/capture-output';

const STORE_CONTACT = 'owner@shop.example';
const STORE_SENDER = 'news@shop.example';
const CUSTOMERS = { paused: 'taro@example.com', transient: 'hanako@example.com' } as const;
const REAL_ADDRESSES = [STORE_CONTACT, STORE_SENDER, ...Object.values(CUSTOMERS)];
const PAUSE_DAYS = 7;

let relay: RelayHarness;
let feedback: FeedbackHandler;
const logLines: string[] = [];

type SesEvent = Record<string, unknown> & { mail: Record<string, unknown> };

function fixture(name: 'bounce-permanent' | 'bounce-transient' | 'complaint'): SesEvent {
  return JSON.parse(readFileSync(new URL(`../fixtures/ses/${name}.json`, import.meta.url), 'utf8')) as SesEvent;
}

/** The fixture made to describe the relayed mail: its outbound message ID, sending alias and recipient. */
function eventFor(name: 'bounce-permanent' | 'bounce-transient' | 'complaint', sent: { messageId: string; from: string; destinations: string[] }): string {
  const event = fixture(name);
  const now = new Date().toISOString();
  const detail = name === 'complaint' ? 'complaint' : 'bounce';
  const text = JSON.stringify({
    ...event,
    [detail]: { ...(event[detail] as object), timestamp: now },
    mail: { ...event.mail, timestamp: now, messageId: sent.messageId, source: sent.from, destination: sent.destinations },
  });
  // The fixtures' example recipient becomes the real one, so a leak of it would show.
  return text.replaceAll('taro@example.com', sent.destinations[0] ?? '');
}

function sqsEvent(...bodies: string[]): SQSEvent {
  return {
    Records: bodies.map(
      (body): SQSRecord => ({
        messageId: randomUUID(),
        receiptHandle: `local-${randomUUID()}`,
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:ap-northeast-1:000000000000:feedback',
        awsRegion: 'ap-northeast-1',
      }),
    ),
  };
}

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'demo-shop', '--name', 'デモ商店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
  const { settings, clients } = relay.stack;
  feedback = createFeedbackHandler({
    clients: { dynamodb: clients.dynamodb },
    settings: {
      aliasesTable: settings.aliasesTable,
      transmissionsTable: settings.transmissionsTable,
      relayDomain: settings.relayDomain,
      hardBouncePauseDays: PAUSE_DAYS,
      transmissionRetentionDays: settings.transmissionRetentionDays,
    },
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

async function issue(orderId: string, customer: string): Promise<IssueAliasResult> {
  return relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'demo-shop', '--order-id', orderId, '--customer', customer]);
}

/** The store writes to the customer alias; returns the transmission record and what SES was given. */
async function storeWrites(alias: IssueAliasResult) {
  const sent = await relay.send({ envelope: { from: STORE_SENDER, to: [alias.address] }, from: STORE_SENDER, to: alias.address, subject: '発送のお知らせ', text: '発送しました。\r\n' });
  const record = await relay.transmission(sent.sesMessageId);
  const outbound = record.outboundMessageId ? (await relay.outbound(record.outboundMessageId)).envelope : undefined;
  return { record, outbound };
}

async function aliasItem(alias: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documentClient(relay.stack.clients.dynamodb).send(new GetCommand({ TableName: relay.stack.settings.aliasesTable, Key: { alias }, ConsistentRead: true }));
  return Item;
}

async function feedbackRecords(): Promise<Record<string, unknown>[]> {
  const { Items } = await documentClient(relay.stack.clients.dynamodb).send(
    new ScanCommand({ TableName: relay.stack.settings.transmissionsTable, FilterExpression: 'begins_with(transmissionId, :prefix)', ExpressionAttributeValues: { ':prefix': 'feedback/' } }),
  );
  return Items ?? [];
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('bounce and complaint feedback', () => {
    it('pauses the customer alias on a permanent bounce, so the next mail to it is refused', async () => {
      const alias = await issue('2001', CUSTOMERS.paused);
      const first = await storeWrites(alias);
      expect(first.record.outcome).toBe('relayed');

      const response = await feedback(sqsEvent(eventFor('bounce-permanent', first.outbound!)));

      expect(response.batchItemFailures).toEqual([]);
      const item = await aliasItem(alias.alias);
      expect(Date.parse(String(item?.pausedUntil))).toBeGreaterThan(Date.now() + (PAUSE_DAYS - 1) * 86_400_000);
      const next = await storeWrites(alias);
      expect(next.record).toMatchObject({ outcome: 'refused', reason: 'alias_paused', aliasId: alias.alias, storeId: 'demo-shop' });
      expect(next.record.bounced).toBeUndefined();
      const records = (await feedbackRecords()).filter((record) => record.sesMessageId === first.outbound!.messageId);
      expect(records).toEqual([
        expect.objectContaining({ kind: 'bounce', bounceType: 'Permanent', aliasId: alias.alias, storeId: 'demo-shop', direction: 'merchant_to_customer', pausedUntil: item?.pausedUntil }),
      ]);
    });

    it('pauses nothing on a transient bounce', async () => {
      const alias = await issue('2002', CUSTOMERS.transient);
      const first = await storeWrites(alias);

      await feedback(sqsEvent(eventFor('bounce-transient', first.outbound!)));

      expect((await aliasItem(alias.alias))?.pausedUntil).toBeUndefined();
      expect((await storeWrites(alias)).record.outcome).toBe('relayed');
      expect((await feedbackRecords()).filter((record) => record.sesMessageId === first.outbound!.messageId)).toEqual([
        expect.objectContaining({ kind: 'bounce', bounceType: 'Transient', aliasId: alias.alias }),
      ]);
    });

    it('records a complaint once, however often it is delivered, without any address', async () => {
      const alias = await issue('2002', CUSTOMERS.transient);
      const { outbound } = await storeWrites(alias);
      const body = eventFor('complaint', outbound!);

      const response = await feedback(sqsEvent(body, body));
      await feedback(sqsEvent(body));

      expect(response.batchItemFailures).toEqual([]);
      const records = (await feedbackRecords()).filter((record) => record.sesMessageId === outbound!.messageId);
      expect(records).toEqual([expect.objectContaining({ kind: 'complaint', complaintFeedbackType: 'abuse', aliasId: alias.alias, storeId: 'demo-shop' })]);
      const stored = JSON.stringify(records);
      for (const address of REAL_ADDRESSES) expect(stored).not.toContain(address);
      expect((await aliasItem(alias.alias))?.pausedUntil).toBeUndefined();
    });

    it('reports a record it cannot parse as a batch item failure and handles the rest', async () => {
      const alias = await issue('2002', CUSTOMERS.transient);
      const { outbound } = await storeWrites(alias);
      const event = sqsEvent('{"not":"ses"}', eventFor('bounce-transient', outbound!));

      const response = await feedback(event);

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
      expect((await feedbackRecords()).some((record) => record.sesMessageId === outbound!.messageId)).toBe(true);
    });

    it('logs no real address, neither the records nor the events', () => {
      const logs = logLines.join('');

      expect(logs).toContain('alias_paused');
      expect(logs).toContain('duplicate_feedback_skipped');
      for (const address of REAL_ADDRESSES) expect(logs).not.toContain(address);
    });
  });
});
