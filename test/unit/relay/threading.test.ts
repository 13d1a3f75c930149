import { describe, expect, it } from 'vitest';
import { sesMessageIdFor } from '../../../lambdas/mail';
import { relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { RelayedMessage, RelayedMessages } from '../../../lambdas/relay/transmission';
import type { Verdicts } from '../../../lambdas/relay/verdicts';
import { createInMemoryPorts, seedReverseAlias, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import type { InMemoryPorts } from '../../support/in-memory-ports';

/**
 * Threading across the relay without servers: the IDs SES gave relayed copies are given back to the
 * authors as their own message IDs, and an author's own earlier IDs reach the other party as the
 * IDs of the copies it received; any other ID is left to the party check of the rewrite.
 */

const RELAY = 'relay.example.jp';
const NOW = new Date('2026-12-01T03:04:05Z');
const SENDER = 'news@shop.example';
const CUSTOMER = 'taro@example.com';
const PASS: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };

/** The look-ups of the transmissions table's indexes, over the in-memory log's completed records. */
class InMemoryRelayedMessages implements RelayedMessages {
  byOutboundIdCalls = 0;
  outboundIdsOfCalls = 0;
  constructor(private readonly ports: InMemoryPorts) {}

  async byOutboundId(outboundIds: readonly string[]): Promise<ReadonlyMap<string, RelayedMessage>> {
    this.byOutboundIdCalls += 1;
    const found = new Map<string, RelayedMessage>();
    for (const record of this.ports.transmissions.records()) {
      if (record.outboundMessageId && record.originalMessageId && outboundIds.includes(record.outboundMessageId)) {
        found.set(record.outboundMessageId, { aliasId: record.aliasId, direction: record.direction, originalMessageId: record.originalMessageId });
      }
    }
    return found;
  }

  async outboundIdsOf(aliasId: string, originalMessageIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    this.outboundIdsOfCalls += 1;
    const found = new Map<string, string>();
    for (const record of this.ports.transmissions.records()) {
      if (record.aliasId === aliasId && record.outboundMessageId && record.originalMessageId && originalMessageIds.includes(record.originalMessageId)) found.set(record.originalMessageId, record.outboundMessageId);
    }
    return found;
  }
}

async function setUp() {
  const ports = createInMemoryPorts();
  const alias = await seedStoreAndCustomerAlias(ports, { storeId: 'demo-shop', displayName: 'デモ商店', contact: 'owner@shop-office.example', senders: [SENDER], orderId: '1001', customer: CUSTOMER, relayDomain: RELAY, now: NOW });
  const otherAlias = await seedStoreAndCustomerAlias(ports, { storeId: 'demo-shop', displayName: 'デモ商店', contact: 'owner@shop-office.example', senders: [SENDER], orderId: '1002', customer: CUSTOMER, relayDomain: RELAY, now: NOW });
  const reverse = await seedReverseAlias(ports, alias, RELAY);
  const lookups = new InMemoryRelayedMessages(ports);
  let sequence = 0;
  /** Relays one message; answers the header block the mailer was given. */
  const send = async (mail: { from: string; to: string; id: string; inReplyTo?: string; references?: string }): Promise<string> => {
    sequence += 1;
    const location = { bucket: 'inbound', key: `inbound/${sequence}` };
    const thread = `${mail.inReplyTo ? `In-Reply-To: ${mail.inReplyTo}\r\n` : ''}${mail.references ? `References: ${mail.references}\r\n` : ''}`;
    ports.rawMail.put(location, Buffer.from(`From: ${mail.from}\r\nTo: ${mail.to}\r\nSubject: hello\r\nMessage-ID: ${mail.id}\r\n${thread}\r\nbody\r\n`));
    const sent = ports.mailer.sent.length;
    const [result] = await relayInboundMail({ sesMessageId: `ses-${sequence}`, receivedAt: NOW, envelopeSender: mail.from, recipients: [mail.to], verdicts: PASS, location }, { ...ports, relayedMessages: lookups }, { relayDomain: RELAY, transmissionRetentionDays: 90, clock: () => NOW });
    expect(result?.status).toBe('relayed');
    return (ports.mailer.sent[sent]?.raw.toString() ?? '').split('\r\n\r\n')[0] ?? '';
  };
  return { ports, alias, otherAlias, reverse, lookups, send };
}

/** A field's value, unfolded. */
const field = (header: string, name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'im').exec(header.replace(/\r\n(?=[ \t])/g, ''))?.[1]?.replace(/[ \t]+/g, ' ');

describe('threading across the relay, without servers', () => {
  it('gives the store its own Message-ID back when the customer answers the copy, and the customer the copy’s ID when the store names its own message', async () => {
    const { alias, reverse, send, lookups } = await setUp();
    // The mailer answers outbound-1, outbound-2, … as SES names the copies it sends.
    await send({ from: SENDER, to: alias, id: '<order-1@shop.example>' });
    const reply = await send({ from: CUSTOMER, to: reverse, id: '<r1@example.com>', inReplyTo: sesMessageIdFor('outbound-1'), references: sesMessageIdFor('outbound-1') });
    expect(field(reply, 'In-Reply-To')).toBe('<order-1@shop.example>');
    expect(field(reply, 'References')).toBe('<order-1@shop.example>');

    const followUp = await send({ from: SENDER, to: alias, id: '<order-2@shop.example>', inReplyTo: sesMessageIdFor('outbound-2'), references: `<order-1@shop.example> ${sesMessageIdFor('outbound-2')}` });
    expect(field(followUp, 'In-Reply-To')).toBe('<r1@example.com>');
    expect(field(followUp, 'References')).toBe(`${sesMessageIdFor('outbound-1')} <r1@example.com>`);
    expect(lookups.byOutboundIdCalls).toBe(2);
    expect(lookups.outboundIdsOfCalls).toBe(1);
  });

  it('makes no look-up for a message that names no earlier one, nor the one kind it does not name', async () => {
    const { alias, send, lookups } = await setUp();
    await send({ from: SENDER, to: alias, id: '<order-1@shop.example>' });
    expect([lookups.byOutboundIdCalls, lookups.outboundIdsOfCalls]).toEqual([0, 0]);
    await send({ from: SENDER, to: alias, id: '<order-2@shop.example>', references: '<order-1@shop.example>' });
    expect([lookups.byOutboundIdCalls, lookups.outboundIdsOfCalls]).toEqual([0, 1]);
  });

  it('translates only copies of this conversation sent the other way: not another alias’s, not one sent the same way', async () => {
    const { alias, otherAlias, reverse, send } = await setUp();
    await send({ from: SENDER, to: otherAlias, id: '<elsewhere@shop.example>' });
    await send({ from: SENDER, to: alias, id: '<order-1@shop.example>' });
    // outbound-1 went to another conversation; outbound-2 is this one's.
    const reply = await send({ from: CUSTOMER, to: reverse, id: '<r1@example.com>', references: `${sesMessageIdFor('outbound-1')} ${sesMessageIdFor('outbound-2')}` });
    expect(field(reply, 'References')).toBe(`${sesMessageIdFor('outbound-1')} <order-1@shop.example>`);
    // The store naming the copy it was itself sent the same way (none) is left as written.
    const sameWay = await send({ from: SENDER, to: alias, id: '<order-3@shop.example>', references: sesMessageIdFor('outbound-2') });
    expect(field(sameWay, 'References')).toBe(sesMessageIdFor('outbound-2'));
  });

  it('looks up the parent and the latest of a long thread, at most ten IDs', async () => {
    const { alias, send, lookups } = await setUp();
    await send({ from: SENDER, to: alias, id: '<order-1@shop.example>' });
    const asked: string[][] = [];
    const original = lookups.outboundIdsOf.bind(lookups);
    lookups.outboundIdsOf = async (aliasId, ids) => {
      asked.push([...ids]);
      return original(aliasId, ids);
    };
    const ids = Array.from({ length: 15 }, (_, index) => `<old-${index}@shop.example>`);
    const header = await send({ from: SENDER, to: alias, id: '<order-2@shop.example>', inReplyTo: '<order-1@shop.example>', references: [...ids, '<order-1@shop.example>'].join(' ') });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toHaveLength(10);
    expect(asked[0]?.[0]).toBe('<order-1@shop.example>');
    expect(asked[0]).toContain('<old-14@shop.example>');
    expect(asked[0]).not.toContain('<old-0@shop.example>');
    expect(field(header, 'In-Reply-To')).toBe(sesMessageIdFor('outbound-1'));
  });
});
