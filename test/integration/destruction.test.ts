import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetSuppressedDestinationCommand, PutSuppressedDestinationCommand } from '@aws-sdk/client-sesv2';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CognitoIdentityProvider } from '../../lambdas/menu/aws/cognito-identity-provider';
import { DynamoAccessLog } from '../../lambdas/menu/aws/dynamo-access-log';
import { retiredAliasKey } from '../../lambdas/aliases/aws/dynamo-alias-store';
import { documentClient } from '../../lambdas/aws/dynamo-document';
import { DynamoFeedbackLog } from '../../lambdas/feedback/aws/dynamo-feedback-log';
import { KmsKeyService } from '../../lambdas/keys/aws/kms-key-service';
import { addressMacInput } from '../../lambdas/aliases/address';
import type { Receipt } from '../../lambdas/records/receipts';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { createDestruction, handleDestructionEvent } from '../../lambdas/destruction/app';
import { UnknownCustomerAliasError } from '../../lambdas/destruction/customer-alias';
import { DESTRUCTION_EVENT_TYPES, MARKETPLACE_EVENT_SOURCE } from '../../lambdas/destruction/events';
import type { Destruction, DestructionStep } from '../../lambdas/destruction/app';
import { expiryBucket } from '../../lambdas/records/table-schema';
import type { TableKey } from '../../lambdas/records/table-schema';
import { DEFAULT_CONFIG } from '../../lib/config';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

const TARO = 'taro@example.com';
const HANAKO = 'hanako@example.com';
const JIRO = 'jiro@example.com';
const DAY_SECONDS = 86_400;
const policy = DEFAULT_CONFIG.retention;

interface Shop {
  readonly storeId: string;
  readonly contact: string;
  readonly sender: string;
}

const SHOP_A: Shop = { storeId: 'shop-a', contact: 'owner@shop-a.example', sender: 'news@shop-a.example' };
const SHOP_B: Shop = { storeId: 'shop-b', contact: 'owner@shop-b.example', sender: 'news@shop-b.example' };
const SHOP_C: Shop = { storeId: 'shop-c', contact: 'owner@shop-c.example', sender: 'news@shop-c.example' };

interface Conversation {
  readonly shop: Shop;
  readonly customer: string;
  readonly alias: IssueAliasResult;
  /** The store's reverse alias address, as the customer saw it in From. */
  readonly reverseAddress: string;
  readonly messageIds: readonly string[];
}

let relay: RelayHarness;
let destruction: Destruction;
const logLines: string[] = [];
const conversations = new Map<string, Conversation>();

const reverseAlias = (conversation: Conversation): string => conversation.reverseAddress.split('@')[0] ?? '';
const key = (shop: Shop, customer: string): string => `${shop.storeId}/${customer}`;

async function createShop(shop: Shop): Promise<void> {
  await relay.cli(['store', 'create', '--store-id', shop.storeId, '--contact', shop.contact, '--sender', shop.sender]);
  const log = new DynamoAccessLog(relay.stack.clients.dynamodb, relay.stack.endpoints.tables.access, policy.classes.access.retentionDays);
  for (const action of ['login', 'GET /messages']) {
    await log.record({ storeId: shop.storeId, at: new Date(), clientIp: '203.0.113.7', action, result: 'success' });
  }
}

async function expectRelayed(sesMessageId: string): Promise<{ outboundMessageId: string }> {
  const record = await relay.transmission(sesMessageId);
  expect(record).toMatchObject({ outcome: 'relayed', state: 'done' });
  return { outboundMessageId: record.outboundMessageId ?? '' };
}

/** The store writes to the customer, the customer answers through the reverse alias; a bounce is recorded for the answer. */
async function converse(shop: Shop, orderId: string, customer: string): Promise<Conversation> {
  const alias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', shop.storeId, '--order-id', orderId, '--customer', customer]);
  const toCustomer = await relay.send({ envelope: { from: shop.sender, to: [alias.address] }, from: shop.sender, to: alias.address, subject: `ご注文 ${orderId}`, text: '発送しました。' });
  const { outboundMessageId } = await expectRelayed(toCustomer.sesMessageId);
  const reverseAddress = (await relay.outbound(outboundMessageId)).envelope.from;
  const reply = await relay.send({
    envelope: { from: customer, to: [reverseAddress] },
    from: customer,
    to: reverseAddress,
    subject: `Re: ご注文 ${orderId}`,
    text: `届きました。\n${customer}`,
  });
  const answered = await expectRelayed(reply.sesMessageId);
  await new DynamoFeedbackLog(relay.stack.clients.dynamodb, relay.stack.settings.transmissionsTable).recordFeedback({
    transmissionId: `feedback/${answered.outboundMessageId}/Complaint`,
    sesMessageId: answered.outboundMessageId,
    kind: 'complaint',
    aliasId: alias.alias,
    storeId: shop.storeId,
    direction: 'customer_to_merchant',
    receivedAt: new Date().toISOString(),
    completedAt: new Date().toISOString(),
    purgeAt: Math.floor(Date.now() / 1000) + policy.classes.transmission.retentionDays * DAY_SECONDS,
  });
  const conversation = { shop, customer, alias, reverseAddress, messageIds: [toCustomer.sesMessageId, reply.sesMessageId] };
  conversations.set(key(shop, customer), conversation);
  return conversation;
}

function conversation(shop: Shop, customer: string): Conversation {
  const found = conversations.get(key(shop, customer));
  if (!found) throw new Error(`no conversation of ${shop.storeId}`);
  return found;
}

async function scanTable(table: TableKey): Promise<Record<string, unknown>[]> {
  const db = documentClient(relay.stack.clients.dynamodb);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: relay.stack.endpoints.tables[table], ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every item of every table and every version of every object in the bucket, as searchable text. */
async function everythingStored(): Promise<{ text: string; objectVersions: number }> {
  const parts: string[] = [];
  for (const table of Object.keys(relay.stack.endpoints.tables) as TableKey[]) {
    for (const item of await scanTable(table)) {
      parts.push(JSON.stringify(item, (_k, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value)));
    }
  }
  const bucket = relay.stack.endpoints.inboundBucket;
  let objectVersions = 0;
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const listing = await relay.stack.clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const entry of [...(listing.Versions ?? []), ...(listing.DeleteMarkers ?? [])]) {
      objectVersions += 1;
      parts.push(entry.Key ?? '');
    }
    for (const version of listing.Versions ?? []) {
      const { Body } = await relay.stack.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: version.Key, VersionId: version.VersionId }));
      parts.push(Buffer.from(await Body!.transformToByteArray()).toString('latin1'));
    }
    keyMarker = listing.IsTruncated ? listing.NextKeyMarker : undefined;
    versionIdMarker = listing.IsTruncated ? listing.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return { text: parts.join('\n').toLowerCase(), objectVersions };
}

async function addressHash(address: string): Promise<string> {
  const { keys } = relay.stack.endpoints;
  return new KmsKeyService(relay.stack.clients.kms, { dataKeyId: keys.data, hmacKeyId: keys.hmac }).mac(addressMacInput(address));
}

async function aliasItem(alias: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documentClient(relay.stack.clients.dynamodb).send(new GetCommand({ TableName: relay.stack.endpoints.tables.aliases, Key: { alias } }));
  return Item;
}

function menuAccounts(): CognitoIdentityProviderClient {
  const { endpoints } = relay.stack;
  return new CognitoIdentityProviderClient({ region: endpoints.region, endpoint: endpoints.cognito.url, credentials: endpoints.credentials });
}

async function hasMenuAccount(storeId: string): Promise<boolean> {
  return new CognitoIdentityProvider(menuAccounts(), { userPoolId: relay.stack.endpoints.cognito.userPoolId, clientId: '' }).hasAccount(storeId);
}

async function partition(table: 'stores' | 'access', storeId: string): Promise<Record<string, unknown>[]> {
  const { Items } = await documentClient(relay.stack.clients.dynamodb).send(
    new QueryCommand({ TableName: relay.stack.endpoints.tables[table], KeyConditionExpression: 'storeId = :s', ExpressionAttributeValues: { ':s': storeId } }),
  );
  return Items ?? [];
}

async function storedReceipts(kind: Receipt['kind']): Promise<Receipt[]> {
  const { Items } = await documentClient(relay.stack.clients.dynamodb).send(
    new QueryCommand({ TableName: relay.stack.endpoints.tables.receipts, KeyConditionExpression: '#k = :k', ExpressionAttributeNames: { '#k': 'kind' }, ExpressionAttributeValues: { ':k': kind } }),
  );
  return (Items ?? []) as Receipt[];
}

function writeAs(shop: Shop, to: Conversation) {
  return relay.send({ envelope: { from: shop.sender, to: [to.alias.address] }, from: shop.sender, to: to.alias.address, subject: 'またのご利用を', text: 'お待ちしております。' });
}

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  const { endpoints, clients } = relay.stack;
  destruction = createDestruction({
    clients: { dynamodb: clients.dynamodb, kms: clients.kms, s3: clients.s3, cognito: menuAccounts(), ses: clients.sesv2 },
    settings: { tables: endpoints.tables, inboundBucket: endpoints.inboundBucket, hmacKeyId: endpoints.keys.hmac, addressKeyId: endpoints.keys.data, userPoolId: endpoints.cognito.userPoolId, receiptKeyId: endpoints.keys.receipts, policy },
  });
  for (const shop of [SHOP_A, SHOP_B]) await createShop(shop);
  await converse(SHOP_A, 'A-1', TARO);
  await converse(SHOP_A, 'A-2', HANAKO);
  await converse(SHOP_B, 'B-1', TARO);
  await converse(SHOP_B, 'B-2', HANAKO);
}, 180_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('destroying a customer', () => {
    let receipt: Receipt;
    const steps: DestructionStep[] = [];

    beforeAll(async () => {
      // The search below must be able to see them, or finding nothing would prove nothing.
      const before = await everythingStored();
      expect(before.text).toContain(TARO);
      expect(before.text).toContain(await addressHash(TARO));
      expect(before.text).toContain(reverseAlias(conversation(SHOP_B, TARO)));
      expect(before.objectVersions).toBe(8);
      // As SES does after a hard bounce: both customers on the account's suppression list.
      for (const address of [TARO, HANAKO]) await relay.stack.clients.sesv2.send(new PutSuppressedDestinationCommand({ EmailAddress: address, Reason: 'BOUNCE' }));
      receipt = await destruction.destroy({ kind: 'customer', email: 'Taro@Example.com' }, 'cli', (step) => steps.push(step));
    });

    it('leaves no item, object or version that mentions them, by address, hash or alias', async () => {
      const { text } = await everythingStored();
      const taroConversations = [conversation(SHOP_A, TARO), conversation(SHOP_B, TARO)];
      expect(text).not.toContain(TARO);
      expect(text).not.toContain(await addressHash(TARO));
      for (const taros of taroConversations) {
        expect(text).not.toContain(taros.alias.alias);
        expect(text).not.toContain(reverseAlias(taros));
      }
      expect(receipt).toMatchObject({ kind: 'destruction', verified: true, complete: true, requestedBy: 'cli' });
      // Two aliases each way and the suppression-list entry; three records per conversation (two
      // deliveries, one complaint) and the rate-limit counters of its two aliases; two raw mails per
      // conversation.
      expect(receipt.counts).toEqual({ address: 5, transmission: 10, access: 0, content: 4 });
      expect(steps.reduce((sum, step) => sum + step.removed, 0)).toBe(19);
    });

    it("takes their address off SES's suppression list, and only theirs", async () => {
      const suppressed = async (address: string): Promise<boolean> =>
        relay.stack.clients.sesv2.send(new GetSuppressedDestinationCommand({ EmailAddress: address })).then(
          () => true,
          (error: unknown) => (error instanceof Error && error.name === 'NotFoundException' ? false : Promise.reject(error)),
        );
      expect(await suppressed(TARO)).toBe(false);
      expect(await suppressed(HANAKO)).toBe(true);
    });

    it('keeps the names of their aliases from being issued again', async () => {
      for (const taros of [conversation(SHOP_A, TARO), conversation(SHOP_B, TARO)]) {
        expect(await aliasItem(retiredAliasKey(taros.alias.alias))).toEqual({ alias: retiredAliasKey(taros.alias.alias) });
      }
      await expect(relay.cli(['alias', 'issue', '--store-id', SHOP_A.storeId, '--order-id', 'A-1', '--customer', TARO])).rejects.toThrow(/retired/);
    });

    it("leaves the other customer's conversations in place, still relaying", async () => {
      const { text } = await everythingStored();
      for (const hanakos of [conversation(SHOP_A, HANAKO), conversation(SHOP_B, HANAKO)]) {
        expect(text).toContain(hanakos.alias.alias);
        expect(text).toContain(reverseAlias(hanakos));
        for (const id of hanakos.messageIds) expect((await relay.inboundRaw(id)).length).toBeGreaterThan(0);
      }
      expect(text).toContain(await addressHash(HANAKO));
      await expectRelayed((await writeAs(SHOP_A, conversation(SHOP_A, HANAKO))).sesMessageId);
    });

    it('writes a receipt naming the subject by a receipt-only hash, with no address in it', async () => {
      const [stored] = await storedReceipts('destruction');
      expect(stored).toMatchObject({ receiptId: receipt.receiptId, subject: receipt.subject, counts: receipt.counts });
      const text = JSON.stringify(stored).toLowerCase();
      expect(text).not.toContain('taro');
      expect(text).not.toContain('@');
      expect(text).not.toContain(await addressHash(TARO));
      expect(receipt.subject?.hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('finds nothing left to do the second time', async () => {
      const again = await destruction.destroy({ kind: 'customer', email: TARO }, 'cli');
      expect(again.counts).toEqual({ address: 0, transmission: 0, access: 0, content: 0 });
      expect(again).toMatchObject({ verified: true, subject: receipt.subject });
    });

    it('logs no address', () => {
      expect(logLines.join('').toLowerCase()).not.toContain(TARO);
    });
  });

  describe('destroying a store', () => {
    let receipt: Receipt;

    beforeAll(async () => {
      receipt = await destruction.destroy({ kind: 'store', storeId: SHOP_B.storeId }, 'cli');
    });

    it('leaves nothing of the store: no item, alias, record, access record, raw mail or version', async () => {
      const { text } = await everythingStored();
      expect(text).not.toContain('shop-b');
      expect(text).not.toContain(await addressHash(SHOP_B.sender));
      expect(text).not.toContain(await addressHash(SHOP_B.contact));
      const hanakos = conversation(SHOP_B, HANAKO);
      expect(text).not.toContain(hanakos.alias.alias);
      expect(text).not.toContain(reverseAlias(hanakos));
      expect(await aliasItem(retiredAliasKey(hanakos.alias.alias))).toBeDefined();
      // The store, its sender, Hanako's two aliases; her conversation's three records, the rate-limit
      // counters of the store and her two aliases, and two raw mails; two access records and the menu account.
      expect(receipt).toMatchObject({ verified: true, counts: { address: 4, transmission: 6, access: 3, content: 2 } });
      expect(await hasMenuAccount(SHOP_B.storeId)).toBe(false);
      expect(JSON.stringify(receipt)).not.toContain('shop-b');
    });

    it('leaves the other store in place, still relaying', async () => {
      expect(await partition('stores', SHOP_A.storeId)).toHaveLength(2);
      expect(await partition('access', SHOP_A.storeId)).toHaveLength(2);
      expect(await hasMenuAccount(SHOP_A.storeId)).toBe(true);
      const { text } = await everythingStored();
      expect(text).toContain(conversation(SHOP_A, HANAKO).alias.alias);
      await expectRelayed((await writeAs(SHOP_A, conversation(SHOP_A, HANAKO))).sesMessageId);
    });

    it('refuses mail to its former aliases and finds nothing left to do the second time', async () => {
      const sent = await writeAs(SHOP_B, conversation(SHOP_B, HANAKO));
      expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'unknown_alias' });
      const again = await destruction.destroy({ kind: 'store', storeId: SHOP_B.storeId }, 'cli');
      expect(again.counts).toEqual({ address: 0, transmission: 0, access: 0, content: 0 });
    });
  });

  describe('terminating a store', () => {
    let jiros: Conversation;
    let receipt: Receipt;
    let terminatedAt: Date;

    beforeAll(async () => {
      await createShop(SHOP_C);
      jiros = await converse(SHOP_C, 'C-1', JIRO);
      terminatedAt = new Date();
      receipt = await destruction.terminate(SHOP_C.storeId, 'cli');
    });

    it('stops it relaying at once and issuing aliases', async () => {
      const fromStore = await writeAs(SHOP_C, jiros);
      // The aliases expired with the termination, and expiry is checked before the store.
      expect(await relay.transmission(fromStore.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'expired_alias' });
      const fromCustomer = await relay.send({ envelope: { from: JIRO, to: [jiros.reverseAddress] }, from: JIRO, to: jiros.reverseAddress, subject: 'Re', text: 'もしもし' });
      expect(await relay.transmission(fromCustomer.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'expired_alias' });
      await expect(relay.cli(['alias', 'issue', '--store-id', SHOP_C.storeId, '--order-id', 'C-2', '--customer', HANAKO])).rejects.toThrow(/was terminated/);
    });

    it('dates the erasure of its data to the end of the support periods, expiry-index bucket included', async () => {
      const until = (days: number) => Math.floor(terminatedAt.getTime() / 1000) + days * DAY_SECONDS;
      const addressUntil = until(policy.classes.address.supportDays);
      const near = (value: unknown, expected: number) => expect(Math.abs(Number(value) - expected)).toBeLessThanOrEqual(5);

      const storeItems = await partition('stores', SHOP_C.storeId);
      expect(storeItems).toHaveLength(2);
      for (const item of storeItems) {
        near(item.purgeAt, addressUntil);
        expect(item.expiryBucket).toBe(expiryBucket(Number(item.purgeAt), `${SHOP_C.storeId}/${String(item.item)}`));
      }
      expect(storeItems.find((item) => item.item === 'store')?.terminatedAt).toBeDefined();

      for (const alias of [jiros.alias.alias, reverseAlias(jiros)]) {
        const item = await aliasItem(alias);
        expect(Date.parse(String(item?.expiresAt))).toBeLessThanOrEqual(Date.now());
        near(item?.purgeAt, addressUntil);
        expect(item?.expiryBucket).toBe(expiryBucket(Number(item?.purgeAt), alias));
      }
      for (const item of await partition('access', SHOP_C.storeId)) {
        near(item.purgeAt, until(policy.classes.access.supportDays));
        expect(item.expiryBucket).toBe(expiryBucket(Number(item.purgeAt), `${SHOP_C.storeId}/${String(item.accessId)}`));
      }
      for (const id of jiros.messageIds) {
        const record = await relay.transmission(id);
        expect(record.purgeAt).toBeLessThanOrEqual(until(policy.classes.transmission.supportDays) + 5);
        await expect(relay.inboundRaw(id)).rejects.toThrow();
      }

      expect(receipt).toMatchObject({ kind: 'termination', requestedBy: 'cli', complete: true, counts: { address: 4, access: 2, content: 2 } });
      near(Date.parse(receipt.eraseAt ?? '') / 1000, addressUntil);
      const [stored] = await storedReceipts('termination');
      expect(stored).toMatchObject({ receiptId: receipt.receiptId, eraseAt: receipt.eraseAt });
      expect(JSON.stringify(stored)).not.toMatch(/shop-c|jiro|@/);
    });

    it('leaves the rest for the destruction the retention run asks for when the store comes due', async () => {
      const erased = await destruction.destroy({ kind: 'store', storeId: SHOP_C.storeId }, 'retention');
      expect(erased).toMatchObject({ verified: true, requestedBy: 'retention' });
      const { text } = await everythingStored();
      expect(text).not.toContain('shop-c');
      expect(text).not.toContain(jiros.alias.alias);
      expect(text).not.toContain(JIRO);
    });
  });

  describe('destroying a customer a marketplace event names by alias', () => {
    const SABURO = 'saburo@example.com';
    let receipt: Receipt;

    beforeAll(async () => {
      const saburos = await converse(SHOP_A, 'A-9', SABURO);
      await relay.stack.clients.sesv2.send(new PutSuppressedDestinationCommand({ EmailAddress: SABURO, Reason: 'COMPLAINT' }));
      // The store's reverse alias of the conversation is enough: the event carries no address.
      const event = { source: MARKETPLACE_EVENT_SOURCE, 'detail-type': DESTRUCTION_EVENT_TYPES.customerDeletionRequested, detail: { alias: saburos.reverseAddress } };
      expect(JSON.stringify(event)).not.toContain(SABURO);
      receipt = await handleDestructionEvent(destruction, event);
    });

    it('erases them as their address would, suppression-list entry included', async () => {
      const { text } = await everythingStored();
      expect(text).not.toContain(SABURO);
      expect(text).not.toContain(await addressHash(SABURO));
      expect(text).not.toContain(conversation(SHOP_A, SABURO).alias.alias);
      expect(receipt).toMatchObject({ kind: 'destruction', verified: true, requestedBy: 'event:Customer Deletion Requested', counts: { address: 3, transmission: 5, content: 2 } });
      await expect(relay.stack.clients.sesv2.send(new GetSuppressedDestinationCommand({ EmailAddress: SABURO }))).rejects.toThrow(expect.objectContaining({ name: 'NotFoundException' }));
    });

    it('names them on the receipt by the hash their address gives, so the request can be proven honoured', async () => {
      const byAddress = await destruction.destroy({ kind: 'customer', email: SABURO }, 'cli');
      expect(byAddress.subject).toEqual(receipt.subject);
      expect(byAddress.counts).toEqual({ address: 0, transmission: 0, access: 0, content: 0 });
    });

    it('refuses an alias that leads to no customer any more, by name', async () => {
      const event = { source: MARKETPLACE_EVENT_SOURCE, 'detail-type': DESTRUCTION_EVENT_TYPES.customerDeletionRequested, detail: { alias: conversation(SHOP_A, SABURO).alias.alias } };
      await expect(handleDestructionEvent(destruction, event)).rejects.toThrow(UnknownCustomerAliasError);
    });
  });
});
