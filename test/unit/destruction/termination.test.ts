import { beforeEach, describe, expect, it } from 'vitest';
import { STORE_ITEM } from '../../../lambdas/records/table-schema';
import { receiptSubjectMacInput } from '../../../lambdas/records/receipts';
import { terminateStore, UnknownStoreError } from '../../../lambdas/destruction/termination';
import type { TerminationOptions } from '../../../lambdas/destruction/termination';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { InMemorySubjectWorld } from './in-memory-subject-ports';
import { NOW, seedConversation, seedStore } from './seed';
import type { Conversation } from './seed';

const policy = DEFAULT_CONFIG.retention;
const options: TerminationOptions = { policy, clock: () => NOW };
const nowSeconds = NOW.getTime() / 1000;
const daysFromNow = (days: number): number => nowSeconds + days * 86_400;

let world: InMemorySubjectWorld;
let atShopA: Conversation;
let atShopB: Conversation;

beforeEach(async () => {
  world = new InMemorySubjectWorld();
  await seedStore(world, 'shop-a', 'owner@shop-a.example', ['news@shop-a.example']);
  await seedStore(world, 'shop-b', 'owner@shop-b.example', ['news@shop-b.example']);
  atShopA = await seedConversation(world, 'shop-a', 'A-1', 'taro@example.com');
  atShopB = await seedConversation(world, 'shop-b', 'B-1', 'taro@example.com');
});

describe('terminating a store', () => {
  it('marks it terminated and dates the erasure of everything about it to the end of the support periods', async () => {
    const receipt = await terminateStore('shop-a', 'event:Store Terminated', world.ports(), options);

    const storeItems = [...world.stores.values()].filter((item) => item.storeId === 'shop-a');
    expect(storeItems.find((item) => item.item === STORE_ITEM)?.terminatedAt).toBe(NOW.toISOString());
    for (const item of storeItems) expect(item.purgeAt).toBe(daysFromNow(policy.classes.address.supportDays));
    for (const alias of [atShopA.customerAlias, atShopA.reverseAlias]) {
      expect(world.aliases.get(alias)).toMatchObject({ expiresAt: NOW.toISOString(), purgeAt: daysFromNow(policy.classes.address.supportDays) });
    }
    // Transmission records were due within their support period anyway: they keep their dates.
    for (const message of atShopA.messages) expect(world.transmissions.get(`${message}/0`)?.purgeAt).toBe(daysFromNow(90));
    for (const item of world.access.values()) {
      expect(item.purgeAt).toBe(item.storeId === 'shop-a' ? daysFromNow(policy.classes.access.supportDays) : daysFromNow(180));
    }
    // No support period for raw mail: it is gone with the termination.
    for (const message of atShopA.messages) expect(world.rawMail.has(message)).toBe(false);

    expect(receipt).toMatchObject({
      kind: 'termination',
      requestedBy: 'event:Store Terminated',
      complete: true,
      counts: { address: 4, transmission: 0, access: 2, content: 3 },
      subject: { kind: 'store', hash: await world.keys.mac(receiptSubjectMacInput('store', 'shop-a')) },
      eraseAt: new Date(daysFromNow(policy.classes.address.supportDays) * 1000).toISOString(),
    });
    expect(world.receipts).toEqual([receipt]);
  });

  it('shortens a longer transmission retention to its support period', async () => {
    const shortSupport = { ...policy, classes: { ...policy.classes, transmission: { retentionDays: 90, supportDays: 30 } } };
    const receipt = await terminateStore('shop-a', 'cli', world.ports(), { ...options, policy: shortSupport });
    for (const message of atShopA.messages) expect(world.transmissions.get(`${message}/0`)?.purgeAt).toBe(daysFromNow(30));
    expect(receipt.counts.transmission).toBe(3);
  });

  it('leaves raw mail to its own retention when content has a support period', async () => {
    const withSupport = { ...policy, classes: { ...policy.classes, content: { retentionDays: 7, supportDays: 3 } } };
    const receipt = await terminateStore('shop-a', 'cli', world.ports(), { ...options, policy: withSupport });
    for (const message of atShopA.messages) expect(world.rawMail.has(message)).toBe(true);
    expect(receipt.counts.content).toBe(0);
  });

  it('touches nothing of another store', async () => {
    const before = JSON.stringify([world.aliases.get(atShopB.customerAlias), [...world.stores.values()].filter((item) => item.storeId === 'shop-b')]);
    await terminateStore('shop-a', 'cli', world.ports(), options);
    expect(JSON.stringify([world.aliases.get(atShopB.customerAlias), [...world.stores.values()].filter((item) => item.storeId === 'shop-b')])).toBe(before);
    expect(world.rawMail.has(atShopB.messages[0])).toBe(true);
  });

  it('keeps the first termination\'s dates when repeated later', async () => {
    await terminateStore('shop-a', 'cli', world.ports(), options);
    const later = new Date(NOW.getTime() + 10 * 86_400_000);
    const again = await terminateStore('shop-a', 'cli', world.ports(), { ...options, clock: () => later });
    expect(again.counts).toEqual({ address: 0, transmission: 0, access: 0, content: 0 });
    expect(again.eraseAt).toBe(new Date(daysFromNow(policy.classes.address.supportDays) * 1000).toISOString());
    expect(world.stores.get(JSON.stringify(['shop-a', STORE_ITEM]))?.terminatedAt).toBe(NOW.toISOString());
  });

  it('refuses a store that does not exist, writing no receipt', async () => {
    await expect(terminateStore('no-such-shop', 'cli', world.ports(), options)).rejects.toBeInstanceOf(UnknownStoreError);
    await expect(terminateStore('bad id!', 'cli', world.ports(), options)).rejects.toThrow(/storeId/);
    expect(world.receipts).toHaveLength(0);
  });
});
