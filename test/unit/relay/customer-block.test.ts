import { describe, expect, it, vi } from 'vitest';
import { aliasOfUnsubscribeToken } from '../../../lambdas/aliases/unsubscribe';
import { relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { DeliveryResult } from '../../../lambdas/relay/relay-inbound-mail';
import type { Verdicts } from '../../../lambdas/relay/verdicts';
import { createInMemoryPorts, seedReverseAlias, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import type { InMemoryPorts } from '../../support/in-memory-ports';

const RELAY = 'relay.example.jp';
const MENU = 'https://menu.example.jp/v1';
const SENDER = 'news@shop.example';
const CUSTOMER = 'taro@example.com';
const NOW = new Date('2026-12-07T03:00:00Z');
const PASS: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };

async function setUp() {
  const ports = createInMemoryPorts();
  const alias = await seedStoreAndCustomerAlias(ports, { storeId: 'demo-shop', displayName: 'デモ商店', contact: 'owner@shop.example', senders: [SENDER], relayDomain: RELAY, now: NOW, orderId: '1', customer: CUSTOMER });
  const reverse = await seedReverseAlias(ports, alias, RELAY);
  return { ports, alias, reverse };
}

let sent = 0;
async function send(ports: InMemoryPorts, from: string, to: string): Promise<DeliveryResult | undefined> {
  sent += 1;
  const location = { bucket: 'inbound', key: `inbound/m${sent}` };
  ports.rawMail.put(location, Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: hi\r\nList-Unsubscribe: <mailto:leave@shop.example>\r\n\r\nbody\r\n`, 'utf8'));
  const mail = { sesMessageId: `m${sent}`, receivedAt: NOW, envelopeSender: from, recipients: [to], verdicts: PASS, location };
  const [result] = await relayInboundMail(mail, ports, { relayDomain: RELAY, transmissionRetentionDays: 90, clock: () => NOW, menuUrl: MENU });
  return result;
}

const header = (raw: Uint8Array, name: string): string[] =>
  Buffer.from(raw)
    .toString('latin1')
    .split('\r\n\r\n')[0]!
    .split('\r\n')
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));

describe('customers blocking a store', () => {
  it("gives store mail to a customer the relay's own one-click List-Unsubscribe for that alias, and replies none", async () => {
    const { ports, alias, reverse } = await setUp();
    await send(ports, SENDER, alias);
    const [toCustomer] = ports.mailer.sent;
    const [line] = header(toCustomer!.raw, 'List-Unsubscribe');
    const url = /^List-Unsubscribe: <(.+)>$/.exec(line ?? '')?.[1] ?? '';
    expect(url.startsWith(`${MENU}/unsubscribe/`)).toBe(true);
    expect(await aliasOfUnsubscribeToken(url.slice(`${MENU}/unsubscribe/`.length), ports.keys)).toBe(alias.split('@')[0]);
    expect(header(toCustomer!.raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
    expect(url).not.toContain(CUSTOMER);

    await send(ports, CUSTOMER, reverse);
    expect(header(ports.mailer.sent[1]!.raw, 'List-Unsubscribe')).toEqual([]);
  });

  it('costs no call to the key service beyond those the mail needed before', async () => {
    const calls = async (menuUrl: string | undefined): Promise<number> => {
      const { ports, alias } = await setUp();
      const mac = vi.spyOn(ports.keys, 'mac');
      const location = { bucket: 'inbound', key: 'inbound/cost' };
      ports.rawMail.put(location, Buffer.from(`From: ${SENDER}\r\nTo: ${alias}\r\nSubject: hi\r\n\r\nbody\r\n`, 'utf8'));
      const mail = { sesMessageId: 'cost', receivedAt: NOW, envelopeSender: SENDER, recipients: [alias], verdicts: PASS, location };
      await relayInboundMail(mail, ports, { relayDomain: RELAY, transmissionRetentionDays: 90, clock: () => NOW, ...(menuUrl ? { menuUrl } : {}) });
      return new Set(mac.mock.calls.map(([input]) => input)).size;
    };
    expect(await calls(MENU)).toBe(await calls(undefined));
  });

  it("refuses the store's mail to a blocked alias as customer_blocked, without a DSN, and still relays the customer's own mail", async () => {
    const { ports, alias, reverse } = await setUp();
    const name = alias.split('@')[0]!;
    const record = ports.aliases.records.get(name)!;
    ports.aliases.records.set(name, { ...record, blockedAt: NOW.toISOString() });

    expect(await send(ports, SENDER, alias)).toMatchObject({ status: 'refused', reason: 'customer_blocked', storeId: 'demo-shop' });
    expect(ports.mailer.sent).toEqual([]);
    expect(await send(ports, CUSTOMER, reverse)).toMatchObject({ status: 'relayed' });
  });

  it('answers a stranger writing to a blocked alias as it would for any alias', async () => {
    const { ports, alias } = await setUp();
    const name = alias.split('@')[0]!;
    ports.aliases.records.set(name, { ...ports.aliases.records.get(name)!, blockedAt: NOW.toISOString() });
    expect(await send(ports, 'stranger@elsewhere.example', alias)).toMatchObject({ status: 'refused', reason: 'unregistered_sender' });
  });
});
