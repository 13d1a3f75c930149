import { describe, expect, it } from 'vitest';
import { customerOfAlias, UnknownCustomerAliasError } from '../../../lambdas/destruction/customer-alias';
import { DestructionRequestError } from '../../../lambdas/destruction/request';
import { createInMemoryPorts, seedReverseAlias, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';

const RELAY_DOMAIN = 'relay.example.jp';

async function seeded() {
  const ports = createInMemoryPorts();
  const customerAlias = await seedStoreAndCustomerAlias(ports, {
    storeId: 'demo-shop',
    displayName: 'Demo',
    contact: 'contact@shop.example.jp',
    senders: ['support@shop.example.jp'],
    orderId: 'A-1',
    customer: 'Taro.Yamada@Example.JP',
    relayDomain: RELAY_DOMAIN,
    now: new Date('2026-05-01T00:00:00Z'),
  });
  const reverseAlias = await seedReverseAlias(ports, customerAlias, RELAY_DOMAIN);
  return { ports, customerAlias, reverseAlias };
}

describe('a customer named by alias', () => {
  it('is the customer behind the alias, in the canonical form every hash is made of, with or without the relay domain', async () => {
    const { ports, customerAlias } = await seeded();
    const expected = { kind: 'customer', email: 'taro.yamada@example.jp' };
    await expect(customerOfAlias(customerAlias, ports)).resolves.toEqual(expected);
    await expect(customerOfAlias(customerAlias.split('@')[0]!.toUpperCase(), ports)).resolves.toEqual(expected);
  });

  it("is found through the store's reverse alias of the same conversation", async () => {
    const { ports, reverseAlias } = await seeded();
    await expect(customerOfAlias(reverseAlias, ports)).resolves.toEqual({ kind: 'customer', email: 'taro.yamada@example.jp' });
  });

  it('is refused by name when the alias leads to no customer', async () => {
    const { ports, customerAlias, reverseAlias } = await seeded();
    await expect(customerOfAlias('c-000000000000', ports)).rejects.toThrow(UnknownCustomerAliasError);
    // A reverse alias whose customer alias is gone leads nowhere either.
    ports.aliases.records.delete(customerAlias.split('@')[0]!);
    await expect(customerOfAlias(reverseAlias, ports)).rejects.toThrow(UnknownCustomerAliasError);
    await expect(customerOfAlias('taro@example.jp', ports)).rejects.toThrow(DestructionRequestError);
  });
});
