import { describe, expect, it } from 'vitest';
import libmime from 'libmime';
import { relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { DeliveryResult, InboundMail, RelayOptions } from '../../../lambdas/relay/relay-inbound-mail';
import type { RefusalReason } from '../../../lambdas/relay/screening';
import { createInMemoryPorts, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import { headerProblems, splitOutbound, unfoldedFields } from '../../support/outbound-checks';

const RELAY_DOMAIN = 'relay.example.jp';
const STORE_SENDER = 'order@sakura-zakka.example.jp';
const STORE_CONTACT = 'support@sakura-zakka.example.jp';
const ENVELOPE_SENDER = 'bounce-3321@mail.sakura-zakka.example.jp';
const CUSTOMER = 'hanako.suzuki@example.ne.jp';
const SECRETS = [STORE_SENDER, STORE_CONTACT, ENVELOPE_SENDER, CUSTOMER];
const NOW = new Date('2024-06-01T03:04:05Z');
const OPTIONS: RelayOptions = { relayDomain: RELAY_DOMAIN, transmissionRetentionDays: 90, clock: () => NOW };
const PASS = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' } as const;

const BODY = 'ご注文ありがとうございました。\r\n';

/** A message of these fields, CRLF line ends, then an empty line and the body; `null` for no empty line at all. */
function message(fields: readonly string[], body: string | null = BODY): Buffer {
  const header = Buffer.from(fields.map((field) => `${field}\r\n`).join(''), 'utf8');
  return body === null ? header : Buffer.concat([header, Buffer.from(`\r\n${body}`, 'utf8')]);
}

const usual = (overrides: { from?: string | null } = {}): string[] => [
  ...(overrides.from === null ? [] : [`From: ${overrides.from ?? `Sakura Zakka <${STORE_SENDER}>`}`]),
  'To: c-placeholder',
  'Subject: ご注文の発送',
  'Date: Sat, 01 Jun 2024 12:00:00 +0900',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=UTF-8',
];

const b64Word = (text: string) => `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
const qWord = (text: string) => `=?UTF-8?Q?${[...Buffer.from(text, 'utf8')].map((byte) => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')}?=`;

interface Run {
  readonly result: DeliveryResult;
  /** The message sent to the customer, split at its first CRLF CRLF. */
  readonly outbound?: { readonly header: string; readonly body: Buffer };
  readonly sentToCustomer: number;
}

/** Relays `raw` merchant -> customer through in-memory ports, the To placeholder replaced by the alias. */
async function relay(raw: Buffer, mail: Partial<Pick<InboundMail, 'envelopeSender'>> = {}): Promise<Run> {
  const ports = createInMemoryPorts();
  const recipient = await seedStoreAndCustomerAlias(ports, {
    storeId: 'sakura-zakka',
    displayName: 'さくら雑貨店',
    contact: STORE_CONTACT,
    senders: [STORE_SENDER],
    orderId: '1001',
    customer: CUSTOMER,
    relayDomain: RELAY_DOMAIN,
    now: NOW,
  });
  const location = { bucket: 'anshin-inbound', key: 'inbound/hostile' };
  ports.rawMail.put(location, Buffer.from(raw.toString('latin1').replace('c-placeholder', recipient), 'latin1'));
  const results = await relayInboundMail(
    { sesMessageId: 'hostile-1', receivedAt: NOW, envelopeSender: mail.envelopeSender ?? ENVELOPE_SENDER, recipients: [recipient], verdicts: PASS, location },
    ports,
    OPTIONS,
  );
  expect(results).toHaveLength(1);
  const toCustomer = ports.mailer.sent.filter((sent) => sent.to.includes(CUSTOMER));
  const [sent] = toCustomer;
  return { result: results[0] as DeliveryResult, sentToCustomer: toCustomer.length, ...(sent ? { outbound: splitOutbound(sent.raw) } : {}) };
}

/** Asserts the deliberate outcome: relayed with a clean header block, or refused for `reason` with nothing sent to the customer. */
function expectOutcome(run: Run, outcome: 'relayed' | RefusalReason): { header: string; body: Buffer; fields: string[] } {
  if (outcome !== 'relayed') {
    expect(run.result).toMatchObject({ status: 'refused', reason: outcome });
    expect(run.sentToCustomer).toBe(0);
    return { header: '', body: Buffer.alloc(0), fields: [] };
  }
  expect(run.result.status).toBe('relayed');
  expect(run.sentToCustomer).toBe(1);
  const outbound = run.outbound ?? { header: '', body: Buffer.alloc(0) };
  expect(headerProblems(outbound.header, SECRETS)).toEqual([]);
  const fields = unfoldedFields(outbound.header);
  expect(fields.filter((field) => /^(?:from|to|date|x-anshin-relay):/i.test(field))).toHaveLength(4);
  return { ...outbound, fields };
}

const fieldNames = (fields: readonly string[]) => fields.map((field) => field.slice(0, field.indexOf(':')).toLowerCase());

describe('relayInboundMail with hostile header input', () => {
  describe('line breaks in display names', () => {
    it.each([
      ['a raw U+2028', `"さくら\u2028Bcc: evil@attacker.example" <${STORE_SENDER}>`],
      ['a raw NUL', `"Sakura\u0000Zakka" <${STORE_SENDER}>`],
      ['CR LF inside a B encoded word', `${b64Word('Sakura\r\nBcc: evil@attacker.example')} <${STORE_SENDER}>`],
      ['CR LF inside a Q encoded word', `${qWord('Sakura\r\nBcc: evil@attacker.example')} <${STORE_SENDER}>`],
      ['U+2028 inside an encoded word', `${b64Word('さくら\u2028Bcc: evil@attacker.example')} <${STORE_SENDER}>`],
      ['a lone CR inside an encoded word', `${b64Word('Sakura\rZakka')} <${STORE_SENDER}>`],
    ])('relays a From with %s as one clean From field and no injected field', async (_label, from) => {
      const { fields } = expectOutcome(await relay(message(usual({ from }))), 'relayed');

      expect(fieldNames(fields)).not.toContain('bcc');
      expect(fields.find((field) => field.startsWith('From:'))).toMatch(/<m-[0-9a-z]{12}@relay\.example\.jp>$/);
      expect(fields.join('\n')).not.toContain('attacker.example');
    });

    // A raw CR or LF ends the header line, as in every reader: what follows is a field of its own
    // (dropped by the keep-list) and the From is left without its address.
    it.each([
      ['a raw bare CR', '\r'],
      ['a raw bare LF', '\n'],
    ])('refuses a From split by %s as missing_from', async (_label, lineEnd) => {
      expectOutcome(await relay(message(usual({ from: `"Sakura${lineEnd}Bcc: evil@attacker.example" <${STORE_SENDER}>` }))), 'missing_from');
    });

    it.each([
      ['CR LF', 'Hello\r\nBcc: evil@attacker.example'],
      ['U+2028', 'Hello\u2028Bcc: evil@attacker.example'],
      ['NUL and U+2029', 'Hello\u0000\u2029Bcc: evil@attacker.example'],
    ])('relays a Subject with %s hidden in encoded words on one line', async (_label, text) => {
      const fields = usual().map((field) => (field.startsWith('Subject:') ? `Subject: ${b64Word(text)} ${qWord(text)}` : field));

      const { fields: out } = expectOutcome(await relay(message(fields)), 'relayed');

      expect(fieldNames(out)).not.toContain('bcc');
      expect(out.filter((field) => field.startsWith('Subject:'))).toHaveLength(1);
    });
  });

  describe("the store's address hidden in other fields", () => {
    const hex = (text: string) => [...Buffer.from(text)].map((byte) => byte.toString(16).padStart(2, '0'));
    const percent = (text: string) => hex(text).map((pair) => `%${pair}`).join('');

    /** Third column: what the field becomes, a pattern for the whole output field, or undefined when it must be gone. */
    it.each<[string, string, RegExp | undefined]>([
      ['Reply-To', `${b64Word(`返信先 ${STORE_SENDER}`)} <${STORE_SENDER.toUpperCase()}>`, /^Reply-To: m-[0-9a-z]{12}@relay\.example\.jp$/],
      ['Sender', `"${STORE_SENDER}" <${STORE_SENDER}>`, undefined],
      ['Return-Path', `<${STORE_SENDER}>`, undefined],
      ['Disposition-Notification-To', `${qWord(STORE_SENDER)} <${STORE_SENDER}>`, undefined],
      ['List-Unsubscribe', `<mailto:${percent(STORE_SENDER)}?subject=unsubscribe>, <https://sakura-zakka.example.jp/u?m=${encodeURIComponent(STORE_SENDER)}>`, undefined],
      ['Received', `from mail.sakura-zakka.example.jp (envelope-from <${STORE_SENDER}>) by mx.example.jp for <${CUSTOMER}>`, undefined],
      ['X-Original-To', STORE_SENDER, undefined],
      ['Message-ID', `<20240601.${STORE_SENDER}>`, undefined],
      // The ID SES gave an earlier relayed message stays, so the thread holds.
      [
        'References',
        `<a1@ap-northeast-1.amazonses.com> <thread.${STORE_SENDER.replace('@', '=40')}@mail.example.jp> <${percent(STORE_SENDER)}@x.example> <${STORE_SENDER}>`,
        /^References: <a1@ap-northeast-1\.amazonses\.com>$/,
      ],
      ['In-Reply-To', `<${STORE_SENDER.toUpperCase()}>`, undefined],
    ])('relays without the address when it is hidden in %s', async (name, value, becomes) => {
      const { fields } = expectOutcome(await relay(message([...usual(), `${name}: ${value}`])), 'relayed');

      const kept = fields.filter((field) => field.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      if (becomes) expect(kept).toEqual([expect.stringMatching(becomes)]);
      else expect(kept).toEqual([]);
    });
  });

  describe("either party's address in kept text", () => {
    const fullWidth = (text: string) => text.replace(/[!-~]/g, (character) => String.fromCharCode(character.charCodeAt(0) + 0xfee0));

    it.each([
      ["the store's address, plain", `お問い合わせ: ${STORE_SENDER}`],
      ["the customer's address, upper case", `${CUSTOMER.toUpperCase()} 様`],
      ["the customer's address, full-width", `${fullWidth(CUSTOMER)} 様`],
      ["the customer's address in a B encoded word", b64Word(`${CUSTOMER} 様 ご注文`)],
      ["the store's address in a Q encoded word", qWord(`連絡先 ${STORE_SENDER}`)],
    ])('relays a Subject holding %s with the address removed', async (_label, subject) => {
      const fields = usual().map((field) => (field.startsWith('Subject:') ? `Subject: ${subject}` : field));

      const { fields: out } = expectOutcome(await relay(message(fields)), 'relayed');

      const decoded = out.filter((field) => field.startsWith('Subject:')).map((field) => libmime.decodeWords(field));
      expect(decoded).toEqual([expect.stringContaining('[address removed]')]);
    });

    it("relays a To naming the customer's real address beside the alias with the alias only", async () => {
      const fields = usual().map((field) => (field.startsWith('To:') ? `To: ${b64Word(CUSTOMER)} <c-placeholder>, ${CUSTOMER}` : field));

      const { fields: out } = expectOutcome(await relay(message(fields)), 'relayed');

      expect(out.filter((field) => field.startsWith('To:'))).toEqual([expect.stringMatching(/^To: c-[0-9a-z]{12}@relay\.example\.jp$/)]);
    });
  });

  describe('repeated and missing fields', () => {
    // Authorisation is on the one From mailbox; with two, which one the recipient's client shows is
    // up to the client, so a registered address could front for an unregistered one.
    it.each([
      ['two From fields', [`From: Sakura Zakka <${STORE_SENDER}>`, 'From: Other <someone@attacker.example>']],
      ['the same From twice', [`From: Sakura Zakka <${STORE_SENDER}>`, `From: Sakura Zakka <${STORE_SENDER}>`]],
      ['two mailboxes in one From', [`From: Sakura Zakka <${STORE_SENDER}>, Other <someone@attacker.example>`]],
    ])('refuses %s as ambiguous_from', async (_label, froms) => {
      expectOutcome(await relay(message([...froms, ...usual({ from: null })])), 'ambiguous_from');
    });

    it('relays duplicate MIME-Version fields with MIME-Version once', async () => {
      const { fields } = expectOutcome(await relay(message([...usual(), 'MIME-Version: 1.0', 'Mime-Version: 1.0 (generated)'])), 'relayed');

      expect(fieldNames(fields).filter((name) => name === 'mime-version')).toHaveLength(1);
    });

    it('refuses a message without From as missing_from', async () => {
      expectOutcome(await relay(message(usual({ from: null }))), 'missing_from');
    });
  });

  describe('oversized header blocks', () => {
    const long = (size: number) => 'あいうえお'.repeat(Math.ceil(size / 15)).slice(0, size / 3);

    it('relays a 100 KB vendor field, dropping it', async () => {
      const { fields } = expectOutcome(await relay(message([...usual(), `X-Tracking: ${'a'.repeat(100 * 1024)}`])), 'relayed');

      expect(fieldNames(fields)).not.toContain('x-tracking');
    });

    it('relays a 100 KB Subject, folded and shortened', async () => {
      const subject = `${long(100 * 1024)} ${STORE_SENDER}`;
      const fields = usual().map((field) => (field.startsWith('Subject:') ? `Subject: ${subject}` : field));

      const { header } = expectOutcome(await relay(message(fields)), 'relayed');

      expect(header.length).toBeLessThan(100 * 1024);
    });

    it('relays a 100 KB unbroken Received line without it', async () => {
      const { fields } = expectOutcome(await relay(message([`Received: from ${'x'.repeat(100 * 1024)}.example (${STORE_SENDER})`, ...usual()])), 'relayed');

      expect(fieldNames(fields)).not.toContain('received');
    });

    // A From too large to parse names no mailbox to authorise; its address-like tokens still count as secrets.
    it('refuses a 100 KB From as missing_from', async () => {
      expectOutcome(await relay(message(usual({ from: `"${'x'.repeat(100 * 1024)}" <${STORE_SENDER}>` }))), 'missing_from');
    });

    it('relays a message with 10,000 header fields, the addresses in them included', async () => {
      const filler = Array.from({ length: 10_000 }, (_, index) => (index % 2 ? `Received: from relay${index}.example by mx (for <${STORE_SENDER}>)` : `X-Filler-${index}: ${index}`));

      const { fields } = expectOutcome(await relay(message([...usual(), ...filler])), 'relayed');

      expect(fields.length).toBeLessThan(20);
    });

    it('relays 10,000 To fields with the alias named once', async () => {
      const tos = Array.from({ length: 10_000 }, (_, index) => `To: someone${index}@example.jp, ${CUSTOMER}`);

      const { fields } = expectOutcome(await relay(message([...usual(), ...tos])), 'relayed');

      expect(fieldNames(fields).filter((name) => name === 'to')).toHaveLength(1);
    });
  });

  describe('messages without a body', () => {
    it('relays a header-only message (no empty line) with an empty body', async () => {
      const { body } = expectOutcome(await relay(message(usual(), null)), 'relayed');

      expect(body.length).toBe(0);
    });

    it('relays a message that ends at its empty line with an empty body', async () => {
      const { body } = expectOutcome(await relay(message(usual(), '')), 'relayed');

      expect(body.length).toBe(0);
    });
  });

  describe('automatic mail and loops', () => {
    it.each(['', '<>', ' <> '])('refuses the null sender %j as null_sender', async (envelopeSender) => {
      expectOutcome(await relay(message(usual()), { envelopeSender }), 'null_sender');
    });

    it.each(['auto-replied', 'auto-generated', 'Auto-Replied (vacation)'])('refuses Auto-Submitted: %s as auto_submitted', async (value) => {
      expectOutcome(await relay(message([...usual(), `Auto-Submitted: ${value}`])), 'auto_submitted');
    });

    it('relays Auto-Submitted: no', async () => {
      expectOutcome(await relay(message([...usual(), 'Auto-Submitted: no'])), 'relayed');
    });

    it('refuses a delivery status notification as auto_submitted, even from a registered sender', async () => {
      const fields = usual().map((field) =>
        field.startsWith('Content-Type:') ? 'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="dsn-boundary"' : field,
      );
      const body = [
        '--dsn-boundary',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--dsn-boundary',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mail.sakura-zakka.example.jp',
        '',
        'Final-Recipient: rfc822; nobody@example.jp',
        'Action: failed',
        'Status: 5.1.1',
        '',
        '--dsn-boundary--',
        '',
      ].join('\r\n');

      expectOutcome(await relay(message(fields, body)), 'auto_submitted');
    });

    it.each(['X-Anshin-Relay: relay.example.jp', 'x-anshin-relay: someone-else.example', 'X-ANSHIN-RELAY :relay.example.jp'])(
      'refuses a message already carrying %j as loop_detected',
      async (field) => {
        expectOutcome(await relay(message([...usual(), field])), 'loop_detected');
      },
    );
  });
});
