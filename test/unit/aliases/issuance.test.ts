import { describe, expect, it } from 'vitest';
import { addressMacInput } from '../../../lambdas/aliases/address';
import { customerAddressContext } from '../../../lambdas/aliases/encryption-contexts';
import { AliasConflictError, issueAlias } from '../../../lambdas/aliases/issuance';
import { aliasNameFromMac, customerAliasMacInput, reverseAliasMacInput } from '../../../lambdas/aliases/names';
import type { AliasRecord, StoreRecord } from '../../../lambdas/aliases/ports';
import { InvalidRequestError, putStore, StoreNotFoundError, StoreTerminatedError } from '../../../lambdas/aliases/stores';
import { unsubscribeToken } from '../../../lambdas/aliases/unsubscribe';
import { createInMemoryPorts } from '../../support/in-memory-ports';

/** Issuing a customer's alias for one order, on the in-memory ports. */

const NOW = new Date('2025-05-01T00:00:00Z');
const DAY_MS = 86_400_000;
const RELAY_DOMAIN = 'relay.example.jp';

async function setUp() {
  const ports = createInMemoryPorts();
  await putStore({ storeId: 'shop-1', contact: 'owner@shop.example.jp', senders: ['news@shop.example.jp'] }, { stores: ports.stores, keys: ports.keys, now: NOW, random: () => 'x' });
  const deps = { aliases: ports.aliases, stores: ports.stores, keys: ports.keys, now: NOW, relayDomain: RELAY_DOMAIN, validityDays: 180, supportDays: 90 };
  return { ports, deps };
}

describe('issueAlias', () => {
  it('issues the order’s alias: named from the keyed hash of store and order, the address encrypted under the alias, the reverse alias and unsubscribe token made with it', async () => {
    const { ports, deps } = await setUp();
    const issued = await issueAlias({ storeId: 'shop-1', orderId: 'R-1', customer: ' Hanako@Customer.example.ne.jp ' }, deps);

    const alias = aliasNameFromMac('customer', await ports.keys.mac(customerAliasMacInput('shop-1', 'R-1')));
    const expiresAt = new Date(NOW.getTime() + 180 * DAY_MS);
    expect(issued).toEqual({ alias, address: `${alias}@${RELAY_DOMAIN}`, expiresAt: expiresAt.toISOString(), created: true });
    const record = ports.aliases.records.get(alias) as AliasRecord;
    expect(record).toMatchObject({
      alias,
      kind: 'customer',
      storeId: 'shop-1',
      orderId: 'R-1',
      addressHash: await ports.keys.mac(addressMacInput('hanako@customer.example.ne.jp')),
      reverseAlias: aliasNameFromMac('merchant', await ports.keys.mac(reverseAliasMacInput(alias))),
      unsubscribeToken: await unsubscribeToken(alias, ports.keys),
      createdAt: NOW.toISOString(),
      expiresAt: expiresAt.toISOString(),
      purgeAt: (expiresAt.getTime() + 90 * DAY_MS) / 1000,
    });
    expect(await ports.keys.decrypt(record.addressCipher as Uint8Array, customerAddressContext(alias))).toBe('hanako@customer.example.ne.jp');
    expect(ports.aliases.records.get(record.reverseAlias ?? '')).toMatchObject({ kind: 'merchant', customerAlias: alias, storeId: 'shop-1' });
  });

  it('answers the same alias, not created, for the same order and customer; another order gets another', async () => {
    const { deps } = await setUp();
    const first = await issueAlias({ storeId: 'shop-1', orderId: 'R-1', customer: 'hanako@customer.example.ne.jp' }, deps);
    const again = await issueAlias({ storeId: 'shop-1', orderId: 'R-1', customer: 'HANAKO@customer.example.ne.jp' }, { ...deps, now: new Date(NOW.getTime() + DAY_MS) });
    expect(again).toEqual({ ...first, created: false });
    const other = await issueAlias({ storeId: 'shop-1', orderId: 'R-2', customer: 'hanako@customer.example.ne.jp' }, deps);
    expect(other.alias).not.toBe(first.alias);
  });

  it('refuses the order’s alias for another customer', async () => {
    const { deps } = await setUp();
    await issueAlias({ storeId: 'shop-1', orderId: 'R-1', customer: 'hanako@customer.example.ne.jp' }, deps);
    await expect(issueAlias({ storeId: 'shop-1', orderId: 'R-1', customer: 'taro@customer.example.ne.jp' }, deps)).rejects.toThrow(
      new AliasConflictError('order R-1 of store shop-1 already has an alias for another customer'),
    );
  });

  it('refuses an alias whose stored record names another store or order under the same name', async () => {
    const { ports, deps } = await setUp();
    const { alias } = await issueAlias({ storeId: 'shop-1', orderId: 'R-1', customer: 'hanako@customer.example.ne.jp' }, deps);
    const record = ports.aliases.records.get(alias) as AliasRecord;
    for (const changed of [{ storeId: 'shop-2' }, { orderId: 'R-9' }]) {
      ports.aliases.records.set(alias, { ...record, ...changed });
      await expect(issueAlias({ storeId: 'shop-1', orderId: 'R-1', customer: 'hanako@customer.example.ne.jp' }, deps)).rejects.toThrow(AliasConflictError);
    }
  });

  it('refuses a bad order ID and a bad customer address by field, an unknown store and a terminated or purged one', async () => {
    const { ports, deps } = await setUp();
    const request = { storeId: 'shop-1', orderId: 'R-1', customer: 'hanako@customer.example.ne.jp' };
    for (const orderId of ['', '-R', 'R 1', 'x'.repeat(129)]) {
      await expect(issueAlias({ ...request, orderId }, deps)).rejects.toThrow(expect.objectContaining({ name: 'InvalidRequestError', field: 'orderId', message: 'order ID must be 1-128 letters, digits, ".", "_", ":" or "-"' }));
    }
    expect((await issueAlias({ ...request, orderId: `a:${'x'.repeat(126)}` }, deps)).created).toBe(true);
    await expect(issueAlias({ ...request, customer: 'nobody' }, deps)).rejects.toThrow(expect.objectContaining({ field: 'customer' }));
    await expect(issueAlias({ ...request, customer: 'nobody' }, deps)).rejects.toThrow(InvalidRequestError);
    await expect(issueAlias({ ...request, storeId: 'shop-9' }, deps)).rejects.toThrow(new StoreNotFoundError('store shop-9 does not exist'));
    const store = ports.stores.stores.get('shop-1') as StoreRecord;
    await ports.stores.putStore({ ...store, terminatedAt: NOW.toISOString() });
    await expect(issueAlias(request, deps)).rejects.toThrow(new StoreTerminatedError('store shop-1 was terminated'));
    await ports.stores.putStore({ ...store, purgeAt: NOW.getTime() / 1000 });
    await expect(issueAlias(request, deps)).rejects.toThrow(StoreTerminatedError);
    expect(ports.aliases.records.size).toBe(2);
  });
});
