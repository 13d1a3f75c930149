import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoAliasStore, retiredAliasKey } from '../../lambdas/aliases/aws/dynamo-alias-store';
import { documentClient, expiryIndexAttributes } from '../../lambdas/aws/dynamo-document';
import { GetSuppressedDestinationCommand, PutSuppressedDestinationCommand } from '@aws-sdk/client-sesv2';
import { KmsReceiptSigner } from '../../lambdas/records/aws/kms-receipt-signer';
import { DynamoReceiptLog } from '../../lambdas/records/aws/dynamo-receipt-log';
import { DynamoStoreDirectory } from '../../lambdas/aliases/aws/dynamo-store-directory';
import { KmsKeyService } from '../../lambdas/keys/aws/kms-key-service';
import { AliasRetiredError } from '../../lambdas/aliases/names';
import type { AliasRecord } from '../../lambdas/aliases/ports';
import { newReceiptId } from '../../lambdas/records/receipts';
import type { Receipt } from '../../lambdas/records/receipts';
import { daysFromThrough, utcDay } from '../../lambdas/records/days';
import { policyVersion } from '../../lambdas/records/retention-policy';
import { CHECKPOINT_KIND } from '../../lambdas/retention/ports';
import type { StoreErasure } from '../../lambdas/retention/ports';
import { issueAlias } from '../../lambdas/aliases/issuance';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { createRetentionRun } from '../../lambdas/retention/app';
import { DEFAULT_CONFIG } from '../../lib/config';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

const DAY_MS = 86_400_000;
const policy = DEFAULT_CONFIG.retention;
const STORE_CONTACT = 'owner@keep.example';
const STORE_SENDER = 'news@keep.example';
const CLOSING_CONTACT = 'owner@closing.example';
const CLOSING_SENDER = 'news@closing.example';
const CUSTOMER = 'taro@example.com';
const REAL_ADDRESSES = [STORE_CONTACT, STORE_SENDER, CLOSING_CONTACT, CLOSING_SENDER, CUSTOMER];

/** Every instant below counts from the moment the data was created. */
const T0 = new Date();
const at = (days: number, hours = 0): Date => new Date(T0.getTime() + days * DAY_MS + hours * 3_600_000);
const epoch = (date: Date): number => Math.floor(date.getTime() / 1000);

let relay: RelayHarness;
let customerAlias: IssueAliasResult;
let reverseAlias: string;
let sesMessageIds: string[];
/** The look-up hashes the relay stores beside real addresses: a receipt must hold none of them. */
let addressHashes: string[];
const erasureRequests: string[] = [];
const logLines: string[] = [];

const recordingErasure: StoreErasure = {
  requestErasure: async (storeId) => {
    erasureRequests.push(storeId);
  },
};

function db() {
  return documentClient(relay.stack.clients.dynamodb);
}

function tables() {
  return relay.stack.endpoints.tables;
}

function retentionRun() {
  return createRetentionRun({
    clients: { dynamodb: relay.stack.clients.dynamodb, kms: relay.stack.clients.kms, s3: relay.stack.clients.s3, ses: relay.stack.clients.sesv2 },
    settings: { tables: tables(), inboundBucket: relay.stack.endpoints.inboundBucket, receiptKeyId: relay.stack.endpoints.keys.receipts, policy },
    storeErasure: recordingErasure,
  });
}

/** Scheduled runs this file made, each of which must have left one receipt. */
let runs = 0;

async function runAt(now: Date, remainingMs?: () => number): Promise<Receipt> {
  runs += 1;
  return retentionRun()({ now, requestedBy: 'schedule', ...(remainingMs ? { remainingMs } : {}) });
}

async function putAccess(storeId: string, accessedAt: Date): Promise<AccessKey> {
  const key = { storeId, accessId: `${accessedAt.toISOString()}#${randomBytes(4).toString('hex')}` };
  const purgeAt = epoch(new Date(accessedAt.getTime() + policy.classes.access.retentionDays * DAY_MS));
  await db().send(
    new PutCommand({
      TableName: tables().access,
      Item: { ...key, ip: '203.0.113.7', action: 'login', result: 'ok', purgeAt, ...expiryIndexAttributes(purgeAt, `${key.storeId}/${key.accessId}`) },
    }),
  );
  return key;
}

async function exists(table: keyof ReturnType<typeof tables>, key: Record<string, string>): Promise<boolean> {
  const { Item } = await db().send(new GetCommand({ TableName: tables()[table], Key: key, ConsistentRead: true }));
  return Item !== undefined;
}

/** The rate-limit counter items in the transmissions table. */
async function rateCounters(): Promise<string[]> {
  const { Items = [] } = await db().send(
    new ScanCommand({ TableName: tables().transmissions, FilterExpression: 'begins_with(transmissionId, :rate)', ExpressionAttributeValues: { ':rate': 'rate#' }, ConsistentRead: true }),
  );
  return Items.map((item) => String(item.transmissionId));
}

async function rawMailExists(sesMessageId: string): Promise<boolean> {
  return relay.inboundRaw(sesMessageId).then(
    () => true,
    () => false,
  );
}

/** The `item` sort keys of a store's items: `store` and one `sender#…` per registered sender. */
async function storeItems(storeId: string): Promise<string[]> {
  const { Items } = await db().send(
    new QueryCommand({ TableName: tables().stores, KeyConditionExpression: 'storeId = :id', ExpressionAttributeValues: { ':id': storeId }, ConsistentRead: true }),
  );
  return (Items ?? []).map((item) => item.item as string);
}

/** Marks a store terminated the way a termination does: every item of it gets the same `purgeAt`. */
async function terminate(storeId: string, purgeAt: number): Promise<void> {
  for (const item of await storeItems(storeId)) {
    await db().send(
      new UpdateCommand({
        TableName: tables().stores,
        Key: { storeId, item },
        UpdateExpression: 'SET terminatedAt = :at, purgeAt = :purgeAt, expiryBucket = :bucket',
        ExpressionAttributeValues: { ':at': T0.toISOString(), ':purgeAt': purgeAt, ':bucket': expiryIndexAttributes(purgeAt, `${storeId}/${item}`).expiryBucket },
      }),
    );
  }
}

type AccessKey = { storeId: string; accessId: string };
const FRESHER_TRANSMISSION = 'fresher-message/0';
let oldAccess: AccessKey;
let newAccess: AccessKey;

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'keep-shop', '--name', '長く続く店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
  await relay.cli(['store', 'create', '--store-id', 'closing-shop', '--contact', CLOSING_CONTACT, '--sender', CLOSING_SENDER]);
  customerAlias = await relay.issueAliasAt({ storeId: 'keep-shop', orderId: 'R-1', customer: CUSTOMER }, T0);

  const toCustomer = await relay.send({ envelope: { from: STORE_SENDER, to: [customerAlias.address] }, from: STORE_SENDER, to: customerAlias.address, subject: '発送のお知らせ', text: '発送しました。' });
  const record = await relay.transmission(toCustomer.sesMessageId);
  const outbound = await relay.outbound(record.outboundMessageId!);
  reverseAlias = outbound.envelope.from;
  const reply = await relay.send({ envelope: { from: CUSTOMER, to: [reverseAlias] }, from: CUSTOMER, to: reverseAlias, subject: 'Re: 発送のお知らせ', text: 'ありがとうございます。' });
  expect((await relay.transmission(reply.sesMessageId)).outcome).toBe('relayed');
  sesMessageIds = [toCustomer.sesMessageId, reply.sesMessageId];

  // A transmission record from a later message: past the first ones' period, still within its own.
  const fresherPurgeAt = epoch(at(policy.classes.transmission.retentionDays + 30));
  await db().send(
    new PutCommand({
      TableName: tables().transmissions,
      Item: { transmissionId: FRESHER_TRANSMISSION, state: 'done', purgeAt: fresherPurgeAt, ...expiryIndexAttributes(fresherPurgeAt, FRESHER_TRANSMISSION) },
    }),
  );
  oldAccess = await putAccess('keep-shop', at(-170));
  newAccess = await putAccess('keep-shop', T0);

  const aliasItem = (await new DynamoAliasStore(relay.stack.clients.dynamodb, tables().aliases).getAlias(customerAlias.alias)) as AliasRecord;
  const store = await new DynamoStoreDirectory(relay.stack.clients.dynamodb, tables().stores).getStore('keep-shop');
  addressHashes = [aliasItem.addressHash, store!.contactHash];
});

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

// A timeline: each run is a later day on the same stack, so these steps keep their order even when
// the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('retention run against the local stack', { shuffle: false }, () => {
  // The first run has no checkpoint and looks back over the longest period, bucket by bucket.
  it('removes nothing before any period ends', { timeout: 120_000 }, async () => {
    const receipt = await runAt(at(0, 1));
    expect(receipt).toMatchObject({ kind: 'retention', complete: true, aliasesRetired: 0, policyVersion: policyVersion(policy) });
    expect(receipt.counts).toEqual({ address: 0, access: 0, transmission: 0, content: 0, evidence: 0 });
    for (const id of sesMessageIds) {
      expect(await rawMailExists(id)).toBe(true);
      expect(await exists('transmissions', { transmissionId: `${id}/0` })).toBe(true);
    }
  });

  it("removes raw mail (every version) once the content period passed, and nothing else yet but the relayed mail's rate-limit counters, gone with their day", async () => {
    const counters = await rateCounters();
    expect(counters.length).toBeGreaterThan(0);
    const receipt = await runAt(at(policy.classes.content.retentionDays, 1));
    expect(receipt.counts).toEqual({ address: 0, access: 0, transmission: counters.length, content: 2, evidence: 0 });
    expect(await rateCounters()).toEqual([]);
    for (const id of sesMessageIds) expect(await rawMailExists(id)).toBe(false);
    expect(await exists('transmissions', { transmissionId: `${sesMessageIds[0]}/0` })).toBe(true);
  });

  it('removes access records past their period and keeps newer ones', async () => {
    const receipt = await runAt(at(11));
    expect(receipt.counts).toMatchObject({ access: 1, content: 0 });
    expect(await exists('access', oldAccess)).toBe(false);
    expect(await exists('access', newAccess)).toBe(true);
  });

  it('removes transmission records past their period, keeps fresher ones, and asks for the erasure of a store whose support ended', async () => {
    await terminate('closing-shop', epoch(at(policy.classes.address.supportDays)));
    const receipt = await runAt(at(policy.classes.transmission.retentionDays, 1));

    expect(receipt.counts).toMatchObject({ transmission: 2, address: 1, access: 0 });
    for (const id of sesMessageIds) expect(await exists('transmissions', { transmissionId: `${id}/0` })).toBe(false);
    expect(await exists('transmissions', { transmissionId: FRESHER_TRANSMISSION })).toBe(true);
    // The store item stays for the destruction function to find; its sender item is gone.
    expect(erasureRequests).toEqual(['closing-shop']);
    expect(await exists('stores', { storeId: 'closing-shop', item: 'store' })).toBe(true);
    expect(await storeItems('closing-shop')).toEqual(['store']);
    expect(await exists('stores', { storeId: 'keep-shop', item: 'store' })).toBe(true);
  });

  it('removes receipts past their own period, never the checkpoint', async () => {
    const receipts = new DynamoReceiptLog(relay.stack.clients.dynamodb, tables().receipts, new KmsReceiptSigner(relay.stack.clients.kms, relay.stack.endpoints.keys.receipts));
    const longAgo = new Date(T0.getTime() - (policy.classes.evidence.retentionDays - 100) * DAY_MS);
    await receipts.record({
      kind: 'retention',
      receiptId: newReceiptId(longAgo),
      policyVersion: policyVersion(policy),
      requestedBy: 'schedule',
      startedAt: longAgo.toISOString(),
      finishedAt: longAgo.toISOString(),
      counts: {},
      complete: true,
      purgeAt: epoch(at(100)),
    });
    const receipt = await runAt(at(101));
    expect(receipt.counts).toMatchObject({ evidence: 1 });
    expect((await receipts.list({ kind: 'retention', limit: 100 })).some((r) => r.startedAt === longAgo.toISOString())).toBe(false);
    expect(await exists('receipts', { kind: CHECKPOINT_KIND, receiptId: 'retention' })).toBe(true);
  });

  it('retires aliases once expiry plus support passed: only the name hash stays, and the name is never issued again', async () => {
    const { retentionDays, supportDays } = policy.classes.address;
    // SES put the customer on the account's suppression list after a hard bounce, back at T0.
    await relay.stack.clients.sesv2.send(new PutSuppressedDestinationCommand({ EmailAddress: CUSTOMER, Reason: 'BOUNCE' }));
    const receipt = await runAt(at(retentionDays + supportDays, 1));

    // The two aliases and the suppression-list entry, now past the address class.
    expect(receipt.counts).toMatchObject({ address: 3, transmission: 1, access: 1 });
    await expect(relay.stack.clients.sesv2.send(new GetSuppressedDestinationCommand({ EmailAddress: CUSTOMER }))).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(receipt.aliasesRetired).toBe(1);
    const aliases = new DynamoAliasStore(relay.stack.clients.dynamodb, tables().aliases);
    expect(await aliases.getAlias(customerAlias.alias)).toBeUndefined();
    expect(await aliases.getAlias(reverseAlias.split('@')[0]!)).toBeUndefined();
    const { Item: retired } = await db().send(new GetCommand({ TableName: tables().aliases, Key: { alias: retiredAliasKey(customerAlias.alias) } }));
    expect(retired).toEqual({ alias: retiredAliasKey(customerAlias.alias) });

    const keys = new KmsKeyService(relay.stack.clients.kms, { dataKeyId: relay.stack.settings.dataKeyId, hmacKeyId: relay.stack.settings.hmacKeyId });
    const again = issueAlias(
      { storeId: 'keep-shop', orderId: 'R-1', customer: CUSTOMER },
      {
        aliases,
        stores: new DynamoStoreDirectory(relay.stack.clients.dynamodb, tables().stores),
        keys,
        now: at(retentionDays + supportDays, 2),
        relayDomain: relay.stack.settings.relayDomain,
        validityDays: retentionDays,
        supportDays,
      },
    );
    await expect(again).rejects.toBeInstanceOf(AliasRetiredError);
  });

  it('removes nothing when run again', async () => {
    const { retentionDays, supportDays } = policy.classes.address;
    const receipt = await runAt(at(retentionDays + supportDays, 3));
    expect(receipt.complete).toBe(true);
    expect(receipt.counts).toEqual({ address: 0, access: 0, transmission: 0, content: 0, evidence: 0 });
    expect(receipt.aliasesRetired).toBe(0);
  });

  it('stops with complete: false when its time runs low, and the next run removes exactly the rest', async () => {
    const firstDay = utcDay(at(policy.classes.address.retentionDays + policy.classes.address.supportDays, 3));
    const now = at(300);
    const due = await Promise.all(Array.from({ length: 30 }, (_, i) => putAccess('keep-shop', at(100 + i / 2))));

    // Raw mail takes one page, aliases and stores one page per bucket; the budget runs out halfway through access.
    const bucketsPerTable = daysFromThrough(firstDay, utcDay(now)).length * 4;
    let pages = 1 + 2 * bucketsPerTable + bucketsPerTable / 2;
    const first = await runAt(now, () => (pages-- > 0 ? 60_000 : 0));
    expect(first.complete).toBe(false);
    expect(first.counts.access).toBeGreaterThan(0);
    expect(first.counts.access).toBeLessThan(30);

    const second = await runAt(at(300, 1));
    expect(second.complete).toBe(true);
    expect((first.counts.access ?? 0) + (second.counts.access ?? 0)).toBe(30);
    for (const key of due) expect(await exists('access', key)).toBe(false);

    const third = await runAt(at(300, 2));
    expect(third.counts).toEqual({ address: 0, access: 0, transmission: 0, content: 0, evidence: 0 });
  });

  it('wrote a receipt per run, none naming a real address, an address hash or an alias, and logged none either', async () => {
    // Run alone, it makes a run of its own to look at.
    if (runs === 0) await runAt(at(0, 1));
    const receipts = await new DynamoReceiptLog(relay.stack.clients.dynamodb, tables().receipts).list({ kind: 'retention', limit: 100 });
    expect(receipts.filter((r) => r.requestedBy === 'schedule' && r.startedAt >= T0.toISOString())).toHaveLength(runs);
    const customerAliasName = customerAlias.alias;
    const reverseAliasName = reverseAlias.split('@')[0]!;
    const forbidden = [...REAL_ADDRESSES, ...addressHashes, customerAliasName, reverseAliasName, 'closing-shop'];
    const receiptText = JSON.stringify(receipts).toLowerCase();
    for (const value of forbidden) expect(receiptText).not.toContain(value.toLowerCase());

    const retentionLogs = logLines.filter((line) => line.includes('anshin-retention'));
    expect(retentionLogs.some((line) => line.includes('retention_finished'))).toBe(true);
    const logText = retentionLogs.join('\n').toLowerCase();
    for (const value of forbidden) expect(logText).not.toContain(value.toLowerCase());
  });
});
