import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

/**
 * Conversations thread across the relay: SES gives every relayed copy a Message-ID of its own (the
 * local outbox does the same), and a reply naming that copy reaches the other party naming the
 * party's own original Message-ID instead, in both directions. An ID the relay cannot map keeps the
 * rules it had: a party's domain never goes to the other party.
 */

const STORE_SENDER = 'news@thread-shop.example';
const STORE_CONTACT = 'owner@thread-shop.example';
const CUSTOMER = 'hanako@thread-customer.example';
const STORE_MESSAGE_ID = '<order-2001.shipped@thread-shop.example>';
const CUSTOMER_MESSAGE_ID = '<reply-1.7f3a@thread-customer.example>';
const logLines: string[] = [];
let relay: RelayHarness;
let alias: IssueAliasResult;

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'thread-shop', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
  alias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'thread-shop', '--order-id', '2001', '--customer', CUSTOMER]);
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

/** The field's value as delivered, unfolded. */
function field(headerText: string, name: string): string | undefined {
  return new RegExp(`^${name}: ?(.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(headerText)?.[1]?.replace(/\r\n[ \t]+/g, ' ');
}

async function delivered(sesMessageId: string) {
  const record = await relay.transmission(sesMessageId);
  expect(record.outcome).toBe('relayed');
  return { record, out: await relay.outbound(record.outboundMessageId!) };
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('a conversation through the relay', () => {
    let storeCopyId: string;
    let reverseAddress: string;
    let customerCopyId: string;

    it("gives the store's message to the customer under the copy's own Message-ID, and keeps the store's for the answer", async () => {
      const sent = await relay.send({ from: STORE_SENDER, to: alias.address, subject: '発送のお知らせ', text: '発送しました。', messageId: STORE_MESSAGE_ID });
      const { record, out } = await delivered(sent.sesMessageId);
      storeCopyId = field(out.headerText, 'Message-ID') ?? '';
      reverseAddress = out.envelope.from;
      expect(storeCopyId).toBe(`<${record.outboundMessageId}@ap-northeast-1.amazonses.com>`);
      expect(out.headerText).not.toContain('thread-shop.example');
      expect(record).toMatchObject({ originalMessageId: STORE_MESSAGE_ID });
    });

    it("brings the customer's reply to the store naming the store's own Message-ID", async () => {
      const sent = await relay.send({ from: CUSTOMER, to: reverseAddress, subject: 'Re: 発送のお知らせ', text: '届きました。', messageId: CUSTOMER_MESSAGE_ID, inReplyTo: storeCopyId, references: [storeCopyId] });
      const { out } = await delivered(sent.sesMessageId);
      expect(out.envelope.destinations).toEqual([STORE_CONTACT]);
      expect(field(out.headerText, 'In-Reply-To')).toBe(STORE_MESSAGE_ID);
      expect(field(out.headerText, 'References')).toBe(STORE_MESSAGE_ID);
      expect(out.headerText).not.toContain('thread-customer.example');
      customerCopyId = field(out.headerText, 'Message-ID') ?? '';
      expect(customerCopyId).toMatch(/@ap-northeast-1\.amazonses\.com>$/);
    });

    let answerCopyId: string;
    const ANSWER_MESSAGE_ID = '<order-2001.answer@thread-shop.example>';

    it("brings the store's answer to the customer naming the customer's own Message-ID and the copy of the store's first message, never the store's domain", async () => {
      const sent = await relay.send({
        from: STORE_SENDER,
        to: alias.address,
        subject: 'Re: 発送のお知らせ',
        text: 'ありがとうございます。',
        messageId: ANSWER_MESSAGE_ID,
        inReplyTo: customerCopyId,
        references: [STORE_MESSAGE_ID, customerCopyId],
      });
      const { out } = await delivered(sent.sesMessageId);
      expect(field(out.headerText, 'In-Reply-To')).toBe(CUSTOMER_MESSAGE_ID);
      // The store's own first message is named as the customer received it: the copy's ID.
      expect(field(out.headerText, 'References')).toBe(`${storeCopyId} ${CUSTOMER_MESSAGE_ID}`);
      expect(out.headerText).not.toContain('thread-shop.example');
      answerCopyId = field(out.headerText, 'Message-ID') ?? '';
    });

    it("brings the customer's second reply to the store with the whole thread in the store's own terms", async () => {
      const sent = await relay.send({
        from: CUSTOMER,
        to: reverseAddress,
        subject: 'Re: 発送のお知らせ',
        text: 'もう一つ質問です。',
        inReplyTo: answerCopyId,
        references: [storeCopyId, CUSTOMER_MESSAGE_ID, answerCopyId],
      });
      const { out } = await delivered(sent.sesMessageId);
      expect(field(out.headerText, 'In-Reply-To')).toBe(ANSWER_MESSAGE_ID);
      expect(field(out.headerText, 'References')).toBe(`${STORE_MESSAGE_ID} ${customerCopyId} ${ANSWER_MESSAGE_ID}`);
      expect(out.headerText).not.toContain('thread-customer.example');
    });

    it("does not give one conversation's originals to another: a copy's ID from elsewhere stays as it is", async () => {
      const other = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'thread-shop', '--order-id', '2002', '--customer', 'jiro@thread-customer.example']);
      const first = await delivered((await relay.send({ from: STORE_SENDER, to: other.address, subject: '別件', text: '。' })).sesMessageId);
      // Jiro answers, but names the copy Hanako received.
      const sent = await relay.send({ from: 'jiro@thread-customer.example', to: first.out.envelope.from, subject: 'Re: 別件', text: '。', inReplyTo: storeCopyId });
      const { out } = await delivered(sent.sesMessageId);
      expect(field(out.headerText, 'In-Reply-To')).toBe(storeCopyId);
      expect(out.headerText).not.toContain(STORE_MESSAGE_ID);
    });

    it('keeps no original Message-ID that names a party by address', async () => {
      const sent = await relay.send({ from: STORE_SENDER, to: alias.address, subject: 'x', text: '。', messageId: `<${STORE_SENDER}.123@thread-shop.example>` });
      const { record } = await delivered(sent.sesMessageId);
      expect(record.originalMessageId).toBeUndefined();
    });
  });

  describe('anshin transmissions list', () => {
    async function text(args: readonly string[]): Promise<string[]> {
      const out: string[] = [];
      const { buildProgram } = await import('../../cli/program');
      await buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s) }).parseAsync(['--local-dir', relay.dir, ...args], { from: 'user' });
      return out.join('\n').split('\n');
    }

    it('lists exactly --limit rows, newest first, with the SES message ID, through any of its filters', async () => {
      const all = await relay.cli<{ receivedAt: string; transmissionId: string; storeId?: string; direction: string }[]>(['transmissions', 'list', '--limit', '50']);
      expect(all).toHaveLength(7);
      expect(all.map((r) => r.receivedAt)).toEqual([...all.map((r) => r.receivedAt)].sort().reverse());
      expect(await relay.cli<unknown[]>(['transmissions', 'list', '--limit', '2'])).toHaveLength(2);

      const byStore = await relay.cli<{ storeId: string }[]>(['transmissions', 'list', '--store-id', 'thread-shop', '--limit', '3']);
      expect(byStore).toHaveLength(3);
      expect(new Set(byStore.map((r) => r.storeId))).toEqual(new Set(['thread-shop']));
      const toStore = await relay.cli<{ direction: string }[]>(['transmissions', 'list', '--alias', alias.alias, '--outcome', 'relayed']);
      expect(toStore.length).toBeGreaterThan(0);
      expect(await relay.cli<unknown[]>(['transmissions', 'list', '--since', '2999-01-01T00:00:00Z'])).toEqual([]);

      const lines = await text(['transmissions', 'list', '--limit', '1']);
      expect(lines[0]).toMatch(/^received\s+SES message ID\s+alias\s+direction\s+outcome\s+reason\s+size\s+store$/);
      expect(lines[1]).toContain(all[0]!.transmissionId.split('/')[0]);
      expect(lines[1]).toMatch(/\d+\.\d KB|\d+ B/);
    });

    it.each([['abc'], ['0'], ['-5']])('refuses --limit %s in one line, before reaching the stack', async (value) => {
      await expect(relay.cli(['transmissions', 'list', '--limit', value])).rejects.toThrow(/must be a positive integer/);
    });
  });
});
