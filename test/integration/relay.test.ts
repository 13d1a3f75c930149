import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { decodedHeaders, RelayHarness, splitAtBlankLine } from './support/relay-harness';
import { captureProcessOutput } from '../support/capture-output';

const STORE_CONTACT = 'owner@shop.example';
const STORE_SENDER = 'news@shop.example';
const CUSTOMER = 'taro@example.com';
const STRANGER = 'mallory@evil.example';
const BODY = 'ご注文ありがとうございました。\r\n商品は本日発送いたしました。\r\n\r\n-- \r\nデモ商店\r\n';

let relay: RelayHarness;
let customerAlias: IssueAliasResult;
const logLines: string[] = [];

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'demo-shop', '--name', 'デモ商店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER, '--sender', 'support@shop.example']);
  customerAlias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'demo-shop', '--order-id', '1001', '--customer', CUSTOMER]);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

function expectNoneOf(headerText: string, addresses: readonly string[]): void {
  const searchable = `${headerText}\n${decodedHeaders(headerText)}`.toLowerCase();
  for (const address of addresses) expect(searchable).not.toContain(address.toLowerCase());
}

/** Sends as the store, the way a store's mail client would, and returns what the customer received. */
async function storeWritesToCustomer() {
  const sent = await relay.send({
    envelope: { from: STORE_SENDER, to: [customerAlias.address] },
    from: { name: 'デモ商店 サポート', address: STORE_SENDER },
    to: customerAlias.address,
    replyTo: 'support@shop.example',
    subject: '【デモ商店】ご注文の商品を発送しました',
    text: BODY,
    headers: { 'X-Mailer': 'ShopMailer 1.0', 'List-Unsubscribe': `<mailto:${STORE_SENDER}?subject=unsubscribe>` },
  });
  const record = await relay.transmission(sent.sesMessageId);
  return { sent, record };
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('alias issue', () => {
    it('returns the same alias for the same store and order', async () => {
      const again = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'demo-shop', '--order-id', '1001', '--customer', CUSTOMER]);
      expect(again.alias).toBe(customerAlias.alias);
      expect(again.created).toBe(false);
      expect(customerAlias.created).toBe(true);
      expect(customerAlias.address).toMatch(/^c-[0-9a-z]{12}@relay\.example\.jp$/);
    });

    it('refuses to give an order that already has an alias to another customer', async () => {
      await expect(relay.cli(['alias', 'issue', '--store-id', 'demo-shop', '--order-id', '1001', '--customer', 'hanako@example.com'])).rejects.toThrow(
        /already has an alias for another customer/,
      );
    });
  });

  describe('merchant to customer', () => {
    it("delivers to the customer's real address with the store's name, the reverse alias as From, and the body unchanged", async () => {
      const { sent, record } = await storeWritesToCustomer();
      expect(record).toMatchObject({ outcome: 'relayed', direction: 'merchant_to_customer', storeId: 'demo-shop', aliasId: customerAlias.alias, state: 'done' });
      const out = await relay.outbound(record.outboundMessageId!);

      expect(out.envelope.destinations).toEqual([CUSTOMER]);
      expect(out.envelope.from).toMatch(/^m-[0-9a-z]{12}@relay\.example\.jp$/);
      const headers = decodedHeaders(out.headerText);
      expect(headers).toMatch(new RegExp(`^From: "?デモ商店 サポート"? <${out.envelope.from}>$`, 'm'));
      expect(headers).toMatch(new RegExp(`^To: .*${customerAlias.address}`, 'm'));
      expect(headers).toMatch(new RegExp(`^Reply-To: .*${out.envelope.from}`, 'm'));
      expect(headers).toContain('Subject: 【デモ商店】ご注文の商品を発送しました');
      expect(headers).toMatch(/^X-Anshin-Relay: relay\.example\.jp$/m);
      expect(out.headerText).not.toMatch(/^(Received|X-Mailer|Return-Path|X-Local-Verdict|X-SES-[\w-]+):/im);
      // The store's Message-ID does not go out; SES gives the copy its own, as the outbox shows.
      expect(out.headerText.match(/^Message-ID:.*$/gim)).toEqual([`Message-ID: <${record.outboundMessageId}@ap-northeast-1.amazonses.com>`]);
      // The store's own List-Unsubscribe is gone; the relay's one-click one, to its menu, is there instead.
      expect(out.headerText.match(/^List-Unsubscribe:.*$/gim)).toEqual([expect.stringMatching(new RegExp(`^List-Unsubscribe: <${relay.stack.endpoints.menu}/unsubscribe/c-[0-9a-z]{12}\\.[0-9a-f]{32}>$`))]);
      expectNoneOf(out.headerText, [STORE_SENDER, 'support@shop.example', STORE_CONTACT, 'shop.example']);
      expect(out.body.equals(splitAtBlankLine(await relay.inboundRaw(sent.sesMessageId)).body)).toBe(true);
    });

    it('records the delivery without any address or subject', async () => {
      const { record } = await storeWritesToCustomer();
      const stored = JSON.stringify(record).toLowerCase();
      for (const secret of [STORE_SENDER, CUSTOMER, STORE_CONTACT, 'ご注文']) expect(stored).not.toContain(secret);
      expect(record.connectingIp).toBe('127.0.0.1');
      expect(record.verdicts).toMatchObject({ spf: 'PASS', dkim: 'GRAY', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' });
      expect(record.sizeBytes).toBeGreaterThan(BODY.length);
    });

    // The authenticated stranger gets a delivery status notification (and only that); the others are
    // refusals no sender is told about.
    it.each([
      ['an unregistered sender', STRANGER, {}, 'unregistered_sender', [[STRANGER]]],
      // The README's example, word for word: DMARC follows SPF and DKIM when it is not given.
      ['a registered sender that failed SPF and DKIM (so DMARC)', STORE_SENDER, { 'X-Local-Verdict': 'spf=FAIL, dkim=FAIL' }, 'unauthenticated_sender', []],
      ['a sender whose domain asks for DMARC rejection', STORE_SENDER, { 'X-Local-Verdict': 'dmarc=FAIL, dmarcPolicy=reject' }, 'dmarc_reject', []],
      ['a message SES flagged as a virus', STORE_SENDER, { 'X-Local-Verdict': 'virus=FAIL' }, 'virus_detected', []],
      ['an auto-reply', STORE_SENDER, { 'Auto-Submitted': 'auto-replied' }, 'auto_submitted', []],
      ['a message that already went through the relay', STORE_SENDER, { 'X-Anshin-Relay': 'relay.example.jp' }, 'loop_detected', []],
    ])('does not relay %s and records why', async (_label, from, headers, reason, bounceDestinations) => {
      const before = await relay.outboxIds();
      const sent = await relay.send({ envelope: { from, to: [customerAlias.address] }, from, to: customerAlias.address, subject: 'hello', text: 'hi', headers });
      expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason, state: 'done' });
      const added = await Promise.all((await relay.outboxIds()).filter((id) => !before.includes(id)).map((id) => relay.outbound(id)));
      expect(added.map((out) => out.envelope.destinations)).toEqual(bounceDestinations);
      for (const out of added) expect(out.envelope.from).toBe('MAILER-DAEMON@relay.example.jp');
    });

    it('refuses an alias that does not exist', async () => {
      const sent = await relay.send({ from: STORE_SENDER, to: 'c-000000000000@relay.example.jp', subject: 'x', text: 'x' });
      expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'unknown_alias', aliasId: 'c-000000000000' });
    });

    it('refuses an alias whose validity has ended', async () => {
      const old = await relay.issueAliasAt({ storeId: 'demo-shop', orderId: '0001', customer: 'jiro@example.com' }, new Date(Date.now() - 200 * 86_400_000));
      const sent = await relay.send({ from: STORE_SENDER, to: old.address, subject: 'x', text: 'x' });
      expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'expired_alias', storeId: 'demo-shop' });
    });
  });

  describe('customer to merchant', () => {
    it("delivers the customer's reply to the store's contact address without the customer's address", async () => {
      const { record: first } = await storeWritesToCustomer();
      const reverseAlias = (await relay.outbound(first.outboundMessageId!)).envelope.from;

      const sent = await relay.send({
        from: { name: '山田 太郎', address: CUSTOMER },
        to: reverseAlias,
        subject: 'Re: 【デモ商店】ご注文の商品を発送しました',
        text: '届きました。ありがとうございます。\r\n',
        headers: { 'X-Original-To': CUSTOMER },
      });
      const record = await relay.transmission(sent.sesMessageId);
      expect(record).toMatchObject({ outcome: 'relayed', direction: 'customer_to_merchant', storeId: 'demo-shop' });

      const out = await relay.outbound(record.outboundMessageId!);
      expect(out.envelope.destinations).toEqual([STORE_CONTACT]);
      expect(out.envelope.from).toBe(customerAlias.address);
      expect(decodedHeaders(out.headerText)).toMatch(new RegExp(`^From: "?山田 太郎"? <${customerAlias.address}>$`, 'm'));
      expectNoneOf(out.headerText, [CUSTOMER, 'example.com']);
      expect(out.body.equals(splitAtBlankLine(await relay.inboundRaw(sent.sesMessageId)).body)).toBe(true);
    });

    it('refuses anyone but the conversation\'s customer on the reverse alias', async () => {
      const { record: first } = await storeWritesToCustomer();
      const reverseAlias = (await relay.outbound(first.outboundMessageId!)).envelope.from;
      const sent = await relay.send({ from: STRANGER, to: reverseAlias, subject: 'x', text: 'x' });
      expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'not_conversation_owner' });
    });
  });

  describe('exactly once', () => {
    it('sends once when the same SES notification arrives again, also concurrently', async () => {
      const { sent } = await storeWritesToCustomer();
      const before = await relay.outboxCount();

      const responses = await Promise.all([relay.stack.relay(sent.event), relay.stack.relay(sent.event), relay.stack.relay(sent.event)]);

      expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
      expect(await relay.outboxCount()).toBe(before);
    });

    it('sends once per recipient when one message names two aliases', async () => {
      const second = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'demo-shop', '--order-id', '1002', '--customer', 'hanako@example.com']);
      const before = await relay.outboxCount();
      const sent = await relay.send({ from: STORE_SENDER, to: [customerAlias.address, second.address], subject: 'お知らせ', text: 'x' });
      expect((await relay.transmission(sent.sesMessageId, 0)).outcome).toBe('relayed');
      expect((await relay.transmission(sent.sesMessageId, 1)).outcome).toBe('relayed');
      expect(await relay.outboxCount()).toBe(before + 2);

      await relay.stack.relay(sent.event);
      expect(await relay.outboxCount()).toBe(before + 2);
    });
  });

  describe('metrics', () => {
    /** The embedded-metric-format lines among the output: one JSON object each, with `_aws`. */
    function emfLines(): Record<string, unknown>[] {
      return logLines
        .join('')
        .split('\n')
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    }

    it('count relayed and refused mail by reason in namespace Anshin, with sizes and latency, naming no party', () => {
      const lines = emfLines();
      const named = (metric: string) => lines.filter((line) => metric in line);
      expect(named('MessagesRelayed').length).toBeGreaterThan(0);
      expect(named('MessagesRelayed')[0]).toMatchObject({ service: 'anshin-relay', _aws: { CloudWatchMetrics: [{ Namespace: 'Anshin', Dimensions: [['service']] }] } });
      expect(named('MessagesRefused')).toContainEqual(
        expect.objectContaining({ service: 'anshin-relay', reason: 'unregistered_sender', MessagesRefused: 1, _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Dimensions: [['service', 'reason']] })] }) }),
      );
      expect(named('MessageSize').length).toBeGreaterThan(0);
      expect(named('HandlerLatency').length).toBeGreaterThan(0);
      const text = JSON.stringify(lines);
      for (const secret of [STORE_SENDER, STORE_CONTACT, CUSTOMER, STRANGER, 'demo-shop', 'c-']) expect(text).not.toContain(secret);
    });
  });

  describe('logs', () => {
    it('name aliases, stores and reasons but never an address, a subject or message text', () => {
      const logs = logLines.join('');
      expect(logs).toContain('mail_relayed');
      expect(logs).toContain('unregistered_sender');
      for (const secret of [STORE_SENDER, STORE_CONTACT, CUSTOMER, STRANGER, 'ご注文', '届きました', 'shop.example']) expect(logs).not.toContain(secret);
    });
  });
});
