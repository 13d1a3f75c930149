import { describe, expect, it } from 'vitest';
import { addressMacInput } from '../../../lambdas/aliases/address';
import { storeContactContext, storeSenderContext } from '../../../lambdas/aliases/encryption-contexts';
import type { RegisteredSender, StoreListing, StoreRecord } from '../../../lambdas/aliases/ports';
import {
  addSender,
  getStoreView,
  InvalidRequestError,
  listSenders,
  listStores,
  putStore,
  removeSender,
  requireAddress,
  requireStoreId,
  StoreNotFoundError,
  StoreTerminatedError,
} from '../../../lambdas/aliases/stores';
import type { StoreDeps } from '../../../lambdas/aliases/stores';
import { createInMemoryPorts } from '../../support/in-memory-ports';

/**
 * Registering stores and their senders, on the in-memory ports: what is stored (encrypted, hashed),
 * what is answered (never an address but to the store itself), and what is refused, by field.
 */

const NOW = new Date('2025-05-01T00:00:00Z');
const LATER = new Date('2025-05-02T00:00:00Z');

function setUp(now: Date = NOW) {
  const ports = createInMemoryPorts();
  let next = 0;
  const deps: StoreDeps = { stores: ports.stores, keys: ports.keys, now, random: () => `r${(next += 1)}` };
  return { ports, deps, at: (when: Date): StoreDeps => ({ ...deps, now: when }) };
}

async function refusal(action: Promise<unknown>): Promise<InvalidRequestError> {
  const error = await action.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidRequestError);
  return error as InvalidRequestError;
}

const SHOP = { storeId: 'shop-1', displayName: '青空商店', contact: 'Owner@Shop.example.jp', senders: ['news@shop.example.jp'] };

describe('requireStoreId and requireAddress', () => {
  it('take store IDs of 1-64 letters, digits, ".", "_" or "-" starting with a letter or digit, and refuse others naming storeId', () => {
    for (const id of ['a', 'A1', 'shop.1_x-y', 'x'.repeat(64)]) expect(requireStoreId(id)).toBe(id);
    for (const id of ['', '-shop', '.a', 'x'.repeat(65), 'a b', 'ショップ']) {
      expect(() => requireStoreId(id)).toThrow(expect.objectContaining({ name: 'InvalidRequestError', field: 'storeId' }));
    }
  });

  it('normalise a plausible address and refuse another, naming the field and never echoing the value', () => {
    expect(requireAddress(' Owner@Shop.Example.JP ', 'contact')).toBe('owner@shop.example.jp');
    const error = (() => {
      try {
        requireAddress('not-an-address', 'contact');
      } catch (caught) {
        return caught as InvalidRequestError;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ name: 'InvalidRequestError', field: 'contact', message: 'contact is not a valid e-mail address' });
    expect(error?.message).not.toContain('not-an-address');
  });
});

describe('putStore', () => {
  it('creates a store: its name, its contact and senders encrypted under their contexts with their keyed hashes, the senders verified by the marketplace', async () => {
    const { ports, deps } = setUp();
    const { store, created } = await putStore(SHOP, deps);

    expect(created).toBe(true);
    expect(store).toEqual({ storeId: 'shop-1', displayName: '青空商店', status: 'active', senderCount: 1 });
    const record = ports.stores.stores.get('shop-1') as StoreRecord;
    expect(record).toMatchObject({ storeId: 'shop-1', displayName: '青空商店', createdAt: NOW.toISOString(), contactHash: await ports.keys.mac(addressMacInput('owner@shop.example.jp')) });
    expect(await ports.keys.decrypt(record.contactCipher, storeContactContext('shop-1'))).toBe('owner@shop.example.jp');
    const [sender] = [...ports.stores.senders.values()];
    expect(sender).toMatchObject({ storeId: 'shop-1', senderId: 'snd_r1', status: 'verified', verifiedBy: 'marketplace', createdAt: NOW.toISOString(), addressHash: await ports.keys.mac(addressMacInput('news@shop.example.jp')) });
    expect(await ports.keys.decrypt((sender as RegisteredSender).addressCipher, storeSenderContext('shop-1'))).toBe('news@shop.example.jp');
  });

  it('names the store by its ID when no name, or only blanks, is given, and trims a name', async () => {
    const { deps } = setUp();
    expect((await putStore({ ...SHOP, displayName: undefined }, deps)).store.displayName).toBe('shop-1');
    expect((await putStore({ ...SHOP, displayName: '   ' }, deps)).store.displayName).toBe('shop-1');
    expect((await putStore({ ...SHOP, displayName: '  青空商店 ' }, deps)).store.displayName).toBe('青空商店');
  });

  it('refuses a bad store ID, a bad contact, a bad sender and no sender at all, each by its field, storing nothing', async () => {
    const { ports, deps } = setUp();
    expect((await refusal(putStore({ ...SHOP, storeId: '-bad' }, deps))).field).toBe('storeId');
    expect((await refusal(putStore({ ...SHOP, contact: 'nobody' }, deps))).field).toBe('contact');
    expect((await refusal(putStore({ ...SHOP, senders: ['news@shop.example.jp', 'broken'] }, deps))).field).toBe('senders');
    const none = await refusal(putStore({ ...SHOP, senders: [] }, deps));
    expect(none).toMatchObject({ field: 'senders', message: 'a store needs at least one registered sender' });
    expect(ports.stores.stores.size).toBe(0);
    expect(ports.stores.senders.size).toBe(0);
  });

  it('registers an address given twice (in any case) once', async () => {
    const { ports, deps } = setUp();
    const { store } = await putStore({ ...SHOP, senders: ['news@shop.example.jp', 'NEWS@shop.example.jp', 'info@shop.example.jp'] }, deps);
    expect(store.senderCount).toBe(2);
    expect(ports.stores.senders.size).toBe(2);
  });

  it('replaces a registration: exactly the given senders stay, kept ones keep their IDs, the creation time and an unchanged contact’s ciphertext stay', async () => {
    const { ports, deps, at } = setUp();
    await putStore({ ...SHOP, senders: ['news@shop.example.jp', 'old@shop.example.jp'] }, deps);
    const firstCipher = ports.stores.stores.get('shop-1')?.contactCipher;
    const kept = [...ports.stores.senders.values()].find((sender) => sender.senderId === 'snd_r1');

    const { store, created } = await putStore({ ...SHOP, displayName: '新しい名前', senders: ['news@shop.example.jp', 'new@shop.example.jp'] }, at(LATER));

    expect(created).toBe(false);
    expect(store).toEqual({ storeId: 'shop-1', displayName: '新しい名前', status: 'active', senderCount: 2 });
    const record = ports.stores.stores.get('shop-1') as StoreRecord;
    expect(record.createdAt).toBe(NOW.toISOString());
    expect(record.contactCipher).toBe(firstCipher);
    const senders = [...ports.stores.senders.values()];
    expect(senders).toHaveLength(2);
    expect(senders).toContainEqual(kept);
    const added = senders.find((sender) => sender !== kept) as RegisteredSender;
    expect(added.createdAt).toBe(LATER.toISOString());
    expect(await ports.keys.decrypt(added.addressCipher, storeSenderContext('shop-1'))).toBe('new@shop.example.jp');
  });

  it('encrypts a changed contact afresh', async () => {
    const { ports, deps } = setUp();
    await putStore(SHOP, deps);
    const first = ports.stores.stores.get('shop-1') as StoreRecord;
    await putStore({ ...SHOP, contact: 'desk@shop.example.jp' }, deps);
    const second = ports.stores.stores.get('shop-1') as StoreRecord;
    expect(second.contactHash).not.toBe(first.contactHash);
    expect(await ports.keys.decrypt(second.contactCipher, storeContactContext('shop-1'))).toBe('desk@shop.example.jp');
  });

  it('keeps a store’s limits and pause when its registration is replaced, and shows them', async () => {
    const { ports, deps } = setUp();
    await putStore(SHOP, deps);
    const record = ports.stores.stores.get('shop-1') as StoreRecord;
    await ports.stores.putStore({ ...record, limits: { perMinute: 5 }, pausedAt: NOW.toISOString(), pauseReason: 'complaint_rate' });

    const { store } = await putStore(SHOP, deps);

    expect(store).toEqual({ storeId: 'shop-1', displayName: '青空商店', status: 'active', senderCount: 1, paused: { since: NOW.toISOString(), reason: 'complaint_rate' }, limits: { perMinute: 5 } });
    expect(ports.stores.stores.get('shop-1')).toMatchObject({ limits: { perMinute: 5 }, pausedAt: NOW.toISOString(), pauseReason: 'complaint_rate' });
  });

  it('does not bring back a terminated store, nor one whose retention ended', async () => {
    const { ports, deps } = setUp();
    await putStore(SHOP, deps);
    const record = ports.stores.stores.get('shop-1') as StoreRecord;
    await ports.stores.putStore({ ...record, terminatedAt: NOW.toISOString() });
    await expect(putStore(SHOP, deps)).rejects.toThrow(StoreTerminatedError);
    await ports.stores.putStore({ ...record, purgeAt: NOW.getTime() / 1000 });
    await expect(putStore(SHOP, deps)).rejects.toThrow('store shop-1 was terminated; register it under a new store ID');
  });
});

describe('getStoreView and listStores', () => {
  it('show a store’s status, pause (an operator’s when no reason was kept) and limits, never an address', async () => {
    const { ports, deps } = setUp();
    await putStore(SHOP, deps);
    await putStore({ ...SHOP, storeId: 'shop-2', senders: ['a@shop.example.jp', 'b@shop.example.jp'] }, deps);
    const record = ports.stores.stores.get('shop-2') as StoreRecord;
    await ports.stores.putStore({ ...record, pausedAt: NOW.toISOString(), limits: {} });

    expect(await getStoreView('shop-1', deps)).toEqual({ storeId: 'shop-1', displayName: '青空商店', status: 'active', senderCount: 1 });
    const paused = await getStoreView('shop-2', deps);
    expect(paused).toEqual({ storeId: 'shop-2', displayName: '青空商店', status: 'active', senderCount: 2, paused: { since: NOW.toISOString(), reason: 'operator' } });
    expect(JSON.stringify(paused)).not.toContain('@');

    await ports.stores.putStore({ ...record, terminatedAt: NOW.toISOString() });
    expect((await getStoreView('shop-2', deps)).status).toBe('terminated');
    await expect(getStoreView('nobody', deps)).rejects.toThrow(new StoreNotFoundError('store nobody does not exist'));
    await expect(getStoreView('-bad', deps)).rejects.toThrow(InvalidRequestError);
  });

  it('lists a page of stores as summaries, passing the cursor on', async () => {
    const { deps } = setUp();
    const stored = { contactCipher: new Uint8Array(1), contactHash: 'h', createdAt: NOW.toISOString() };
    const records: StoreRecord[] = [
      { ...stored, storeId: 'a', displayName: 'A', terminatedAt: NOW.toISOString() },
      { ...stored, storeId: 'b', displayName: 'B', limits: { perDay: 100 } },
    ];
    const stores: StoreListing = { listStores: async (page) => ({ items: records.slice(0, page.limit), ...(page.limit < records.length ? { cursor: 'next' } : {}) }) };

    expect(await listStores({ limit: 1 }, { stores, now: deps.now })).toEqual({ items: [{ storeId: 'a', displayName: 'A', status: 'terminated' }], cursor: 'next' });
    expect(await listStores({ limit: 5 }, { stores, now: deps.now })).toEqual({
      items: [
        { storeId: 'a', displayName: 'A', status: 'terminated' },
        { storeId: 'b', displayName: 'B', status: 'active', limits: { perDay: 100 } },
      ],
    });
  });
});

describe('senders', () => {
  it('adds a sender verified when the marketplace vouches for it, pending when nobody does, and answers the same sender for the same address', async () => {
    const { ports, deps } = setUp();
    await putStore(SHOP, deps);

    const vouched = await addSender('shop-1', 'sales@shop.example.jp', deps);
    expect(vouched).toEqual({ senderId: 'snd_r2', created: true, verified: true, addressHash: await ports.keys.mac(addressMacInput('sales@shop.example.jp')) });
    const pending = await addSender('shop-1', 'Menu@Shop.example.jp', deps, 'none');
    expect(pending).toMatchObject({ senderId: 'snd_r3', created: true, verified: false });
    expect([...ports.stores.senders.values()].find((sender) => sender.senderId === 'snd_r3')).toMatchObject({ status: 'pending' });
    expect([...ports.stores.senders.values()].find((sender) => sender.senderId === 'snd_r3')).not.toHaveProperty('verifiedBy');

    expect(await addSender('shop-1', 'SALES@shop.example.jp', deps)).toEqual({ ...vouched, created: false });
    expect(await addSender('shop-1', 'menu@shop.example.jp', deps)).toMatchObject({ senderId: 'snd_r3', created: false, verified: false });
    expect(ports.stores.senders.size).toBe(3);
  });

  it('refuses a sender for a bad address, a missing store and a terminated one', async () => {
    const { ports, deps } = setUp();
    expect((await refusal(addSender('shop-1', 'broken', deps))).field).toBe('address');
    await expect(addSender('shop-1', 'a@shop.example.jp', deps)).rejects.toThrow(new StoreNotFoundError('store shop-1 does not exist'));
    await putStore(SHOP, deps);
    await ports.stores.putStore({ ...(ports.stores.stores.get('shop-1') as StoreRecord), terminatedAt: NOW.toISOString() });
    await expect(addSender('shop-1', 'a@shop.example.jp', deps)).rejects.toThrow(new StoreTerminatedError('store shop-1 was terminated'));
  });

  it('lists the store’s senders to the store itself, oldest first, decrypted, with their status', async () => {
    const { deps, at } = setUp();
    await putStore(SHOP, at(LATER));
    await addSender('shop-1', 'early@shop.example.jp', deps, 'none');
    expect(await listSenders('shop-1', deps)).toEqual([
      { senderId: 'snd_r2', address: 'early@shop.example.jp', status: 'pending', createdAt: NOW.toISOString() },
      { senderId: 'snd_r1', address: 'news@shop.example.jp', status: 'verified', createdAt: LATER.toISOString() },
    ]);
  });

  it('gives a sender registered before sender IDs existed a stable ID that is not its look-up hash, and removes it by that ID', async () => {
    const { ports, deps } = setUp();
    await putStore({ ...SHOP, senders: ['news@shop.example.jp', 'legacy@shop.example.jp'] }, deps);
    const legacy = [...ports.stores.senders.values()].find((sender) => sender.senderId === 'snd_r2') as RegisteredSender;
    const { senderId: _dropped, status: _status, verifiedBy: _by, ...withoutId } = legacy;
    await ports.stores.putSender(withoutId);

    const listed = await listSenders('shop-1', deps);
    const legacyId = listed.find((sender) => sender.address === 'legacy@shop.example.jp')?.senderId ?? '';
    expect(legacyId).toMatch(/^snd_[0-9a-f]{16}$/);
    expect(legacy.addressHash).not.toContain(legacyId.slice(4));
    expect(listed.find((sender) => sender.address === 'legacy@shop.example.jp')?.status).toBe('verified');
    expect((await addSender('shop-1', 'legacy@shop.example.jp', deps)).senderId).toBe(legacyId);

    await removeSender('shop-1', legacyId, deps);
    expect((await listSenders('shop-1', deps)).map((sender) => sender.address)).toEqual(['news@shop.example.jp']);
  });

  it('removes a sender by its ID but never the last one, and names an unknown sender', async () => {
    const { deps } = setUp();
    await putStore({ ...SHOP, senders: ['news@shop.example.jp', 'info@shop.example.jp'] }, deps);
    await expect(removeSender('shop-1', 'snd_nope', deps)).rejects.toThrow(new StoreNotFoundError('store shop-1 has no sender snd_nope'));
    await removeSender('shop-1', 'snd_r2', deps);
    expect((await getStoreView('shop-1', deps)).senderCount).toBe(1);
    const last = await refusal(removeSender('shop-1', 'snd_r1', deps));
    expect(last).toMatchObject({ field: 'senderId', message: 'a store needs at least one registered sender; add another before removing this one' });
    expect((await getStoreView('shop-1', deps)).senderCount).toBe(1);
  });
});
